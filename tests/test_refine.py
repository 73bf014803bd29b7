"""examples/lmnto/refine.py, the committee refinement loop (issue #10 item 4), at a tiny scale
with real parts: LAMMPS MD of the 224-atom cell with the shipped potential, ``python -m
trainer committee``, labelling by a taylorann potential (the shipped one: distillation; the
study labels with CHGNet, which CI does not install) and retraining with the trainer; then a
second invocation that resumes instead of redoing finished rounds."""

import importlib.util
import json
import os
import subprocess
import sys

import ase.io
import numpy as np

from conftest import ROOT

LMNTO = ROOT / "examples" / "lmnto"
SHIPPED = LMNTO / "potential"


def _refine_module():
    spec = importlib.util.spec_from_file_location("refine", LMNTO / "refine.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(LMNTO))
    spec.loader.exec_module(module)
    return module


def test_choose_takes_spread_first_then_extrapolation():
    choose = _refine_module().choose
    frames = [
        {"force_std_max": 0.05, "extrapolating_atoms": 0},
        {"force_std_max": 0.30, "extrapolating_atoms": 0},
        {"force_std_max": 0.02, "extrapolating_atoms": 7},
        {"force_std_max": 0.20, "extrapolating_atoms": 2},
        {"force_std_max": 0.01, "extrapolating_atoms": 9},
    ]
    assert choose(frames, 10, 0.1) == [1, 3, 4, 2]
    assert choose(frames, 3, 0.1) == [1, 3, 4]
    assert choose(frames, 10, 1.0) == [4, 2, 3]


def _write_data(tmp_path):
    """The base training (16) and test (4) frames of the tiny runs."""
    frames = ase.io.read(LMNTO / "data" / "lmnto56_400K_runA.extxyz.gz", "200:260:3")
    ase.io.write(tmp_path / "train.extxyz", frames[:16])
    ase.io.write(tmp_path / "test.extxyz", frames[16:])


def _run(tmp_path, rounds, extra=(), out="run"):
    cmd = [sys.executable, str(LMNTO / "refine.py"), "--out", str(tmp_path / out), "--committee", str(SHIPPED), str(SHIPPED)]
    cmd += ["--train", str(tmp_path / "train.extxyz"), "--test", str(tmp_path / "test.extxyz"), "--rounds", str(rounds), "--members", "2"]
    cmd += ["--md-ps", "0.1", "--equilibrate-ps", "0.05", "--dump-fs", "20", "--select", "3", "--threshold", "0.05"]
    cmd += ["--labeller", f"potential:{SHIPPED}", "--mode", "energy", "--hidden", "4", "--epochs", "3", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((tmp_path / out / "refine.json").read_text())


def _keep(out, archive):
    """refine.py --out OUT --archive ARCHIVE --keep."""
    cmd = [sys.executable, str(LMNTO / "refine.py"), "--out", str(out), "--archive", str(archive), "--keep"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_refinement_rounds_label_retrain_and_resume(tmp_path):
    from export.calculator import TaylorannCalculator

    _write_data(tmp_path)
    state = _run(tmp_path, 1)
    (r0,) = state["rounds"]
    # 0.1 ps dumped every 20 fs, the first step included
    assert r0["md_frames"] == 6 and r0["selected"] == r0["labelled"] == 3 and not r0["converged"]
    rnd = tmp_path / "run" / "round_0"
    # identical members: no spread, so the frames chosen are the extrapolating ones
    assert r0["force_std_max"] == 0.0 and r0["extrapolating_atoms_max"] > 0
    calc = TaylorannCalculator(potential=sorted(str(p) for p in SHIPPED.glob("*.nn.ascii")), extrapolation="ignore")
    for atoms in ase.io.read(rnd / "labelled.extxyz", ":"):
        assert len(atoms) == 224 and atoms.info["refine_round"] == 0
        probe = atoms.copy()
        probe.calc = calc
        assert abs(probe.get_potential_energy() - atoms.get_potential_energy()) < 1e-8
        np.testing.assert_allclose(probe.get_forces(), atoms.get_forces(), atol=1e-8)
    for m in ("m1", "m2"):
        assert len(list((rnd / "members" / m / "potential").glob("*.nn.ascii"))) == 5
        config = (rnd / "members" / m / "config.yaml").read_text()
        assert "labelled.extxyz" in config and "train.extxyz" in config
    stamps = {p: p.stat().st_mtime_ns for p in rnd.rglob("*") if p.is_file()}

    state = _run(tmp_path, 2)
    assert [r["round"] for r in state["rounds"]] == [0, 1]
    assert {p: p.stat().st_mtime_ns for p in rnd.rglob("*") if p.is_file()} == stamps  # round 0 not redone
    r1 = state["rounds"][1]
    members = json.loads((tmp_path / "run" / "round_1" / "committee.json").read_text())["members"]
    assert members == [str(rnd / "members" / m / "potential") for m in ("m1", "m2")]
    assert r1["force_std_max"] > 0.0  # two retrained members disagree
    assert r1["labelled_total"] == 3 + r1["labelled"]
    config = (tmp_path / "run" / "round_1" / "members" / "m1" / "config.yaml").read_text()
    assert "round_0/labelled.extxyz" in config and "round_1/labelled.extxyz" in config


def test_archive_keeps_each_step_and_a_fresh_out_resumes_from_it(tmp_path):
    """--archive: the round's frames, committee and labels (gzipped) and the finished members
    are kept; a run on a new OUT (another session) restores them and redoes nothing."""
    import gzip

    _write_data(tmp_path)
    archive = tmp_path / "archive"
    first = _run(tmp_path, 1, ["--archive", str(archive)], out="a")
    kept = archive / "round_0"
    for name in ("frames.extxyz", "committee.json", "labelled.extxyz"):
        assert gzip.decompress((kept / f"{name}.gz").read_bytes()) == (tmp_path / "a" / "round_0" / name).read_bytes()
    for m in ("m1", "m2"):
        assert len(list((kept / "members" / m).glob("*.nn.ascii"))) == 5 and (kept / "members" / m / "summary.json").exists()
        assert str(tmp_path / "a") not in (kept / "members" / m / "config.yaml").read_text()
    assert json.loads((archive / "refine.json").read_text()) == first

    again = _run(tmp_path, 1, ["--archive", str(archive)], out="b")
    assert again == first
    fresh = tmp_path / "b" / "round_0"
    assert not (fresh / "md").exists()  # no MD again
    assert not list(fresh.glob("members/*/checkpoint.pt"))  # no member trained again
    for m in ("m1", "m2"):
        for f in (kept / "members" / m).glob("*.nn.ascii"):
            assert (fresh / "members" / m / "potential" / f.name).read_bytes() == f.read_bytes()
    kept_only = tmp_path / "c"
    _keep(tmp_path / "a", kept_only)
    assert sorted(p.relative_to(kept_only) for p in kept_only.rglob("*")) == sorted(p.relative_to(archive) for p in archive.rglob("*"))


def test_keep_stashes_an_unfinished_member_and_a_later_run_resumes_it(tmp_path):
    """--keep on a loop whose member m2 is still training puts m2's last checkpoint in
    ARCHIVE/round_0/members/m2/partial/; a later run on the same --out path (a new machine:
    OUT gone) restores it and the trainer resumes there (its first epochs are not redone);
    once m2 has finished, the stash is removed from the archive."""
    import shutil

    _write_data(tmp_path)
    _run(tmp_path, 1, out="a")
    m2 = tmp_path / "a" / "round_0" / "members" / "m2"
    first_rows = (m2 / "metrics.csv").read_text().splitlines()
    assert len(first_rows) == 4  # header + 3 epochs
    (m2 / "summary.json").unlink()  # as while m2 trains: checkpoint and metrics, no summary
    shutil.rmtree(m2 / "potential")
    archive = tmp_path / "archive"
    _keep(tmp_path / "a", archive)
    stash = archive / "round_0" / "members" / "m2" / "partial"
    assert (stash / "checkpoint.pt").exists() and not (archive / "round_0" / "members" / "m2" / "summary.json").exists()
    assert (archive / "round_0" / "members" / "m1" / "summary.json").exists()

    shutil.rmtree(tmp_path / "a")  # a new machine: the same --out path, nothing in it
    _run(tmp_path, 1, ["--archive", str(archive), "--epochs", "5"], out="a")
    rows = (m2 / "metrics.csv").read_text().splitlines()
    assert len(rows) == 6 and rows[:4] == first_rows  # resumed at epoch 3, trained epochs 4 and 5
    assert not (tmp_path / "a" / "round_0" / "members" / "m1" / "checkpoint.pt").exists()  # m1 came from the archive
    assert (archive / "round_0" / "members" / "m2" / "summary.json").exists() and not stash.exists()
