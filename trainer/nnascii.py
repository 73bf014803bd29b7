"""ænet ``<El>.nn.ascii`` potential files: read (dialects P, X, F) and write (dialect P).

Three sections in order (AENET_FORMAT.md §3–5); each has its own reader and writer so
a round trip is bit-exact section by section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic_io import atomic_write_text
from .errors import InputFileError, decode_text, read_file_bytes
from .network import ACTIVATION_CODES
from .nnbinary import binary_to_text, looks_binary

from .records import RecordReader, format_int, format_real, line_of_ints, line_of_reals

ACTIVATIONS = {code: name for name, code in ACTIVATION_CODES.items()}  # the one table: trainer.network
SF_TYPES = ("Chebyshev", "Behler2011")


# --------------------------------------------------------------------------- network
@dataclass
class NetworkSection:
    """Section N: layer sizes (input .. output), activation codes of layers 2..L, weights."""

    nnodes: list[int]
    activations: list[int]
    weights: np.ndarray

    @property
    def nlayers(self) -> int:
        return len(self.nnodes)

    def offsets(self) -> tuple[list[int], list[int]]:
        iw, iv = [0], [0]
        for l in range(self.nlayers - 1):
            iw.append(iw[-1] + (self.nnodes[l] + 1) * self.nnodes[l + 1])
            iv.append(iv[-1] + self.nnodes[l] + 1)
        return iw, iv

    def matrices(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(A, c) per layer transition, A of shape (n_out, n_in) (§3.2)."""
        iw, _ = self.offsets()
        out = []
        for l in range(self.nlayers - 1):
            n_in, n_out = self.nnodes[l], self.nnodes[l + 1]
            block = self.weights[iw[l] : iw[l + 1]]
            m = block.reshape(n_in + 1, n_out).T
            out.append((m[:, :n_in].copy(), m[:, n_in].copy()))
        return out

    @staticmethod
    def weights_from_matrices(mats) -> np.ndarray:
        blocks = [np.concatenate([a, c[:, None]], axis=1).T.reshape(-1) for a, c in mats]
        return np.concatenate(blocks).astype(np.float64)

    @classmethod
    def read(cls, rec: RecordReader) -> "NetworkSection":
        nlayers = rec.int("N1 nlayers")
        if nlayers < 2:
            rec.fail("N1 nlayers", "at least 2 layers (input and output)", str(nlayers), rec.pos)
        nnodes_max = rec.int("N2 nnodes_max")
        line2 = rec.pos  # 1-based line of the record just read, for messages
        wsize = rec.int("N3 Wsize")
        line3 = rec.pos
        nvalues = rec.int("N4 nvalues")
        line4 = rec.pos
        nnodes = [int(v) for v in rec.ints("N5 nnodes", nlayers)]
        if min(nnodes) < 1 or nnodes[-1] != 1:
            rec.fail("N5 nnodes", "positive layer sizes ending in 1 output node", str(nnodes), rec.pos)
        acts = [int(v) for v in rec.ints("N6 f_a", nlayers - 1)]
        for a in acts:
            if a not in ACTIVATIONS:
                rec.fail("N6 f_a", f"activation codes in {sorted(ACTIVATIONS)} ({', '.join(f'{k}={v}' for k, v in ACTIVATIONS.items())})", str(a), rec.pos)
        iw = [int(v) for v in rec.ints("N7 iw", nlayers)]
        iv = [int(v) for v in rec.ints("N8 iv", nlayers)]
        net = cls(nnodes, acts, np.zeros(0))
        want_iw, want_iv = net.offsets()
        want_w = want_iw[-1]
        want_v = want_iv[-1] + nnodes[-1]
        checks = [
            ("N2 nnodes_max", nnodes_max, max(nnodes), line2),
            ("N3 Wsize", wsize, want_w, line3),
            ("N4 nvalues", nvalues, want_v, line4),
        ]
        for name, got, want, line in checks:
            if got != want:
                rec.fail(name, f"{want} (derived from nnodes {nnodes})", str(got), line)
        if iw != want_iw:
            rec.fail("N7 iw", f"weight offsets {want_iw}", str(iw), rec.pos)
        if iv != want_iv:
            rec.fail("N8 iv", f"node offsets {want_iv}", str(iv), rec.pos)
        net.weights = rec.reals("N9 W", wsize)
        return net

    def lines(self) -> list[str]:
        iw, iv = self.offsets()
        return [
            format_int(self.nlayers),
            format_int(max(self.nnodes)),
            format_int(iw[-1]),
            format_int(iv[-1] + self.nnodes[-1]),
            line_of_ints(self.nnodes),
            line_of_ints(self.activations),
            line_of_ints(iw),
            line_of_ints(iv),
            line_of_reals(self.weights),
        ]


# --------------------------------------------------------------------------- set-up
@dataclass
class SetupSection:
    """Section S: descriptor set-up and per-feature statistics of the central species."""

    description: str
    atomtype: str
    envtypes: list[str]
    rc_min: float
    rc_max: float
    sftype: str
    sf: np.ndarray  # int (nsf,)
    sfparam: np.ndarray  # (4, nsf)
    sfenv: np.ndarray  # int (2, nsf)
    neval: int
    sfval_min: np.ndarray
    sfval_max: np.ndarray
    sfval_avg: np.ndarray
    sfval_cov: np.ndarray

    @property
    def nsf(self) -> int:
        return len(self.sf)

    @property
    def is_chebyshev(self) -> bool:
        return self.sftype.lower() == "chebyshev"

    def chebyshev_parameters(self) -> tuple[float, int, float, int]:
        p = self.sfparam[:, 0]
        return float(p[0]), int(round(p[1])), float(p[2]), int(round(p[3]))

    @classmethod
    def read(cls, rec: RecordReader) -> "SetupSection":
        description = rec.text("S1 description")
        atomtype = rec.text("S2 atomtype")
        if not atomtype or len(atomtype.split()) != 1:
            rec.fail("S2 atomtype", "one species name", repr(atomtype), rec.pos)
        nenv = rec.int("S3 nenv")
        if nenv < 1:
            rec.fail("S3 nenv", "at least 1 environment species", str(nenv), rec.pos)
        envtypes = rec.names("S4 envtypes", nenv)
        if len(set(envtypes)) != nenv:
            rec.fail("S4 envtypes", "distinct species names", str(envtypes), rec.pos)
        rc_min = rec.real("S5 Rc_min")
        rc_max = rec.real("S6 Rc_max")
        sftype = rec.text("S7 sftype")
        canonical = {t.lower(): t for t in SF_TYPES}.get(sftype.lower())
        if canonical is None:
            rec.fail("S7 sftype", f"one of {', '.join(SF_TYPES)}", repr(sftype), rec.pos)
        nsf = rec.int("S8 nsf")
        if nsf < 1:
            rec.fail("S8 nsf", "a positive descriptor length", str(nsf), rec.pos)
        nsfparam = rec.int("S9 nsfparam")
        if nsfparam != 4:
            rec.fail("S9 nsfparam", "4", str(nsfparam), rec.pos)
        sf = rec.ints("S10 sf", nsf)
        sfparam = rec.reals("S11 sfparam", 4 * nsf).reshape(nsf, 4).T.copy()
        start = rec.pos + 1
        int_lines = rec.integer_lines("S12 sfenv")
        tokens = [t for line in int_lines for t in line]
        # the last integer line is neval (a single integer); the rest is sfenv (§4.4)
        if rec.pos >= len(rec.lines):
            rec.fail("S12 sfenv", f"{2 * nsf} integers, neval and the statistics", "end of file (truncated)", start)
        if not int_lines or len(int_lines[-1]) != 1:
            rec.fail("S12 sfenv", f"{2 * nsf} integers followed by neval", f"{len(tokens)} integer tokens", start)
        neval = tokens[-1]
        env_tokens = tokens[:-1]
        if len(env_tokens) == 2 * nsf:
            sfenv = np.array(env_tokens, dtype=np.int64).reshape(nsf, 2).T.copy()
        elif len(env_tokens) == nenv * nsf:  # Fortran save_Setup_ASCII writes nenv rows
            rows = np.array(env_tokens, dtype=np.int64).reshape(nsf, nenv).T
            sfenv = np.zeros((2, nsf), dtype=np.int64)
            k = min(2, nenv)
            sfenv[:k] = rows[:k]
        else:
            rec.fail("S12 sfenv", f"{2 * nsf} integers (2 x nsf)", str(len(env_tokens)), start)
        stats = [rec.reals(name, nsf) for name in ("S14 sfval_min", "S15 sfval_max", "S16 sfval_avg", "S17 sfval_cov")]
        setup = cls(description, atomtype, envtypes, rc_min, rc_max, canonical, sf, sfparam, sfenv, neval, *stats)
        setup._validate(rec)
        return setup

    def _validate(self, rec: RecordReader) -> None:
        if self.is_chebyshev:
            rc_r, n_r, rc_a, n_a = self.chebyshev_parameters()
            want = (n_r + 1 + n_a + 1) * (2 if len(self.envtypes) > 1 else 1)
            if n_r < 0 or n_a < -1 or rc_r <= 0:
                rec.fail("S11 sfparam", "Chebyshev radial_Rc > 0 and orders >= 0", str(self.sfparam[:, 0]))
            if want != self.nsf:
                rec.fail(
                    "S8 nsf",
                    f"{want} = (radial order {n_r} + angular order {n_a} + 2) x {2 if len(self.envtypes) > 1 else 1} for a Chebyshev set-up",
                    str(self.nsf),
                )
        else:
            bad = [int(k) for k in self.sf if k not in (1, 2, 3, 4, 5)]
            if bad:
                rec.fail("S10 sf", "Behler2011 function kinds 1..5", str(bad[0]))
            nenv = len(self.envtypes)
            for k in range(self.nsf):
                need = 2 if self.sf[k] >= 4 else 1
                for row in range(need):
                    if not 1 <= self.sfenv[row, k] <= nenv:
                        rec.fail("S12 sfenv", f"environment indices 1..{nenv} for function {k + 1}", str(int(self.sfenv[row, k])))
        if np.any(self.sfval_cov - self.sfval_avg**2 < -1e-6 * np.maximum(1.0, self.sfval_cov)):
            rec.fail("S17 sfval_cov", "mean of squares >= square of mean for every feature")

    def lines(self) -> list[str]:
        return [
            self.description,
            self.atomtype,
            format_int(len(self.envtypes)),
            " ".join(self.envtypes),
            format_real(self.rc_min),
            format_real(self.rc_max),
            self.sftype,
            format_int(self.nsf),
            format_int(4),
            line_of_ints(self.sf),
            line_of_reals(self.sfparam.T.reshape(-1)),
            line_of_ints(self.sfenv.T.reshape(-1)),
            format_int(self.neval),
            line_of_reals(self.sfval_min),
            line_of_reals(self.sfval_max),
            line_of_reals(self.sfval_avg),
            line_of_reals(self.sfval_cov),
        ]


# --------------------------------------------------------------------------- training set
@dataclass
class TrainsetSection:
    """Section T: energy normalization and free-atom reference energies."""

    file: str
    normalized: bool
    scale: float
    shift: float
    typenames: list[str]
    e_atom: np.ndarray
    natomtot: int = 0
    nstrucs: int = 0
    e_stats: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def reference_energy(self, species: str) -> float:
        return float(self.e_atom[self.typenames.index(species)])

    @classmethod
    def read(cls, rec: RecordReader) -> "TrainsetSection":
        file = rec.text("T1 file")
        normalized = rec.logical("T2 normalized")
        scale = rec.real("T3 scale")
        if scale == 0.0:
            rec.fail("T3 scale", "a non-zero energy scale", "0", rec.pos)
        shift = rec.real("T4 shift")
        ntypes = rec.int("T5 ntypes")
        if ntypes < 1:
            rec.fail("T5 ntypes", "at least one species", str(ntypes), rec.pos)
        typenames = rec.names("T6 typenames", ntypes)
        e_atom = rec.reals("T7 E_atom", ntypes)
        natomtot = rec.int("T8 natomtot")
        nstrucs = rec.int("T9 nstrucs")
        e_stats = rec.reals("T10 E_min E_max E_av", 3)
        return cls(file, normalized, scale, shift, typenames, e_atom, natomtot, nstrucs, e_stats)

    def lines(self) -> list[str]:
        return [
            self.file,
            "T" if self.normalized else "F",
            format_real(self.scale),
            format_real(self.shift),
            format_int(len(self.typenames)),
            " ".join(self.typenames),
            line_of_reals(self.e_atom),
            format_int(self.natomtot),
            format_int(self.nstrucs),
            line_of_reals(self.e_stats),
        ]


# --------------------------------------------------------------------------- whole file
@dataclass
class PotentialFile:
    network: NetworkSection
    setup: SetupSection
    trainset: TrainsetSection
    path: str = ""

    @property
    def species(self) -> str:
        return self.setup.atomtype

    @property
    def reference_energy(self) -> float:
        return self.trainset.reference_energy(self.setup.atomtype)

    def text(self) -> str:
        return "\n".join(self.network.lines() + self.setup.lines() + self.trainset.lines()) + "\n"


@dataclass
class FileInfo:
    """What a species' ``.nn.ascii`` records need beyond the model's tensors (its
    ``file_info``): the sections of the file it was read from (``setup``, ``trainset``; kept
    as they are on export), or the statistics of the training set it was fitted to."""

    setup: SetupSection | None = None
    trainset: TrainsetSection | None = None
    sfval_min: np.ndarray | None = None  # per-feature training range (extrapolation detection)
    sfval_max: np.ndarray | None = None
    neval: int = 0  # descriptor evaluations behind the statistics (atoms of the species)
    natomtot: int = 0
    nstrucs: int = 0
    e_stats: tuple[float, float, float] = (0.0, 0.0, 0.0)  # E_min, E_max, E_av (eV/atom)

    def as_dict(self) -> dict:
        """Plain values for checkpoints (no class needed to load them)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> "FileInfo":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"file_info: unknown keys {sorted(unknown)}")
        return cls(**data)


def read_potential(path: str | os.PathLike) -> PotentialFile:
    """Read and validate one ``.nn.ascii`` or binary ``.nn`` file (told apart by content); errors
    name the file, record and line (Fortran record for binary files)."""
    path = Path(path)
    what = ".nn.ascii file or ænet binary .nn file"
    data = read_file_bytes(path, what)  # read once, then told apart by content
    if looks_binary(data[:12]):  # ænet's binary .nn: the same records, one validation
        rec = RecordReader(path, binary_to_text(path, data), unit="Fortran record")
    else:
        rec = RecordReader(path, decode_text(path, data, what))
    network = NetworkSection.read(rec)
    setup = SetupSection.read(rec)
    trainset = TrainsetSection.read(rec)
    for k in range(rec.pos, len(rec.lines)):  # nothing but blank lines after the last record
        if rec.lines[k].strip():
            rec.fail("T10 E_min E_max E_av", "the end of the file after the last record", repr(rec.lines[k].strip()[:40]), k + 1)
    if network.nnodes[0] != setup.nsf:
        raise InputFileError(path, "record N5 nnodes", f"input layer size = nsf = {setup.nsf}", str(network.nnodes[0]))
    if setup.atomtype not in trainset.typenames:
        raise InputFileError(path, "record T6 typenames", f"the central species '{setup.atomtype}' among the type names", str(trainset.typenames))
    return PotentialFile(network, setup, trainset, str(path))


def write_potential(path: str | os.PathLike, potential: PotentialFile) -> None:
    """Write dialect P with round-trip floats, atomically."""
    atomic_write_text(path, potential.text())
