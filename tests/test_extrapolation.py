"""Extrapolation detection in every host (#10): an atom whose descriptor leaves the training
range stored in the potential files (records sfval_min/sfval_max of ænet's shipped TiO2
potential) is reported by predict, the ASE calculator, pair_style taylorann (warning, compute
pair counts, error mode) and the Tinker hook; in-range frames are not."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import ase.io
import numpy as np
import pytest

from conftest import POTENTIAL, ROOT, TIO2
from conftest_lammps import lammps_header, nnascii_args, run_lammps, thermo_table, write_data
from trainer.nnascii import read_potential


def squeezed():
    """structure-001 compressed by 15 %: every descriptor beyond the training range."""
    atoms = ase.io.read(TIO2 / "structure-001.xsf")
    atoms.set_cell(atoms.cell[:] * 0.85, scale_atoms=True)
    return atoms


def one_outside():
    """structure-001 with atom 5 (0-based 4) moved 1 Å along x: it and one neighbour leave the range."""
    atoms = ase.io.read(TIO2 / "structure-001.xsf")
    atoms.positions[4] += [1.0, 0.0, 0.0]
    return atoms


def outside_by_range(atoms) -> set[int]:
    """The independent check: the torch descriptor of every atom against the files' min/max."""
    from trainer.convert import model_from_potentials
    from trainer.evaluate import model_inputs
    from trainer.contract import edge_vectors
    from trainer.structures import Structure

    import torch

    pots = [read_potential(p) for p in POTENTIAL]
    model = model_from_potentials(pots)
    s = Structure.from_ase(atoms)
    species, edge_index, shifts = model_inputs(model, s)
    vec = edge_vectors(torch.from_numpy(s.positions), edge_index, shifts, torch.from_numpy(s.cell))
    out = set()
    for t, pot in enumerate(pots):
        centres = torch.nonzero(species == t).flatten()
        G = model.descriptors(species, edge_index, vec, t).detach().numpy()
        bad = (G < pot.setup.sfval_min - 1e-9) | (G > pot.setup.sfval_max + 1e-9)
        out |= {int(c) for c, row in zip(centres, bad) if row.any()}
    return out


def test_training_structures_are_inside_and_damaged_ones_outside(tmp_path):
    files = [str(TIO2 / f"structure-{k:03d}.xsf") for k in range(1, 101)]
    for name, atoms in (("squeezed", squeezed()), ("moved", one_outside())):
        ase.io.write(tmp_path / f"{name}.xsf", atoms, format="xsf")
        files.append(str(tmp_path / f"{name}.xsf"))
    proc = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--json", "--potential", *map(str, POTENTIAL), "--structures", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert all(e["extrapolating_atoms"] == [] for e in entries[:3])  # structure-001..003: inside
    # 31 of the 100 TiO2 structures leave the range of ænet's potential: those it predicts far worse
    from trainer.readers import read_structures

    error = {True: [], False: []}
    for e in entries[:100]:
        s = read_structures(e["file"])[0]
        error[bool(e["extrapolating_atoms"])].append(abs(e["energy"] - s.energy) / s.natoms)
    assert len(error[True]) == 31 and np.median(error[True]) > 3 * np.median(error[False])
    assert entries[100]["extrapolating_atoms"] == list(range(23))
    moved = entries[101]["extrapolating_atoms"]
    assert moved == [4, 11]
    assert set(moved) == outside_by_range(one_outside())  # the C++ check = the torch descriptor vs min/max


def test_ase_calculator_warns_raises_or_ignores():
    from export.calculator import ExtrapolationError, TaylorannCalculator

    atoms = squeezed()
    atoms.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL])
    with pytest.warns(RuntimeWarning, match="23 atoms outside the training range"):
        atoms.get_potential_energy()
    assert len(atoms.calc.results["extrapolating_atoms"]) == 23 and atoms.calc.extrapolation_count == 23
    inside = ase.io.read(TIO2 / "structure-002.xsf")
    inside.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], extrapolation="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inside.get_forces()
    assert len(inside.calc.results["extrapolating_atoms"]) == 0
    atoms.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], extrapolation="error")
    with pytest.raises(ExtrapolationError, match="23 atoms"):
        atoms.get_potential_energy()
    atoms.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL], extrapolation="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        atoms.get_potential_energy()
    with pytest.raises(ValueError, match="extrapolation"):
        TaylorannCalculator(potential=[str(p) for p in POTENTIAL], extrapolation="loud")


def _lammps(tmp_path, atoms, style="taylorann", coeff=None, run="run 0"):
    write_data(atoms, tmp_path / "data.lmp")
    script = lammps_header("data.lmp", coeff or nnascii_args()).replace("pair_style taylorann", f"pair_style {style}")
    script += "compute ex all pair taylorann\nthermo_style custom step pe c_ex[1] c_ex[2]\n" + run + "\n"
    return run_lammps(script, tmp_path, check=False)


def test_lammps_counts_and_warns(tmp_path):
    code, out = _lammps(tmp_path / "in", ase.io.read(TIO2 / "structure-001.xsf"))
    assert code == 0 and "outside the training range" not in out
    assert thermo_table(out)[0]["c_ex[1]"] == 0
    code, out = _lammps(tmp_path / "out", squeezed(), run="run 0\nrun 0")
    assert code == 0
    warnings_ = [ln for ln in out.splitlines() if ln.startswith("WARNING: pair_style taylorann")]
    assert len(warnings_) == 2 and "23 atoms outside the training range of the descriptors at step 0" in warnings_[0]
    rows = thermo_table(out)
    assert rows[0]["c_ex[1]"] == 23 and rows[-1]["c_ex[2]"] == 46  # this evaluation, all evaluations


def test_lammps_error_and_ignore_modes(tmp_path):
    code, out = _lammps(tmp_path / "error", squeezed(), style="taylorann extrapolation error")
    assert code != 0 and "ERROR: pair_style taylorann: 23 atoms outside the training range" in out
    code, out = _lammps(tmp_path / "ignore", squeezed(), style="taylorann extrapolation ignore")
    assert code == 0 and "outside the training range" not in out and thermo_table(out)[0]["c_ex[1]"] == 23
    code, out = _lammps(tmp_path / "bad", squeezed(), style="taylorann extrapolation loud")
    assert code != 0 and "'extrapolation' takes warn, error or ignore, got 'loud'" in out


def test_lammps_torchscript_says_it_cannot_tell(tmp_path):
    from trainer.torchscript import save_torchscript
    from export.loading import load_potential

    save_torchscript(load_potential([str(p) for p in POTENTIAL]), tmp_path / "tio2.pt")
    code, out = _lammps(tmp_path / "pt", squeezed(), coeff=f"{tmp_path / 'tio2.pt'} Ti O")
    assert code == 0 and "does not report descriptor ranges" in out
