"""The README's quick start, end to end: train (Taylor), predict, LAMMPS NVE with the result."""

import json
import re
import subprocess
import sys

import yaml

from conftest import ROOT, TIO2


def test_quickstart_train_predict_and_lammps(tmp_path):
    cfg = yaml.safe_load((ROOT / "examples/quickstart/tio2.yaml").read_text())
    cfg["output"] = str(tmp_path / "run")
    cfg["data"]["train"] = [str(TIO2 / "structure-*.xsf")]
    cfg["training"]["epochs"] = 60
    (tmp_path / "tio2.yaml").write_text(yaml.safe_dump(cfg))
    train = subprocess.run([sys.executable, "-m", "trainer", "train", str(tmp_path / "tio2.yaml"), "--no-progress"], cwd=ROOT, capture_output=True, text=True)
    assert train.returncode == 0, train.stderr
    pots = [str(tmp_path / "run/potential/Ti.nn.ascii"), str(tmp_path / "run/potential/O.nn.ascii")]
    pred = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", *pots, "--structures", str(TIO2 / "structure-001.xsf"), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert pred.returncode == 0, pred.stderr
    energy = json.loads(pred.stdout)[0]["energy"]

    subprocess.run(
        [sys.executable, "-m", "export", "lammps-data", str(TIO2 / "structure-001.xsf"), "-o", str(tmp_path / "tio2.data"), "--species", "Ti", "O"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    aenet = [str(TIO2 / "potential/Ti.nn.ascii"), str(TIO2 / "potential/O.nn.ascii")]
    pred = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", *aenet, "--structures", str(TIO2 / "structure-001.xsf"), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    reference = json.loads(pred.stdout)[0]["energy"]
    assert abs(energy - reference) / 23 < 1.0  # the quick-start potential is in the right range (eV/atom)
    script = (ROOT / "examples/quickstart/in.tio2").read_text().replace("tests/data/tio2-aenet/potential", str(TIO2 / "potential"))
    script = script.replace("thermo          20", "thermo          20\nthermo_modify   format float %.10f")
    (tmp_path / "in.tio2").write_text(script)
    lmp = subprocess.run(["lmp", "-in", "in.tio2"], cwd=tmp_path, capture_output=True, text=True)
    assert lmp.returncode == 0, lmp.stdout[-3000:]
    pattern = r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$"
    first = re.findall(pattern, lmp.stdout, re.M)[0]  # step 0 of the minimisation
    assert int(first[0]) == 0 and abs(float(first[2]) - reference) < 1e-6  # LAMMPS pe = predict's energy
    rows = re.findall(pattern, lmp.stdout.rsplit("Step", 1)[1], re.M)  # the NVE run
    steps = [(int(r[0]), float(r[1]), float(r[2]), float(r[4])) for r in rows]
    assert steps[0][0] == 0 and steps[-1][0] == 200
    etot = [s[3] for s in steps]
    assert max(etot) - min(etot) < 0.01  # NVE at 0.5 fs conserves the total energy (23 atoms, eV)
    assert max(s[1] for s in steps) < 600.0  # sane physics: started at 300 K, no heating
