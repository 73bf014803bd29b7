"""Behler2011 (G1-G5) descriptors of the native core: finite-difference forces and virial
through the C API, and agreement with the project's Python evaluator (`python -m export
predict`) on hand-written Behler2011 potentials (no ænet reference data exists, see
AENET_FORMAT.md 4.5; the file order below is deliberately not ænet's output order)."""

from __future__ import annotations

import json
import subprocess
import sys

import ase.io
import numpy as np
import pytest

from conftest_lammps import ROOT, structure
from test_core_capi import Handle, lib  # noqa: F401  (lib is a fixture)

SPECIES = ["Ti", "O"]
# (kind, Rc, p1, p2, p3, env1, env2) with env indices 1-based into SPECIES
FUNCTIONS = [
    (4, 4.5, 1.0, 2.0, 0.05, 1, 2),
    (2, 6.0, 0.0, 0.5, 0.0, 2, 0),
    (1, 6.0, 0.0, 0.0, 0.0, 1, 0),
    (5, 4.5, -1.0, 1.0, 0.02, 2, 2),
    (3, 6.0, 1.3, 0.0, 0.0, 1, 0),
    (2, 6.0, 2.0, 1.0, 0.0, 1, 0),
    (4, 4.5, -1.0, 4.0, 0.01, 1, 1),
    (3, 6.0, 0.7, 0.0, 0.0, 2, 0),
    (5, 4.5, 1.0, 2.0, 0.0, 2, 1),
    (1, 6.0, 0.0, 0.0, 0.0, 2, 0),
    (4, 4.5, 1.0, 1.0, 0.03, 2, 2),
    (2, 6.0, 1.5, 2.0, 0.0, 2, 0),
]


def _fmt(values, f="{:.17e}"):
    return " ".join(f.format(v) for v in values)


def write_behler(path, species, seed):
    rng = np.random.default_rng(seed)
    nsf = len(FUNCTIONS)
    nodes = [nsf, 6, 1]
    weights = list(rng.uniform(-0.3, 0.3, (nsf + 1) * 6)) + list(rng.uniform(-0.5, 0.5, 7))
    param = [v for f in FUNCTIONS for v in f[1:5]]
    env = [v for f in FUNCTIONS for v in f[5:7]]
    avg = rng.uniform(0.5, 3.0, nsf)
    sq = avg**2 + rng.uniform(0.5, 4.0, nsf)
    lines = [
        "3",
        str(max(nodes)),
        str(len(weights)),
        str(nsf + 1 + 7 + 1),
        _fmt(nodes, "{:d}"),
        "1 0",
        f"0 {(nsf + 1) * 6} {len(weights)}",
        f"0 {nsf + 1} {nsf + 8}",
        _fmt(weights),
        "Behler_test",
        species,
        "2",
        " ".join(SPECIES),
        "0.5",
        "6.0",
        "Behler2011",
        str(nsf),
        "4",
        _fmt([f[0] for f in FUNCTIONS], "{:d}"),
        _fmt(param),
        _fmt(env, "{:d}"),
        "10",
        _fmt(avg - 1),
        _fmt(avg + 1),
        _fmt(avg),
        _fmt(sq),
        "test.train",
        "T",
        "0.8",
        "-5.0",
        "2",
        " ".join(SPECIES),
        "-1600.0 -430.0",
        "100",
        "10",
        "-6.0 -4.0 -5.0",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def behler_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("behler")
    return [write_behler(d / f"{s}.nn.ascii", s, seed) for s, seed in zip(SPECIES, (11, 12))]


def _atoms():
    atoms = ase.io.read(structure(2))
    return atoms, [SPECIES.index(s) for s in atoms.get_chemical_symbols()]


def test_behler_forces_and_virial_finite_differences(lib, behler_files):
    h = Handle(lib, behler_files)
    assert h.status == 0, h.message
    atoms, species = _atoms()
    cell = atoms.cell.array
    _, _, f, w = h.compute(atoms.positions, species, cell)
    assert np.abs(f).max() > 0.05
    step = 1e-4
    for a in (0, 5, 17, 30):
        for d in range(3):
            x = atoms.positions.copy()
            x[a, d] += step
            ep = h.compute(x, species, cell)[0]
            x[a, d] -= 2 * step
            em = h.compute(x, species, cell)[0]
            assert abs(-(ep - em) / (2 * step) - f[a, d]) <= 1e-6
    for a, b in ((0, 0), (1, 2), (2, 1)):
        e = []
        for sign in (1, -1):
            eps = np.eye(3)
            eps[a, b] += sign * 1e-5
            e.append(h.compute(atoms.positions @ eps, species, cell @ eps)[0])
        assert abs(-(e[0] - e[1]) / 2e-5 - w[a, b]) <= 1e-6 * np.abs(w).max()


def test_behler_matches_python_predict(lib, behler_files, tmp_path):
    atoms, species = _atoms()
    e, _, f, _ = Handle(lib, behler_files).compute(atoms.positions, species, atoms.cell.array)
    cmd = [
        sys.executable,
        "-m",
        "export",
        "predict",
        "--potential",
        *map(str, behler_files),
        "--structures",
        str(structure(2)),
        "--forces",
        "--json",
        "--backend",
        "torch",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref = json.loads(proc.stdout)[0]
    assert abs(ref["energy"] - e) <= 1e-8
    np.testing.assert_allclose(np.array(ref["forces"]), f, rtol=0, atol=1e-8)


def test_behler_invalid_function_kind(lib, behler_files, tmp_path):
    lines = behler_files[0].read_text().splitlines()
    lines[18] = lines[18].replace("4", "9", 1)
    bad = tmp_path / "Ti.nn.ascii"
    bad.write_text("\n".join(lines) + "\n")
    h = Handle(lib, [bad, behler_files[1]])
    assert h.status == 2
    assert "record S10 sf: function 1 has kind 9; expected 1..5 (G1..G5)" in h.message
