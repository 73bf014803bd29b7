"""ænet's binary ``.nn`` potential files (what ænet 2.0.4's ``train.x`` writes), read and write.

A binary ``.nn`` file is Fortran unformatted sequential output (gfortran: each record is a
4-byte little-endian length, the payload, the length again) of three save routines called in
order on one unit: the network (feedforward.f90 ``save_Network``), the descriptor set-up
(sfsetup.f90 ``save_Setup``) and the training-set information (trainset.f90
``save_TrnSet_info``). One record per variable, in the order of AENET_FORMAT.md's records, so
record k of the binary file is line k of a dialect-P ``.nn.ascii`` file:

====  ===================  =========================  ====  ====================  =========
N1-4  nlayers .. nvalues   int32                      S9    nsfparam              int32
N5    nnodes(nlayers)      int32                      S10   sf(nsf)               int32
N6    f_a(2:nlayers)       int32                      S11   sfparam(4, nsf)       float64
N7-8  iw, iv (nlayers)     int32                      S12   sfenv(2, nsf)         int32
N9    W(Wsize)             float64                    S13   neval                 int32
S1    description          character(1024)            S14+  sfval_min..cov (nsf)  float64
S2    atomtype             character(2)               T1    file                  char(1024)
S3    nenv                 int32                      T2    normalized            logical(4)
S4    envtypes(nenv)       character(2) each          T3-4  scale, shift          float64
S5-6  Rc_min, Rc_max       float64                    T5    nTypes                int32
S7    sftype               character(100)             T6    typeName(nTypes)      char(2) each
S8    nsf                  int32                      T7    E_atom(nTypes)        float64
                                                      T8-9  nAtomsTot, nStrucs    int32
                                                      T10   E_min, E_max, E_av    float64
====  ===================  =========================  ====  ====================  =========

Reading turns the records into that text and hands it to the ``.nn.ascii`` reader, so both
formats pass one validation (messages then name the Fortran record instead of the line).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from .atomic_io import atomic_write_bytes
from .errors import InputFileError

DESCRIPTION_LEN, TYPE_LEN, SFTYPE_LEN, PATH_LEN = 1024, 2, 100, 1024

# (record name, kind) in file order; kind: i = int32 values, d = float64 values, cN = one
# character(N) string, tN = character(N) strings (a list of species), l = logical(4)
LAYOUT = [
    ("N1 nlayers", "i"),
    ("N2 nnodes_max", "i"),
    ("N3 Wsize", "i"),
    ("N4 nvalues", "i"),
    ("N5 nnodes", "i"),
    ("N6 f_a", "i"),
    ("N7 iw", "i"),
    ("N8 iv", "i"),
    ("N9 W", "d"),
    ("S1 description", f"c{DESCRIPTION_LEN}"),
    ("S2 atomtype", f"c{TYPE_LEN}"),
    ("S3 nenv", "i"),
    ("S4 envtypes", f"t{TYPE_LEN}"),
    ("S5 Rc_min", "d"),
    ("S6 Rc_max", "d"),
    ("S7 sftype", f"c{SFTYPE_LEN}"),
    ("S8 nsf", "i"),
    ("S9 nsfparam", "i"),
    ("S10 sf", "i"),
    ("S11 sfparam", "d"),
    ("S12 sfenv", "i"),
    ("S13 neval", "i"),
    ("S14 sfval_min", "d"),
    ("S15 sfval_max", "d"),
    ("S16 sfval_avg", "d"),
    ("S17 sfval_cov", "d"),
    ("T1 file", f"c{PATH_LEN}"),
    ("T2 normalized", "l"),
    ("T3 scale", "d"),
    ("T4 shift", "d"),
    ("T5 ntypes", "i"),
    ("T6 typenames", f"t{TYPE_LEN}"),
    ("T7 E_atom", "d"),
    ("T8 natomtot", "i"),
    ("T9 nstrucs", "i"),
    ("T10 E_min E_max E_av", "d"),
]


def looks_binary(head: bytes) -> bool:
    """True when ``head`` starts like an ænet binary ``.nn`` file: a 4-byte record (nlayers)."""
    if len(head) < 12:
        return False
    first, nlayers, last = struct.unpack("<iii", head[:12])
    return first == 4 and last == 4 and 2 <= nlayers <= 1000


def _records(path, data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        k = len(out) + 1
        name = LAYOUT[k - 1][0] if k <= len(LAYOUT) else "after T10"
        if pos + 4 > len(data):
            raise InputFileError(path, f"Fortran record {k} ({name})", "a 4-byte record length", "end of file")
        (size,) = struct.unpack("<i", data[pos : pos + 4])
        end = pos + 4 + size
        if size < 0 or end + 4 > len(data) or struct.unpack("<i", data[end : end + 4])[0] != size:
            raise InputFileError(path, f"Fortran record {k} ({name})", "a record framed by equal 4-byte lengths", "a damaged or truncated record")
        out.append(data[pos + 4 : end])
        pos = end + 4
    return out


def _text(path, k: int, name: str, kind: str, payload: bytes) -> str:
    where = f"Fortran record {k} ({name})"
    if kind in ("i", "l", "d"):
        width = 8 if kind == "d" else 4
        if len(payload) % width or (kind == "l" and len(payload) != 4):
            raise InputFileError(path, where, f"{'one' if kind == 'l' else 'a whole number of'} {width}-byte values", f"{len(payload)} bytes")
        values = np.frombuffer(payload, dtype="<f8" if kind == "d" else "<i4")
        if kind == "l":
            return "T" if values[0] != 0 else "F"
        return " ".join(repr(float(v)) if kind == "d" else str(int(v)) for v in values)
    width = int(kind[1:])
    if (kind[0] == "c" and len(payload) != width) or len(payload) % width:
        raise InputFileError(path, where, f"character({width}) " + ("text" if kind[0] == "c" else "names"), f"{len(payload)} bytes")
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise InputFileError(path, where, "ASCII text", "other bytes") from None
    if not text.isprintable():
        raise InputFileError(path, where, "printable text", "control characters")
    if kind[0] == "c":
        return text.strip()
    return " ".join(text[i : i + width].strip() for i in range(0, len(text), width))


def binary_to_text(path, data: bytes) -> str:
    """The dialect-P ``.nn.ascii`` text of a binary file: line k = Fortran record k."""
    records = _records(path, data)
    if len(records) != len(LAYOUT):
        k = min(len(records), len(LAYOUT)) + 1
        name = LAYOUT[k - 1][0] if k <= len(LAYOUT) else "after T10"
        raise InputFileError(path, f"Fortran record {k} ({name})", f"{len(LAYOUT)} records (network, set-up, training set)", f"{len(records)}")
    return "\n".join(_text(path, k, name, kind, payload) for k, ((name, kind), payload) in enumerate(zip(LAYOUT, records), 1)) + "\n"


# ------------------------------------------------------------------------------------- writing
def _frame(payload: bytes) -> bytes:
    return struct.pack("<i", len(payload)) + payload + struct.pack("<i", len(payload))


def _chars(value: str, width: int, what: str, path) -> bytes:
    if len(value) > width:
        raise ValueError(f"{path}: {what} '{value}' is longer than ænet's character({width})")
    return value.ljust(width).encode("ascii")


def binary_bytes(potential, path="") -> bytes:
    """The binary ``.nn`` bytes of a PotentialFile (trainer.nnascii)."""
    net, s, t = potential.network, potential.setup, potential.trainset
    iw, iv = net.offsets()
    i4 = lambda values: np.asarray(values, dtype="<i4").tobytes()  # noqa: E731
    f8 = lambda values: np.asarray(values, dtype="<f8").tobytes()  # noqa: E731
    payloads = [
        i4([net.nlayers]),
        i4([max(net.nnodes)]),
        i4([iw[-1]]),
        i4([iv[-1] + net.nnodes[-1]]),
        i4(net.nnodes),
        i4(net.activations),
        i4(iw),
        i4(iv),
        f8(net.weights),
        _chars(s.description[:DESCRIPTION_LEN], DESCRIPTION_LEN, "description", path),
        _chars(s.atomtype, TYPE_LEN, "species", path),
        i4([len(s.envtypes)]),
        b"".join(_chars(e, TYPE_LEN, "species", path) for e in s.envtypes),
        f8([s.rc_min]),
        f8([s.rc_max]),
        _chars(s.sftype, SFTYPE_LEN, "descriptor type", path),
        i4([s.nsf]),
        i4([s.sfparam.shape[0]]),
        i4(s.sf),
        f8(s.sfparam.T.reshape(-1)),
        i4(np.asarray(s.sfenv).T.reshape(-1)),
        i4([s.neval]),
        f8(s.sfval_min),
        f8(s.sfval_max),
        f8(s.sfval_avg),
        f8(s.sfval_cov),
        _chars(t.file[:PATH_LEN], PATH_LEN, "training-set file", path),
        i4([1 if t.normalized else 0]),
        f8([t.scale]),
        f8([t.shift]),
        i4([len(t.typenames)]),
        b"".join(_chars(n, TYPE_LEN, "species", path) for n in t.typenames),
        f8(t.e_atom),
        i4([t.natomtot]),
        i4([t.nstrucs]),
        f8(t.e_stats),
    ]
    assert len(payloads) == len(LAYOUT)
    return b"".join(_frame(p) for p in payloads)


def write_potential_binary(path: str | os.PathLike, potential) -> None:
    """Write ``path`` as ænet 2.0.4's train.x would (gfortran record markers), atomically."""
    atomic_write_bytes(Path(path), binary_bytes(potential, path))
