"""examples/lmnto/md_potentials.py, the Fig. 10 driver (issue #10 item 3), at a tiny scale:
one MD-set segment, one potential per kind, 2 L-BFGS epochs, 20 fs of NVE in real LAMMPS;
a second call resumes from the files and changes nothing; with --archive, a call on a fresh
--out (another session's machine) trains and runs nothing and reports the same numbers."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import numpy as np

from conftest import ROOT

LMNTO = ROOT / "examples" / "lmnto"


def _run(out, *extra, segments=1):
    cmd = [sys.executable, str(LMNTO / "md_potentials.py"), "--out", str(out), "--max-segments", str(segments), "--no-accuracy-set", "--members", "1"]
    cmd += ["--epochs", "2", "--ps", "0.02", "--equilibration", "0.01", *extra]
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


def test_fig10_archive_is_reused_on_a_fresh_out_and_refuses_other_splits(tmp_path):
    archive = tmp_path / "archive"
    doc, _ = _run(tmp_path / "a", "--archive", str(archive))
    assert json.loads((archive / "fig10.json").read_text()) == doc
    for name in ("taylor_s1", "energy_s1"):
        kept = archive / name
        assert {p.name for p in kept.iterdir()} >= {"Li.nn.ascii", "O.nn.ascii", "summary.json", "config.yaml", "history.csv"}
        trace = np.loadtxt(archive / "nve" / f"{name}_0.02ps.csv.gz", ndmin=2)
        assert trace.shape[1] == 6 and trace[0, 0] == 0 and trace[-1, 0] == 20  # thermo every 10 steps, every 10th row kept
    assert (archive / "fig10.png").stat().st_size > 0
    again, _ = _run(tmp_path / "b", "--archive", str(archive))
    assert again == doc
    assert not (tmp_path / "b" / "taylor_s1").exists() and not (tmp_path / "b" / "nve").exists()
    cmd = [sys.executable, str(LMNTO / "md_potentials.py"), "--out", str(tmp_path / "c"), "--max-segments", "2", "--no-accuracy-set"]
    proc = subprocess.run(cmd + ["--members", "1", "--epochs", "2", "--archive", str(archive)], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode != 0 and "splits.json" in proc.stderr and "use another --archive" in proc.stderr


def test_stash_carries_an_unfinished_run_to_the_next_session(tmp_path):
    out, archive = tmp_path / "out", tmp_path / "archive"
    _run(out, "--kinds", "energy", "--archive", str(archive))
    # as if the session had ended after epoch 2 of 4: the run is unfinished, nothing archived yet
    shutil.rmtree(archive / "energy_s1")
    (out / "energy_s1" / "summary.json").unlink()
    stashed = subprocess.run(
        [sys.executable, str(LMNTO / "md_potentials.py"), "--out", str(out), "--archive", str(archive), "--stash"], capture_output=True, text=True, cwd=ROOT
    )
    assert stashed.returncode == 0 and "stashed: energy_s1" in stashed.stdout, stashed.stderr
    before = (archive / "energy_s1" / "partial" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in before[1:]] == ["1", "2"]
    shutil.rmtree(out)  # another machine: only the archive is there
    doc, _ = _run(out, "--kinds", "energy", "--archive", str(archive), "--epochs", "4")
    after = (out / "energy_s1" / "metrics.csv").read_text().splitlines()
    assert after[:3] == before and [r.split(",")[0] for r in after[1:]] == ["1", "2", "3", "4"]  # resumed, not restarted
    assert doc["potentials"]["energy_s1"]["epochs"] == 4
    assert (archive / "energy_s1" / "summary.json").exists() and not (archive / "energy_s1" / "partial").exists()


def test_save_replaces_only_this_process_entries(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(LMNTO))
    import md_potentials

    out, archive = tmp_path / "out", tmp_path / "archive"
    out.mkdir()
    archive.mkdir()
    energy = {"splits": {"train": 1}, "potentials": {"energy_s1": {"nve_100ps": {"steps": 100000}}}}
    md_potentials.save(energy, out, archive, ("energy_s1",))
    stale = {"splits": {"train": 1}, "potentials": {"energy_s1": {}, "taylor_s1": {"epochs": 1000}}}  # loaded before energy_s1's NVE
    md_potentials.save(stale, out, archive, ("taylor_s1",))
    for folder in (out, archive):
        doc = json.loads((folder / "fig10.json").read_text())
        assert doc["potentials"] == {"energy_s1": {"nve_100ps": {"steps": 100000}}, "taylor_s1": {"epochs": 1000}}


def test_forces_kind_trains_on_every_third_frame_with_float32_jacobians(tmp_path):
    import ase.io
    import yaml

    doc, _ = _run(tmp_path / "fig10", "--kinds", "forces")
    assert set(doc["potentials"]) == {"forces_s1"} and doc["potentials"]["forces_s1"]["nve_0.02ps"]["steps"] == 20
    config = yaml.safe_load((tmp_path / "fig10" / "forces_s1" / "config.yaml").read_text())
    assert config["training"]["mode"] == "forces" and config["forces"]["jacobian_dtype"] == "float32"
    (subset,) = config["data"]["train"]
    frames = ase.io.read(subset, ":")
    full = ase.io.read(tmp_path / "fig10" / "splits" / "train.extxyz", ":")
    assert len(frames) == len(full[::3]) == 25  # of the 73 training frames of segment 0
    assert all(a.get_potential_energy() == b.get_potential_energy() for a, b in zip(frames, full[::3]))
