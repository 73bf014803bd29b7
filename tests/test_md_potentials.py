"""examples/lmnto/md_potentials.py, the Fig. 10 driver (issue #10 item 3), at a tiny scale:
one MD-set segment, one potential per kind, 2 L-BFGS epochs, 20 fs of NVE in real LAMMPS;
a second call resumes from the files and changes nothing."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from conftest import ROOT

LMNTO = ROOT / "examples" / "lmnto"


def _run(out):
    cmd = [sys.executable, str(LMNTO / "md_potentials.py"), "--out", str(out), "--max-segments", "1", "--no-accuracy-set", "--members", "1"]
    cmd += ["--epochs", "2", "--ps", "0.02", "--equilibration", "0.01"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads((out / "fig10.json").read_text()), proc.stdout


def test_fig10_driver_trains_runs_nve_and_resumes(tmp_path):
    doc, stdout = _run(tmp_path / "fig10")
    # segment 0 holds 84 frames: 73 train, 3 dropped, 8 test; validation from the accuracy set
    assert doc["splits"] == {"segments": ["seg_000.extxyz.gz"], "train": 73, "test": 8, "validation": 250}
    assert set(doc["potentials"]) == {"taylor_s1", "energy_s1"}
    for name, entry in doc["potentials"].items():
        nve = entry["nve_0.02ps"]
        assert nve["steps"] == 20
        assert math.isfinite(nve["drift_meV_per_atom_per_ps"]) and nve["mean_temperature_K"] > 0
        assert (tmp_path / "fig10" / name / "potential" / "Li.nn.ascii").exists()
    assert "| taylor_s1 |" in stdout
    again, _ = _run(tmp_path / "fig10")
    assert again == doc
