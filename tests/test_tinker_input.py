"""``python -m export tinker-input`` (#16): the written PREFIX.xyz/.key/.prm read back to the
same structure (Tinker's frame), and driven through the Fortran test program of the Tinker
interface (the way Tinker's hooks call it) they give predict's energy and forces; with a real
Tinker build on PATH (``analyze``), its energy too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import ase
import numpy as np
import pytest

from conftest import POTENTIAL, ROOT, TIO2
from test_tinker_interface import EV, evaluation, program, run, write_case  # noqa: F401 (program: fixture)


def _write(tmp_path, k):
    out = tmp_path / f"s{k}"
    proc = subprocess.run(
        [sys.executable, "-m", "export", "tinker-input", str(TIO2 / f"structure-{k:03d}.xsf"), "--potential", *map(str, POTENTIAL), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("k", [1, 7])
def test_tinker_input_round_trip(tmp_path, k):
    from export.tinker_input import read_tinker_input
    from trainer.evaluate import NativeEvaluator, predict
    from trainer.readers import read_structures

    original = read_structures(TIO2 / f"structure-{k:03d}.xsf")[0]
    structure, records = read_tinker_input(_write(tmp_path, k))
    assert structure.species == original.species and structure.periodic
    assert [r.split()[:2] for r in records] == [["TAYLORANN-POTENTIAL", "Ti"], ["TAYLORANN-POTENTIAL", "O"]]
    np.testing.assert_allclose(ase.cell.Cell(structure.cell).cellpar(), ase.cell.Cell(original.cell).cellpar(), rtol=0, atol=1e-9)
    assert abs(structure.cell[0, 1]) + abs(structure.cell[0, 2]) + abs(structure.cell[1, 2]) == 0.0  # Tinker's frame
    model = NativeEvaluator([str(p) for p in POTENTIAL])
    e0, e1 = predict(model, original).energy, predict(model, structure).energy
    assert abs(e1 - e0) <= 1e-7


def test_tinker_input_through_the_hooks(tmp_path, program):  # noqa: F811
    from export.tinker_input import read_tinker_input
    from trainer.evaluate import NativeEvaluator, predict

    structure, records = read_tinker_input(_write(tmp_path, 7))
    atoms = ase.Atoms(structure.species, positions=structure.positions, cell=structure.cell, pbc=True)
    out = run(program, "evaluate", write_case(tmp_path / "case.txt", records, atoms))
    energy, grad, _, _ = evaluation(out)
    ref = predict(NativeEvaluator([str(p) for p in POTENTIAL]), structure, forces=True)
    assert abs(energy - ref.energy * EV) <= 1e-6
    np.testing.assert_allclose(grad, -ref.forces * EV, rtol=0, atol=1e-6)


def test_tinker_input_in_real_tinker(tmp_path):
    analyze = shutil.which("analyze.x") or shutil.which("analyze")
    if not analyze or not os.environ.get("TAYLORANN_TINKER_BUILT"):
        pytest.skip("needs a Tinker build linked with tinker_interface/ (set TAYLORANN_TINKER_BUILT=1 and put its analyze on PATH; tinker_interface/README.md)")
    from trainer.evaluate import NativeEvaluator, predict
    from trainer.readers import read_structures

    prefix = _write(tmp_path, 7)
    done = subprocess.run([analyze, prefix.name + ".xyz", "E"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    energy = float(re.search(r"Total Potential Energy :\s+(\S+)", done.stdout).group(1))
    ref = predict(NativeEvaluator([str(p) for p in POTENTIAL]), read_structures(TIO2 / "structure-007.xsf")[0])
    assert abs(energy - ref.energy * EV) <= 1e-4
