"""examples/lmnto/validate.py --frames: the error statistics against the labels in a file.
Frames labelled by the shipped potential itself give zero error; a known energy shift
per frame and a known force change come back as the offset, RMSE and MAE."""

from __future__ import annotations

import json

import numpy as np
from conftest import ROOT

LMNTO = ROOT / "examples" / "lmnto"


def test_frames_mode_reports_known_shifts(tmp_path, monkeypatch):
    import ase.io
    from ase.calculators.singlepoint import SinglePointCalculator

    monkeypatch.syspath_prepend(str(LMNTO))
    import validate
    from export.calculator import TaylorannCalculator

    calc = TaylorannCalculator(potential=validate.SHIPPED, extrapolation="ignore")
    base = ase.io.read(LMNTO / "data" / "lmnto56_relaxed.extxyz")
    rng = np.random.default_rng(5)
    exact, shifted = [], []
    shifts_mev = [2.0, -4.0, 6.0]
    for k, shift in enumerate(shifts_mev):
        atoms = base.copy()
        atoms.positions += rng.normal(scale=0.05, size=atoms.positions.shape)
        atoms.calc = calc
        e, f = atoms.get_potential_energy(), atoms.get_forces()
        a = atoms.copy()
        a.calc = SinglePointCalculator(a, energy=e, forces=f)
        exact.append(a)
        b = atoms.copy()
        df = np.zeros_like(f)
        df[k, 0] = 0.5  # one force component off by 0.5 eV/Å
        b.calc = SinglePointCalculator(b, energy=e + shift * 1e-3 * len(b), forces=f + df)
        shifted.append(b)
    ase.io.write(tmp_path / "exact.extxyz", exact)
    ase.io.write(tmp_path / "shifted.extxyz", shifted)
    out = tmp_path / "v.json"
    validate.main(["--repulsion", "none", "--frames", str(tmp_path / "exact.extxyz"), str(tmp_path / "shifted.extxyz"), "--out", str(out)])
    sets = json.loads(out.read_text())["sets"]
    zero = sets[str(tmp_path / "exact.extxyz")]
    assert zero["frames"] == 3 and zero["atoms_per_frame"] == len(base)
    # tolerances: the extxyz file's decimal digits (~1e-8 eV per value), not the evaluation
    assert zero["energy_rmse"] < 1e-5 and zero["force_mae"] < 1e-7
    off = sets[str(tmp_path / "shifted.extxyz")]
    # the labels are higher by the shift: the potential's error (potential - label) is its negative
    assert abs(off["energy_offset"] + np.mean(shifts_mev)) < 1e-5
    assert abs(off["energy_rmse"] - np.sqrt(np.mean(np.square(shifts_mev)))) < 1e-5
    assert abs(off["force_mae"] - 0.5 / (3 * len(base))) < 1e-7
