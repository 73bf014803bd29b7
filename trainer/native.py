"""The C++ core (libtaylorann.so) from Python through its C API (ctypes).

One descriptor implementation serves training, ``predict``, ASE, LAMMPS and Tinker: the
trainer featurizes through :class:`NativeHandle` (descriptors and their derivatives with
respect to positions), and predictions of ``.nn.ascii`` models go through the same
evaluator that LAMMPS runs. A handle is used by one thread at a time; :class:`HandlePool`
holds one per thread and runs structures in parallel (ctypes releases the GIL), with
results independent of the number of threads.
"""

from __future__ import annotations

import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .binaries import core_library
from .contract import C_INT_NP, REAL_NP, species_indices
from .structures import Structure

OK, UNSUPPORTED, ERR_CAPACITY = 0, 4, 6
API_VERSION = 5
_DP = ctypes.POINTER(ctypes.c_double)
_IP = ctypes.POINTER(ctypes.c_int)
_LP = ctypes.POINTER(ctypes.c_int64)
_lib = None
_lib_lock = threading.Lock()


class NativeError(RuntimeError):
    """A failed C API call; the message is the library's (file, record, expectation)."""


def library() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            lib = ctypes.CDLL(str(core_library()))
            lib.taylorann_last_error.restype = ctypes.c_char_p
            lib.taylorann_destroy.restype = None
            if lib.taylorann_api_version() < API_VERSION:
                raise NativeError(f"{core_library()}: C API version {lib.taylorann_api_version()}, need {API_VERSION}; reinstall with 'pip install .'")
            _lib = lib
    return _lib


def _check(status: int) -> None:
    if status != OK:
        raise NativeError(library().taylorann_last_error().decode(errors="replace"))


def _ptr(array: np.ndarray | None, kind):
    return None if array is None else array.ctypes.data_as(kind)


@dataclass
class StructureFeatures:
    """Descriptors of one structure; ``blocks`` only when derivatives were asked for.

    ``G[i, f]`` raw descriptor f of atom i (rows zero-padded to the longest descriptor);
    block b: ``values[b, f, k] = dG[block_centre[b], f] / dx[block_atom[b], k]``."""

    G: np.ndarray
    block_centre: np.ndarray | None = None
    block_atom: np.ndarray | None = None
    values: np.ndarray | None = None


def structure_arrays(structure: Structure, species: Sequence[str]):
    """(x, species, cell, pbc) of ``structure`` as the C API takes them (contract.py)."""
    sp = species_indices(structure, species, dtype=C_INT_NP)
    x = np.ascontiguousarray(structure.positions, dtype=REAL_NP)
    cell = np.ascontiguousarray(structure.cell, dtype=REAL_NP) if structure.periodic else None
    pbc = np.array([int(p) for p in structure.pbc], dtype=C_INT_NP) if structure.periodic else None
    return x, sp, cell, pbc


class NativeHandle:
    """One ``taylorann_model`` handle (native ``.nn.ascii`` or TorchScript backend)."""

    def __init__(self, ptr: ctypes.c_void_p):
        self._ptr = ptr
        lib = library()
        n = ctypes.c_int()
        _check(lib.taylorann_num_species(self._ptr, ctypes.byref(n)))
        buf = ctypes.create_string_buffer(64)
        self.species = []
        for k in range(n.value):
            _check(lib.taylorann_species_name(self._ptr, k, buf, 64))
            self.species.append(buf.value.decode())
        _check(lib.taylorann_backend_name(self._ptr, buf, 64))
        self.backend = buf.value.decode()
        rc = ctypes.c_double()
        _check(lib.taylorann_cutoff(self._ptr, ctypes.byref(rc)))
        self.cutoff = rc.value

    @classmethod
    def from_files(cls, paths: Sequence[str], legacy_angular: bool = False) -> "NativeHandle":
        ptr = ctypes.c_void_p()
        arr = (ctypes.c_char_p * len(paths))(*(str(p).encode() for p in paths))
        _check(library().taylorann_create(arr, len(paths), int(legacy_angular), ctypes.byref(ptr)))
        return cls(ptr)

    @classmethod
    def from_texts(cls, names: Sequence[str], texts: Sequence[str], legacy_angular: bool = False) -> "NativeHandle":
        ptr = ctypes.c_void_p()
        n = len(texts)
        names_c = (ctypes.c_char_p * n)(*(s.encode() for s in names))
        texts_c = (ctypes.c_char_p * n)(*(t.encode() for t in texts))
        _check(library().taylorann_create_nnascii_text(names_c, texts_c, n, int(legacy_angular), ctypes.byref(ptr)))
        return cls(ptr)

    def __del__(self):
        if getattr(self, "_ptr", None):
            library().taylorann_destroy(self._ptr)
            self._ptr = None

    def reference_energies(self) -> list[float]:
        out = []
        for k in range(len(self.species)):
            e = ctypes.c_double()
            _check(library().taylorann_reference_energy(self._ptr, k, ctypes.byref(e)))
            out.append(e.value)
        return out

    def num_features(self, species: int) -> int:
        n = ctypes.c_int()
        _check(library().taylorann_num_features(self._ptr, species, ctypes.byref(n)))
        return n.value

    def row_length(self) -> int:
        return max(self.num_features(t) for t in range(len(self.species)))

    def features(self, structure: Structure, derivatives: bool = False) -> StructureFeatures:
        x, sp, cell, pbc = structure_arrays(structure, self.species)
        n = len(sp)
        ld = self.row_length()
        G = np.zeros((n, ld))
        if not derivatives:
            _check(
                library().taylorann_features_periodic(
                    self._ptr, n, _ptr(x, _DP), _ptr(sp, _IP), _ptr(cell, _DP), _ptr(pbc, _IP), ld, _ptr(G, _DP), 0, None, None, None, None
                )
            )
            return StructureFeatures(G)
        capacity = n * n  # always enough: one block per (centre, atom) pair at most
        count = ctypes.c_int64()
        centre = np.empty(capacity, dtype=np.int32)
        atom = np.empty(capacity, dtype=np.int32)
        values = np.empty((capacity, ld, 3))  # the library fills every block it reports
        _check(
            library().taylorann_features_periodic(
                self._ptr,
                n,
                _ptr(x, _DP),
                _ptr(sp, _IP),
                _ptr(cell, _DP),
                _ptr(pbc, _IP),
                ld,
                _ptr(G, _DP),
                capacity,
                ctypes.byref(count),
                _ptr(centre, _IP),
                _ptr(atom, _IP),
                _ptr(values, _DP),
            )
        )
        m = count.value
        return StructureFeatures(G, centre[:m], atom[:m], values[:m])

    def features_many(self, structures: Sequence[Structure]) -> np.ndarray:
        """Descriptors of all ``structures`` in one call: (total atoms, ld), rows in
        structure then atom order (each structure as ``features(s).G``)."""
        index = {name: k for k, name in enumerate(self.species)}
        try:
            sp = np.fromiter((index[x] for s in structures for x in s.species), dtype=C_INT_NP)
        except KeyError:  # the contract's message names the structure and the species
            sp = np.concatenate([species_indices(s, self.species, dtype=C_INT_NP) for s in structures])
        natoms = np.array([s.natoms for s in structures], dtype=C_INT_NP)
        x = np.ascontiguousarray(np.concatenate([s.positions for s in structures]) if structures else np.zeros((0, 3)), dtype=REAL_NP)
        cells = np.zeros((len(structures), 3, 3), dtype=REAL_NP)
        pbc = np.zeros((len(structures), 3), dtype=C_INT_NP)
        for k, s in enumerate(structures):
            if s.periodic:
                cells[k] = s.cell
                pbc[k] = s.pbc
        G = np.zeros((len(sp), self.row_length()))
        _check(
            library().taylorann_features_many(
                self._ptr, len(structures), _ptr(natoms, _IP), _ptr(x, _DP), _ptr(sp, _IP), _ptr(cells, _DP), _ptr(pbc, _IP), G.shape[1], _ptr(G, _DP)
            )
        )
        return G

    def features_dense(self, structure: Structure, G: np.ndarray, J: np.ndarray) -> None:
        """Descriptors into ``G`` (n, ld) and the whole derivative into ``J`` (n·ld, n·3):
        ``J[i·ld + f, k·3 + c] = dG[i, f]/dx[k, c]`` (both C-contiguous float64, overwritten)."""
        x, sp, cell, pbc = structure_arrays(structure, self.species)
        n, ld = len(sp), G.shape[1]
        if G.shape != (n, ld) or J.shape != (n * ld, n * 3) or not (G.flags.c_contiguous and J.flags.c_contiguous):
            raise ValueError(f"features_dense: G must be ({n}, ld) and J ({n}*ld, {n * 3}), C-contiguous")
        _check(library().taylorann_features_dense(self._ptr, n, _ptr(x, _DP), _ptr(sp, _IP), _ptr(cell, _DP), _ptr(pbc, _IP), ld, _ptr(G, _DP), _ptr(J, _DP)))

    def compute(self, structure: Structure):
        """Energy (eV), atomic energies, forces (eV/Å) and virial W_ab = Σ r_a F_b (eV)."""
        return self.compute_indexed(structure)[:4]

    def compute_indexed(self, structure: Structure):
        """``compute`` and the species index of every atom (the handle's species order)."""
        x, sp, cell, pbc = structure_arrays(structure, self.species)
        n = len(sp)
        e, ea, f, w = ctypes.c_double(), np.zeros(n), np.zeros((n, 3)), np.zeros(6)  # the C API accumulates
        _check(
            library().taylorann_compute_periodic(
                self._ptr, n, _ptr(x, _DP), _ptr(sp, _IP), _ptr(cell, _DP), _ptr(pbc, _IP), ctypes.byref(e), _ptr(ea, _DP), _ptr(f, _DP), _ptr(w, _DP)
            )
        )
        return e.value, ea, f, voigt_to_matrix(w), sp

    def extrapolation(self) -> np.ndarray | None:
        """Atoms (indices of the last compute's structure) whose descriptor left the training
        range of the potential files; None for a backend that cannot tell (TorchScript)."""
        count = ctypes.c_int64()
        lib = library()
        status = lib.taylorann_extrapolation(self._ptr, ctypes.byref(count), None, ctypes.c_int64(0))
        if status == UNSUPPORTED:
            return None
        _check(status)
        atoms = np.zeros(count.value, dtype=np.int32)
        _check(lib.taylorann_extrapolation(self._ptr, ctypes.byref(count), _ptr(atoms, _IP), ctypes.c_int64(len(atoms))))
        return atoms.astype(np.int64)


def voigt_to_matrix(w: np.ndarray) -> np.ndarray:
    """The symmetric 3x3 virial of the C API's six values xx yy zz xy xz yz."""
    xx, yy, zz, xy, xz, yz = w
    return np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])


class HandlePool:
    """One handle per worker thread; ``map`` keeps the order of its inputs."""

    def __init__(self, make: Callable[[], NativeHandle], threads: int = 1):
        self.threads = max(1, int(threads))
        self._handles = [make() for _ in range(self.threads)]
        self.species = self._handles[0].species
        self.cutoff = self._handles[0].cutoff

    def map(self, work: Callable[[NativeHandle, object], object], items: Sequence) -> list:
        if self.threads == 1 or len(items) < 2:
            return [work(self._handles[0], it) for it in items]
        chunks = [items[k :: self.threads] for k in range(self.threads)]
        with ThreadPoolExecutor(self.threads) as ex:
            parts = list(ex.map(lambda hc: [work(hc[0], it) for it in hc[1]], zip(self._handles, chunks)))
        out = [None] * len(items)
        for k, part in enumerate(parts):
            out[k :: self.threads] = part
        return out
