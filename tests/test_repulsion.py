"""The ZBL repulsive core (trainer/repulsion.py, issue #10 item 6): the Python terms equal
LAMMPS's own pair_style zbl under hybrid/overlay with taylorann (energy, forces, pressure),
its forces are the energy's gradient, and with it the shipped LMNTO potential rises
monotonically for every species pair from the shortest training distance down to 0.8 Å."""

from __future__ import annotations

import ase.io
import numpy as np
import pytest

from conftest import ROOT
from conftest_lammps import run_lammps, thermo_table, write_data
from trainer.repulsion import Repulsion, zbl_pair

LMNTO = ROOT / "examples" / "lmnto"
SPECIES = ["Li", "Mo", "Ni", "O", "Ti"]
POTENTIAL = [LMNTO / "potential" / f"{s}.nn.ascii" for s in SPECIES]
CORE = LMNTO / "potential" / "repulsion.json"


def _frame():
    return ase.io.read(LMNTO / "data" / "lmnto56_relaxed.extxyz")


def _squeezed():
    """The relaxed cell with three pairs pushed inside the core (0.9-1.3 Å)."""
    atoms = _frame()
    sym = np.array(atoms.get_chemical_symbols())
    for a, b, d in (("O", "O", 1.3), ("Li", "O", 0.9), ("Ni", "Ti", 1.1)):
        i = int(np.where(sym == a)[0][0])
        cand = [k for k in np.where(sym == b)[0] if k != i]
        vec = atoms.get_distances(i, cand, mic=True, vector=True)
        k = int(np.argmin(np.linalg.norm(vec, axis=1)))
        atoms.positions[cand[k]] = atoms.positions[i] + vec[k] / np.linalg.norm(vec[k]) * d
    return atoms


def test_switched_zbl_is_smooth_and_its_derivative_is_exact():
    inner, outer = 1.2, 1.7
    r = np.linspace(0.6, 1.8, 241)
    e, de = zbl_pair(r, 8, 22, inner, outer)
    h = 1e-6
    num = (zbl_pair(r + h, 8, 22, inner, outer)[0] - zbl_pair(r - h, 8, 22, inner, outer)[0]) / (2 * h)
    assert np.abs(de - num).max() <= 1e-6 * np.abs(de).max()
    assert np.all(e[r >= outer] == 0.0) and np.all(np.diff(e[r < outer]) < 0)  # repulsive, decreasing
    below = zbl_pair(np.array([outer - 1e-4]), 8, 22, inner, outer)
    assert abs(below[0][0]) < 1e-9 and abs(below[1][0]) < 1e-5  # energy and force go to zero at outer


def test_ase_forces_are_the_gradient():
    from export.calculator import TaylorannCalculator

    atoms = _squeezed()
    atoms.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], repulsion=str(CORE), extrapolation="ignore")
    f = atoms.get_forces()
    h = 1e-5
    for a, c in ((1, 0), (20, 2), (40, 1)):
        x = atoms.positions.copy()
        e = []
        for s in (h, -h):
            atoms.positions = x
            atoms.positions[a, c] += s
            e.append(atoms.get_potential_energy())
        atoms.positions = x
        assert abs(-(e[0] - e[1]) / (2 * h) - f[a, c]) <= 1e-5


def test_lammps_hybrid_overlay_equals_the_ase_calculator(tmp_path):
    from export.calculator import TaylorannCalculator

    atoms = _squeezed()
    core = Repulsion.from_json(CORE)
    frame = write_data(atoms, tmp_path / "squeezed.data", SPECIES)
    lines = core.lammps_commands(SPECIES, " ".join(str(p) for p in POTENTIAL))
    script = "\n".join(
        [
            "units metal",
            "atom_style atomic",
            "atom_modify map array",
            "boundary p p p",
            "read_data squeezed.data",
            *lines,
            "thermo_style custom step pe press",
            "thermo_modify format float %.12f",
            "dump d all custom 1 forces.dump id fx fy fz",
            "dump_modify d sort id format float %.12f",
            "run 0",
        ]
    )
    run_lammps(script, tmp_path)
    row = thermo_table((tmp_path / "log.lammps").read_text())[-1]
    fl = np.loadtxt(tmp_path / "forces.dump", skiprows=9)[:, 1:]
    atoms.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], repulsion=str(CORE), extrapolation="ignore")
    e = atoms.get_potential_energy()
    nn_only = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], extrapolation="ignore").get_potential_energy(atoms)
    assert e - nn_only > 10.0  # the core is on: three pairs inside it
    assert abs(row["PotEng"] - e) <= 1e-8 * abs(e)
    assert np.abs(frame.vector_to_ase(fl) - atoms.get_forces()).max() <= 1e-8
    pressure = -np.trace(atoms.get_stress(voigt=False)) / 3 * 1.6021765e6  # eV/Å³ -> bar (LAMMPS nktv2p)
    assert abs(row["Press"] - pressure) <= 1e-6 * max(1.0, abs(pressure))


ALL_PAIRS = [(a, b) for k, a in enumerate(SPECIES) for b in SPECIES[k:]]
# The relaxed cell's two Mo are > 5 Å apart: moving one to 2.95 Å of the other would jam it
# into its neighbours, so Mo-Mo is scanned in the MD-set frame where the two Mo come closest
# (2.953 Å; found by a search over every frame of data/md_set). Every other pair starts from
# the relaxed cell.
SCAN_FRAME = {("Mo", "Mo"): ("data/md_set/seg_043.extxyz.gz", 2)}


def test_every_pair_is_seen_in_the_training_data():
    # the shipped potential's data (the Fig. 10 MD set, 300-900 K) bring every pair, Mo-Mo
    # included (2.95 A), within 4 A; a pair never seen would get the 4 A default and no scan
    core = Repulsion.from_json(CORE)
    assert sorted(core.pairs) == ALL_PAIRS
    assert [p for p in ALL_PAIRS if core.pairs[p][1] >= 4.0] == []


@pytest.mark.parametrize("pair", ALL_PAIRS)
def test_every_pair_rises_monotonically_down_to_0_8_angstrom(pair):
    from export.calculator import TaylorannCalculator

    a, b = pair
    core = Repulsion.from_json(CORE)
    atoms = ase.io.read(LMNTO / SCAN_FRAME[pair][0], index=SCAN_FRAME[pair][1]) if pair in SCAN_FRAME else _frame()
    sym = np.array(atoms.get_chemical_symbols())
    i = int(np.where(sym == a)[0][0])
    cand = [k for k in np.where(sym == b)[0] if k != i]
    vec = atoms.get_distances(i, cand, mic=True, vector=True)
    k = int(np.argmin(np.linalg.norm(vec, axis=1)))
    j, u = cand[k], vec[k] / np.linalg.norm(vec[k])
    start = core.pairs[tuple(sorted(pair))][1]  # the pair's shortest training distance (rounded down)
    calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], repulsion=str(CORE), extrapolation="ignore")
    energies = []
    for d in np.arange(start, 0.7999, -0.05):
        atoms.positions[j] = atoms.positions[i] + u * d
        energies.append(calc.get_potential_energy(atoms))
    rise = np.diff(energies)
    assert np.all(rise > 0), f"{a}-{b}: falls by {-rise.min():.3f} eV somewhere below {start} Å"
    assert energies[-1] - energies[0] > 5.0  # a real wall, not a shoulder


def test_bad_repulsion_file_names_file_and_layout(tmp_path):
    path = tmp_path / "core.json"
    path.write_text('{"kind": "zbl", "pairs": [{"species": ["O", "Ti"], "inner": 1.7, "outer": 1.2}]}')
    with pytest.raises(Exception, match=r"core.json: repulsion: expected .*need 0 < inner < outer"):
        Repulsion.from_json(path)


def test_cli_writes_the_core_and_its_lammps_lines(tmp_path):
    import json
    import subprocess
    import sys

    from conftest import TIO2
    from trainer.readers import read_structures
    from trainer.repulsion import from_training_data, shortest_distances

    files = [str(TIO2 / f"structure-00{k}.xsf") for k in range(1, 6)]
    out = tmp_path / "core.json"
    cmd = [sys.executable, "-m", "export", "repulsion", "--structures", *files, "--species", "Ti", "O", "-o", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    want = from_training_data([read_structures(f)[0] for f in files], ["Ti", "O"])
    assert Repulsion.from_json(out).pairs == want.pairs
    shortest = shortest_distances([read_structures(f)[0] for f in files])
    for pair, (inner, outer) in want.pairs.items():  # off at the shortest distance, rounded down
        assert outer <= shortest[pair] < outer + 0.05 and inner == pytest.approx(outer - 0.5)
    assert json.loads(out.read_text())["kind"] == "zbl"
    assert "pair_style hybrid/overlay taylorann zbl" in proc.stdout and "pair_coeff 1 2 zbl" in proc.stdout
    bad = subprocess.run(cmd[:-2] + ["--width", "-1", "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "--width: expected a positive length" in bad.stderr
