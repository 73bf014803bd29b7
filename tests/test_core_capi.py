"""The C API of libtaylorann.so through ctypes: energies vs ænet predict.out, finite-difference
forces and virial, neighbour search edge cases, and error codes/messages for corrupted files."""

from __future__ import annotations

import ctypes

import ase.io
import numpy as np
import pytest

from conftest_lammps import POTENTIAL, predict_out, structure

OK, ERR_IO, ERR_FORMAT, ERR_ARGUMENT = 0, 1, 2, 3
DP = ctypes.POINTER(ctypes.c_double)
IP = ctypes.POINTER(ctypes.c_int)


@pytest.fixture(scope="module")
def lib():
    from trainer.binaries import core_library

    lib = ctypes.CDLL(str(core_library()))
    lib.taylorann_last_error.restype = ctypes.c_char_p
    lib.taylorann_destroy.restype = None
    return lib


class Handle:
    def __init__(self, lib, paths, legacy=False):
        self.lib = lib
        self.ptr = ctypes.c_void_p()
        arr = (ctypes.c_char_p * len(paths))(*(str(p).encode() for p in paths))
        self.status = lib.taylorann_create(arr, len(paths), int(legacy), ctypes.byref(self.ptr))
        self.message = lib.taylorann_last_error().decode()

    def __del__(self):
        if self.ptr:
            self.lib.taylorann_destroy(self.ptr)

    def compute(self, positions, species, cell=None, pbc=None):
        x = np.ascontiguousarray(positions, dtype=float)
        n = len(x)
        sp = np.ascontiguousarray(species, dtype=np.int32)
        c = None if cell is None else np.ascontiguousarray(cell, dtype=float).ctypes.data_as(DP)
        p = None if pbc is None else np.ascontiguousarray(pbc, dtype=np.int32).ctypes.data_as(IP)
        e, ea, f, v = ctypes.c_double(), np.zeros(n), np.zeros((n, 3)), np.zeros(6)
        status = self.lib.taylorann_compute_periodic(
            self.ptr, n, x.ctypes.data_as(DP), sp.ctypes.data_as(IP), c, p, ctypes.byref(e), ea.ctypes.data_as(DP), f.ctypes.data_as(DP), v.ctypes.data_as(DP)
        )
        assert status == OK, self.lib.taylorann_last_error()
        xx, yy, zz, xy, xz, yz = v  # API v4: six values, LAMMPS order
        return e.value, ea, f, np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])


def _atoms(k):
    atoms = ase.io.read(structure(k))
    species = [0 if s == "Ti" else 1 for s in atoms.get_chemical_symbols()]
    return atoms, species


def test_version_species_cutoff(lib):
    assert lib.taylorann_api_version() == 5
    h = Handle(lib, POTENTIAL)
    assert h.status == OK, h.message
    n = ctypes.c_int()
    assert lib.taylorann_num_species(h.ptr, ctypes.byref(n)) == OK and n.value == 2
    buf = ctypes.create_string_buffer(8)
    names = []
    for k in range(2):
        assert lib.taylorann_species_name(h.ptr, k, buf, 8) == OK
        names.append(buf.value.decode())
    assert names == ["Ti", "O"]
    rc = ctypes.c_double()
    assert lib.taylorann_cutoff(h.ptr, ctypes.byref(rc)) == OK and rc.value == 6.5
    eref = ctypes.c_double()
    assert lib.taylorann_reference_energy(h.ptr, 1, ctypes.byref(eref)) == OK
    assert eref.value == -432.503149303
    assert lib.taylorann_species_name(h.ptr, 5, buf, 8) == ERR_ARGUMENT
    assert "index out of range" in lib.taylorann_last_error().decode()


@pytest.mark.parametrize("k", [1, 2, 3])
def test_energy_matches_predict_out(lib, k):
    atoms, species = _atoms(k)
    h = Handle(lib, POTENTIAL)
    e, eatom, f, _ = h.compute(atoms.positions, species, atoms.cell.array)
    coh, total = predict_out()[structure(k).name]
    assert abs(e - total) <= 1e-6
    eref = np.array([-1604.604515075, -432.503149303])[species]
    assert abs((eatom - eref).sum() - coh) <= 1e-6
    assert abs(eatom.sum() - e) <= 1e-8
    assert np.abs(f.sum(axis=0)).max() < 1e-10


def test_forces_finite_differences(lib):
    atoms, species = _atoms(2)
    h = Handle(lib, POTENTIAL)
    _, _, f, _ = h.compute(atoms.positions, species, atoms.cell.array)
    step = 1e-4
    rng = np.random.default_rng(7)
    for a in rng.choice(len(atoms), 8, replace=False):
        for d in range(3):
            x = atoms.positions.copy()
            x[a, d] += step
            ep = h.compute(x, species, atoms.cell.array)[0]
            x[a, d] -= 2 * step
            em = h.compute(x, species, atoms.cell.array)[0]
            assert abs(-(ep - em) / (2 * step) - f[a, d]) <= 1e-6


def test_virial_finite_differences(lib):
    """W_ab = sum r_a F_b = -dE/d(strain_ab) for a homogeneous deformation x -> x (1 + eps)."""
    atoms, species = _atoms(2)
    h = Handle(lib, POTENTIAL)
    _, _, _, w = h.compute(atoms.positions, species, atoms.cell.array)
    step = 1e-5
    numeric = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            energies = []
            for sign in (1, -1):
                eps = np.eye(3)
                eps[a, b] += sign * step
                energies.append(h.compute(atoms.positions @ eps, species, atoms.cell.array @ eps)[0])
            numeric[a, b] = -(energies[0] - energies[1]) / (2 * step)
    assert np.abs(w - numeric).max() <= 1e-6 * np.abs(w).max()
    # The API returns the six values of a symmetric W (v4); that W is symmetric is checked on
    # the strain derivatives themselves, all nine of them, and on the nine values of the
    # independent torch evaluator, which must equal the core's six.
    assert np.abs(numeric - numeric.T).max() <= 1e-6 * np.abs(w).max()
    from export.loading import load_potential
    from trainer.evaluate import predict
    from trainer.structures import Structure

    s = Structure.from_ase(atoms)
    s.energy = s.forces = None
    w9 = predict(load_potential([str(p) for p in POTENTIAL]), s, virial=True).virial
    assert np.abs(w9 - w9.T).max() <= 1e-9 * np.abs(w9).max()
    assert np.abs(w9 - w).max() <= 1e-9 * np.abs(w).max()


def test_compute_periodic_accumulates_into_every_output(lib):
    """API v4: one output convention for both compute calls. Energy is overwritten; atomic
    energies, forces and the six virial values are added to what the caller passes."""
    atoms, species = _atoms(2)
    h = Handle(lib, POTENTIAL)
    x = np.ascontiguousarray(atoms.positions)
    sp = np.ascontiguousarray(species, dtype=np.int32)
    cell = np.ascontiguousarray(atoms.cell.array)
    n = len(x)
    e, ea, f, v = ctypes.c_double(123.0), np.full(n, 1.0), np.full((n, 3), 2.0), np.full(6, 3.0)
    st = lib.taylorann_compute_periodic(
        h.ptr,
        n,
        x.ctypes.data_as(DP),
        sp.ctypes.data_as(IP),
        cell.ctypes.data_as(DP),
        None,
        ctypes.byref(e),
        ea.ctypes.data_as(DP),
        f.ctypes.data_as(DP),
        v.ctypes.data_as(DP),
    )
    assert st == OK
    e0, ea0, f0, w0 = h.compute(atoms.positions, species, atoms.cell.array)
    assert e.value == e0
    np.testing.assert_allclose(ea, ea0 + 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(f, f0 + 2.0, rtol=0, atol=1e-12)
    voigt = np.array([w0[0, 0], w0[1, 1], w0[2, 2], w0[0, 1], w0[0, 2], w0[1, 2]])
    np.testing.assert_allclose(v, voigt + 3.0, rtol=0, atol=1e-10)
    assert abs(ea0.sum() - e0) <= 1e-9


def test_small_and_triclinic_cells_match_supercell(lib):
    """Cells shorter than twice the cut-off: energy per cell must not depend on the replication."""
    atoms, species = _atoms(2)
    atoms.set_cell(atoms.cell.array @ np.array([[1, 0, 0], [0.3, 1, 0], [0.2, -0.4, 1]]), scale_atoms=True)
    h = Handle(lib, POTENTIAL)
    e1 = h.compute(atoms.positions, species, atoms.cell.array)[0]
    big = atoms.repeat((2, 1, 3))
    e6 = h.compute(big.positions, species * 6, big.cell.array)[0]
    assert abs(e6 - 6 * e1) <= 1e-8 * abs(e6)


def test_isolated_cluster_forces(lib):
    atoms, species = _atoms(1)
    h = Handle(lib, POTENTIAL)
    e, _, f, w = h.compute(atoms.positions, species)  # no cell: isolated
    e_pbc = h.compute(atoms.positions, species, atoms.cell.array)[0]
    assert abs(e - e_pbc) > 1.0
    x = atoms.positions.copy()
    x[4, 1] += 1e-4
    ep = h.compute(x, species)[0]
    x[4, 1] -= 2e-4
    em = h.compute(x, species)[0]
    assert abs(-(ep - em) / 2e-4 - f[4, 1]) <= 1e-6
    np.testing.assert_allclose(f.sum(axis=0), 0, atol=1e-10)


def test_mixed_periodicity(lib):
    """A slab (pbc 1 1 0) equals the same atoms in a periodic cell with > 2 cut-offs of vacuum
    along c, and differs from the bulk and the isolated cluster."""
    atoms, species = _atoms(1)
    h = Handle(lib, POTENTIAL)
    slab = h.compute(atoms.positions, species, atoms.cell.array, pbc=[1, 1, 0])[0]
    padded_cell = atoms.cell.array.copy()
    padded_cell[2] = [0.0, 0.0, padded_cell[2, 2] + 3 * 6.5]  # structure-001 is orthorhombic
    padded = h.compute(atoms.positions, species, padded_cell)[0]
    full = h.compute(atoms.positions, species, atoms.cell.array)[0]
    iso = h.compute(atoms.positions, species)[0]
    assert abs(slab - padded) < 1e-9
    assert len({round(slab, 6), round(full, 6), round(iso, 6)}) == 3


def _lines():
    return POTENTIAL[0].read_text().splitlines()


def _replace_token(line, index, value):
    tokens = line.split()
    tokens[index] = value
    return " ".join(tokens)


def _corruptions():
    """(name, edit of the Ti.nn.ascii lines, expected status, expected message fragment)."""
    L = _lines()
    out = [
        ("empty", lambda ls: [], ERR_FORMAT, "record N1 nlayers: file truncated: expected 1 integer"),
        (
            "truncated_weights",
            lambda ls: ls[:8] + [" ".join(ls[8].split()[:100])],
            ERR_FORMAT,
            "record N9 W: file truncated: expected 321 reals starting at line 9, found 100",
        ),
        ("truncated_trainset", lambda ls: ls[:30], ERR_FORMAT, "record T5 ntypes: file truncated"),
        ("wrong_wsize", lambda ls: ls[:2] + ["320"] + ls[3:], ERR_FORMAT, "record N3 Wsize (line 3): found 320, expected 321"),
        ("wrong_offsets", lambda ls: ls[:6] + ["0 285 316 321"] + ls[7:], ERR_FORMAT, "record N7 iw (line 7): iw(3) = 316, expected 315"),
        ("unknown_activation", lambda ls: ls[:5] + ["1 7 0"] + ls[6:], ERR_FORMAT, "record N6 f_a (line 6): unknown activation code 7 for layer 3"),
        (
            "nan_weight",
            lambda ls: ls[:8] + [_replace_token(ls[8], 5, "NaN")] + ls[9:],
            ERR_FORMAT,
            "record N9 W (line 9): expected a real number, found 'NaN' (value 6)",
        ),  # not Fortran's grammar
        (
            "overflowing_weight",
            lambda ls: ls[:8] + [_replace_token(ls[8], 5, "1e999")] + ls[9:],
            ERR_FORMAT,
            "record N9 W (line 9): non-finite value '1e999' (value 6)",
        ),
        ("bad_integer", lambda ls: ["four"] + ls[1:], ERR_FORMAT, "record N1 nlayers (line 1): expected an integer, found 'four'"),
        # nsf 55 with 56 entries per record: the integer block after sfparam is where it shows
        # (the Python reader names the same record and line, tests/test_nnascii.py "wrong nsf")
        ("inconsistent_nsf", lambda ls: ls[:16] + ["55"] + ls[17:], ERR_FORMAT, "record S12 sfenv (line 21): expected 110 integers (2 x nsf), found 112"),
        ("unknown_descriptor", lambda ls: ls[:15] + ["Gaussian"] + ls[16:], ERR_FORMAT, "record S7 sftype (line 16): unknown descriptor type 'gaussian'"),
        ("bad_logical", lambda ls: ls[:27] + ["maybe"] + ls[28:], ERR_FORMAT, "record T2 normalized"),
        ("zero_scale", lambda ls: ls[:28] + ["0.0"] + ls[29:], ERR_FORMAT, "record T3 scale"),
        ("no_reference_energy", lambda ls: ls[:31] + ["Zr O"] + ls[32:], ERR_FORMAT, "central species 'Ti' has no reference energy (types listed: Zr O)"),
    ]
    assert len(L) == 36
    return out


@pytest.mark.parametrize("name,edit,status,fragment", _corruptions(), ids=[c[0] for c in _corruptions()])
def test_corrupted_files_report_file_record_and_expectation(lib, tmp_path, name, edit, status, fragment):
    path = tmp_path / "Ti.nn.ascii"
    path.write_text("\n".join(edit(_lines())) + "\n")
    h = Handle(lib, [path, POTENTIAL[1]])
    assert h.status == status, h.message
    assert str(path) in h.message
    assert fragment in h.message, h.message
    assert not h.ptr


def test_missing_file_and_bad_arguments(lib, tmp_path):
    h = Handle(lib, [tmp_path / "nope.nn.ascii"])
    assert h.status == ERR_IO and "nope.nn.ascii: cannot open potential file" in h.message
    h = Handle(lib, [POTENTIAL[0], POTENTIAL[0]])
    assert h.status == ERR_ARGUMENT and "species 'Ti' already provided" in h.message
    h = Handle(lib, [POTENTIAL[0]])  # Ti alone: fine, O simply is not a model species
    assert h.status == OK
    good = Handle(lib, POTENTIAL)
    x = np.zeros((2, 3))
    bad = np.array([0, 5], dtype=np.int32)
    e = ctypes.c_double()
    st = lib.taylorann_compute_periodic(good.ptr, 2, x.ctypes.data_as(DP), bad.ctypes.data_as(IP), None, None, ctypes.byref(e), None, None, None)
    assert st == ERR_ARGUMENT
    assert "atom 1 has species index 5, expected 0..1" in lib.taylorann_last_error().decode()


def test_coordinates_far_outside_are_refused(lib):
    """A coordinate of 1e11 Å in a 9 Å cell: image counts overflow int and float64 keeps 1e-5 Å,
    so the core refuses |x| > 1e6 Å instead of returning a wrong energy (fuzz seed 10001)."""
    atoms, species = _atoms(2)
    h = Handle(lib, POTENTIAL)
    x = atoms.positions.copy()
    x[1, 2] = 1e11
    sp = np.ascontiguousarray(species, dtype=np.int32)
    cell = np.ascontiguousarray(atoms.cell.array)
    e = ctypes.c_double()
    st = lib.taylorann_compute_periodic(
        h.ptr, len(x), x.ctypes.data_as(DP), sp.ctypes.data_as(IP), cell.ctypes.data_as(DP), None, ctypes.byref(e), None, None, None
    )
    assert st == ERR_ARGUMENT
    assert "atom 1: coordinate z = 100000000000.000000 Å, expected within ±1e6 Å" in lib.taylorann_last_error().decode()
    sheared = cell.copy()
    sheared[2, 0] = 1e11  # same volume, an endless image search (fuzz seed 10001, mutant 3953)
    st = lib.taylorann_compute_periodic(
        h.ptr, len(x), atoms.positions.ctypes.data_as(DP), sp.ctypes.data_as(IP), sheared.ctypes.data_as(DP), None, ctypes.byref(e), None, None, None
    )
    assert st == ERR_ARGUMENT
    assert "cell vector 3 has length 100000000000.000000 Å, expected at most 1e6 Å" in lib.taylorann_last_error().decode()
    x[1, 2] = atoms.positions[1, 2] + 3 * atoms.cell.array[2, 2]  # three cells out: fine, same energy
    e0 = h.compute(atoms.positions, species, atoms.cell.array)[0]
    assert abs(h.compute(x, species, atoms.cell.array)[0] - e0) <= 1e-11 * abs(e0)  # summation order only


def test_fortran_dialect_is_read(lib, tmp_path):
    """Dialect F: 4 values per line, names one per line: same numbers as dialect P."""
    L = _lines()
    out = []
    for i, line in enumerate(L):
        tokens = line.split()
        if i in (9, 10, 15, 26):  # text records
            out.append(line)
        elif i in (12, 31):  # names, one per line
            out += tokens
        else:
            out += [" ".join(tokens[k : k + 4]) for k in range(0, len(tokens), 4)]
    path = tmp_path / "Ti.nn.ascii"
    path.write_text("\n".join(out) + "\n")
    atoms, species = _atoms(1)
    e_f = Handle(lib, [path, POTENTIAL[1]]).compute(atoms.positions, species, atoms.cell.array)[0]
    e_p = Handle(lib, POTENTIAL).compute(atoms.positions, species, atoms.cell.array)[0]
    assert e_f == e_p


def test_radial_only_potential_matches_python(lib, tmp_path):
    """Chebyshev angular order -1 (no angular block, e.g. the LJ-dimer example's 11-5-5-1 network)."""
    from conftest import write_random_potential
    from trainer.evaluate import predict
    from trainer.structures import Structure

    model, paths = write_random_potential(
        tmp_path, {"radial_cutoff": 4.5, "radial_order": 10, "angular_cutoff": 3.0, "angular_order": -1}, {"hidden": [5, 5]}, scale_shift=(1.0, 0.0)
    )
    h = Handle(lib, paths)
    assert h.status == OK, h.message
    atoms, species = _atoms(1)
    s = Structure(atoms.positions, atoms.get_chemical_symbols(), cell=atoms.cell.array, pbc=(True,) * 3)
    ref = predict(model, s, forces=True)
    e, _, f, _ = h.compute(atoms.positions, species, atoms.cell.array)
    assert abs(e - ref.energy) <= 1e-8 and np.abs(f - ref.forces).max() <= 1e-8
