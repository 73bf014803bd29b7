"""A short-range repulsive core added to a potential: the ZBL screened nuclear repulsion with
LAMMPS's ``pair_style zbl`` switching, per species pair, below the shortest distance of the
training data (issue #10 item 6).

A network potential knows nothing below its shortest training distance and may fall there;
users then combine it with a repulsive core. In LAMMPS that is ``pair_style hybrid/overlay
taylorann zbl INNER OUTER [zbl INNER OUTER ...]``; ``lammps_commands`` writes those lines,
and ``energy_forces`` computes the same terms in Python for the ASE calculator, so both hosts
give one number. The ænet files are untouched: the core is a separate, documented term.

ZBL (Ziegler, Biersack, Littmark; formula as in LAMMPS's pair_zbl documentation):
E(r) = k Z_i Z_j / r · φ(r/a) + S(r), a = 0.46850 / (Z_i^0.23 + Z_j^0.23) Å,
φ(x) = 0.18175 e^(−3.19980x) + 0.50986 e^(−0.94229x) + 0.28022 e^(−0.40290x) + 0.02817 e^(−0.20162x),
k = 14.399645 eV·Å (LAMMPS metal units), S the switching of ``lj/gromacs``: energy, force and
curvature go to zero at ``outer``, starting at ``inner``; below ``inner`` a constant shift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputFileError
from .structures import Structure

COULOMB = 14.399645  # eV·Å, LAMMPS metal units (force->qqr2e)
_PHI = ((0.18175, 3.19980), (0.50986, 0.94229), (0.28022, 0.40290), (0.02817, 0.20162))
WIDTH = 0.5  # Å between inner and outer by default


def atomic_number(symbol: str) -> int:
    from ase.data import atomic_numbers

    if symbol not in atomic_numbers:
        raise ValueError(f"unknown element {symbol!r}")
    return atomic_numbers[symbol]


def _zbl(r: np.ndarray, zi: float, zj: float):
    """Unswitched ZBL energy and its first and second derivatives in r."""
    a = 0.46850 / (zi**0.23 + zj**0.23)
    k = COULOMB * zi * zj
    phi = sum(c * np.exp(-d * r / a) for c, d in _PHI)
    dphi = sum(-c * d / a * np.exp(-d * r / a) for c, d in _PHI)
    d2phi = sum(c * (d / a) ** 2 * np.exp(-d * r / a) for c, d in _PHI)
    e = k * phi / r
    de = k * (dphi / r - phi / r**2)
    d2e = k * (d2phi / r - 2 * dphi / r**2 + 2 * phi / r**3)
    return e, de, d2e


def zbl_pair(r: np.ndarray, zi: float, zj: float, inner: float, outer: float):
    """Switched ZBL energy (eV) and dE/dr (eV/Å) at distances r; zero at and beyond outer."""
    r = np.asarray(r, dtype=np.float64)
    e, de, _ = _zbl(r, zi, zj)
    ec, dec, d2ec = (float(v) for v in _zbl(np.array(outer), zi, zj))
    w = outer - inner
    # S' = -A t^2 - B t^3 (t = r - inner) cancels E' and E'' at outer; -C cancels E there
    A = (3.0 * dec - w * d2ec) / w**2
    B = (-2.0 * dec + w * d2ec) / w**3
    C = ec - A * w**3 / 3.0 - B * w**4 / 4.0
    t = np.clip(r - inner, 0.0, None)
    switching = t > 0
    s = np.where(switching, -A / 3.0 * t**3 - B / 4.0 * t**4, 0.0) - C
    ds = np.where(switching, -A * t**2 - B * t**3, 0.0)
    inside = r < outer
    return np.where(inside, e + s, 0.0), np.where(inside, de + ds, 0.0)


@dataclass
class Repulsion:
    """ZBL per unordered species pair: pairs[(A, B)] = (inner, outer) in Å, A <= B."""

    pairs: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)

    def cutoff(self) -> float:
        return max((o for _, o in self.pairs.values()), default=0.0)

    def energy_forces(self, structure: Structure):
        """(energy, per-atom energies, forces, virial W_ab = Σ r_a F_b) of the core."""
        from .neighbours import pairs

        n = structure.natoms
        energies, forces, virial = np.zeros(n), np.zeros((n, 3)), np.zeros((3, 3))
        if not self.pairs or n == 0:
            return 0.0, energies, forces, virial
        i, j, D = pairs(structure, self.cutoff(), "ijD")
        sym = np.array(structure.species)
        r = np.linalg.norm(D, axis=1)
        for (a, b), (inner, outer) in self.pairs.items():
            mask = ((sym[i] == a) & (sym[j] == b)) | ((sym[i] == b) & (sym[j] == a))
            if not mask.any():
                continue
            e, de = zbl_pair(r[mask], atomic_number(a), atomic_number(b), inner, outer)
            fij = (de / r[mask])[:, None] * D[mask]  # dE/d(r_j - r_i)
            np.add.at(energies, i[mask], 0.5 * e)
            np.add.at(energies, j[mask], 0.5 * e)
            np.add.at(forces, i[mask], fij)
            np.add.at(forces, j[mask], -fij)
            virial -= D[mask].T @ fij
        return float(energies.sum()), energies, forces, virial

    def lammps_commands(self, species: list[str], pair_coeff: str) -> list[str]:
        """``pair_style hybrid/overlay taylorann zbl ...`` and its ``pair_coeff`` lines for the
        LAMMPS types ``species`` (type k+1 = species[k]); ``pair_coeff`` is the taylorann
        line's file list, e.g. "Li.nn.ascii O.nn.ascii". One zbl instance per distinct
        (inner, outer); no pairs: plain ``pair_style taylorann``."""
        if not self.pairs:
            return ["pair_style taylorann", f"pair_coeff * * {pair_coeff} {' '.join(species)}"]
        groups = sorted({v for v in self.pairs.values()})
        style = "pair_style hybrid/overlay taylorann" + "".join(f" zbl {lo:g} {hi:g}" for lo, hi in groups)
        lines = [style, f"pair_coeff * * taylorann {pair_coeff} {' '.join(species)}"]
        numbered = len(groups) > 1
        for ti, a in enumerate(species, 1):
            for tj, b in enumerate(species, 1):
                if tj < ti or tuple(sorted((a, b))) not in self.pairs:
                    continue
                k = groups.index(self.pairs[tuple(sorted((a, b)))]) + 1
                name = f"zbl {k}" if numbered else "zbl"
                lines.append(f"pair_coeff {ti} {tj} {name} {atomic_number(a)} {atomic_number(b)}")
        return lines

    def to_json(self) -> dict:
        return {"kind": "zbl", "pairs": [{"species": list(k), "inner": v[0], "outer": v[1]} for k, v in sorted(self.pairs.items())]}

    @classmethod
    def from_json(cls, path: str | Path) -> "Repulsion":
        try:
            raw = json.loads(Path(path).read_text())
            assert raw["kind"] == "zbl"
            pairs = {}
            for p in raw["pairs"]:
                a, b = sorted(str(s) for s in p["species"])
                inner, outer = float(p["inner"]), float(p["outer"])
                atomic_number(a), atomic_number(b)
                if not 0.0 < inner < outer:
                    raise ValueError(f"{a}-{b}: need 0 < inner < outer, got {inner:g}, {outer:g}")
                pairs[(a, b)] = (inner, outer)
        except (OSError, ValueError, KeyError, TypeError, AssertionError) as exc:
            raise InputFileError(
                str(path), "repulsion", '{"kind": "zbl", "pairs": [{"species": [A, B], "inner": r1, "outer": r2}, ...]}', str(exc) or "another layout"
            ) from None
        return cls(pairs)


def shortest_distances(structures, cutoff: float = 4.0) -> dict[tuple[str, str], float]:
    """The shortest distance of every species pair met within ``cutoff`` in ``structures``."""
    from .neighbours import pairs

    out: dict[tuple[str, str], float] = {}
    for s in structures:
        i, j, d = pairs(s, cutoff, "ijd")
        sym = np.array(s.species)
        for a, b, r in zip(sym[i], sym[j], d):
            key = tuple(sorted((str(a), str(b))))
            if r < out.get(key, np.inf):
                out[key] = float(r)
    return out


def from_training_data(structures, species: list[str], width: float = WIDTH, cutoff: float = 4.0) -> Repulsion:
    """ZBL for every pair of ``species``, switched off at the pair's shortest training distance
    (rounded down to 0.05 Å; ``cutoff`` for pairs never closer than that), on over ``width``."""
    shortest = shortest_distances(structures, cutoff)
    pairs = {}
    for k, a in enumerate(sorted(species)):
        for b in sorted(species)[k:]:
            outer = float(np.floor(min(shortest.get((a, b), cutoff), cutoff) / 0.05) * 0.05)
            pairs[(a, b)] = (round(outer - width, 4), round(outer, 4))
    return Repulsion(pairs)
