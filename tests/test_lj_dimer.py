"""The paper's Fig. 2 as a test: energy-only training misplaces the LJ minimum, Taylor
training (δ = 0.02 Å, 14 extra points) puts it within 0.02 Å of r0 = 1.54 Å."""

import json
import subprocess
import sys

from conftest import ROOT


def test_lj_dimer_example(tmp_path):
    proc = subprocess.run([sys.executable, "examples/lj_dimer/run.py", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["r0_true"] == 1.54
    assert results["taylor_n_taylor"] == 14 and results["energy_n_taylor"] == 0
    assert abs(results["r0_taylor"] - 1.54) <= 0.02
    assert abs(results["r0_energy_only"] - 1.54) > 0.05  # energy-only misplaces the minimum
    assert (tmp_path / "lj_dimer.png").stat().st_size > 10_000
