"""NVE energy conservation of the 224-atom LMNTO cell with the shipped potential and its ZBL
core (issue #10's protocol and bounds).

Runs examples/lmnto/nve.py as the issue states it: 2 ps at 400 K (Langevin), then 10 ps NVE
at 1 fs in real LAMMPS, with potential/repulsion.json under hybrid/overlay. Bounds are the
issue's: |drift| < 1e-3 meV/atom/ps, fluctuation <= 1e-2 meV/atom, mean T 400 +- 60 K.
Measured (examples/lmnto/README.md) with the shipped potential (Fig. 10 forces_s1, direct
force training) and this core, seed 4928: drift +2.7e-4 meV/atom/ps, fluctuation 0.0037
meV/atom, mean T 404 K (the cell never enters the core's range there, so the network alone
gives the same numbers). The Taylor-trained potential shipped before 2026-12-07 drifted by
1.77 meV/atom/ps without the core in the same run. A force that is not the exact gradient
of the energy drifts by orders of magnitude more.
"""

import json
import subprocess
import sys

from conftest import ROOT

SHIPPED = ROOT / "examples" / "lmnto" / "potential"
DRIFT_BOUND = 1e-3  # meV/atom/ps, issue #10
FLUCTUATION_BOUND = 1e-2  # meV/atom, issue #10


def test_shipped_potential_files_exist():
    for el in ("Li", "Mo", "Ni", "Ti", "O"):
        assert (SHIPPED / f"{el}.nn.ascii").stat().st_size > 10_000
    assert (SHIPPED / "model.pt").stat().st_size > 10_000


def test_nve_drift_of_shipped_potential(tmp_path):
    proc = subprocess.run(
        [sys.executable, "examples/lmnto/nve.py", "--ps", "10", "--repulsion", str(SHIPPED / "repulsion.json"), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "nve.json").read_text())
    assert result["natoms"] == 224 and result["timestep_fs"] == 1.0 and result["steps"] == 10000
    assert abs(result["drift_meV_per_atom_per_ps"]) < DRIFT_BOUND
    assert result["fluctuation_meV_per_atom"] <= FLUCTUATION_BOUND
    run = next(iter(result["potentials"].values()))
    assert run["equilibration_steps"] == 2000 and run["repulsion"].endswith("repulsion.json")
    assert abs(run["mean_temperature_K"] - 400.0) <= 60.0
    assert (tmp_path / "nve.png").exists()
