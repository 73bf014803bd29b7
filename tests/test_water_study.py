"""The water-cluster study (issue #7): a miniature end-to-end run on the committed GFN2-xTB
data (no tblite needed), its resumability, and the generator's wall restraint."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT

WATER = ROOT / "examples" / "water_clusters"
MAIN = ("energy_500", "energy_1000", "energy_2000", "taylor_A_500", "taylor_B_500", "forces_500")
KEYS = {"force_mae", "energy_rmse", "sec_per_epoch", "cpu_seconds", "n_potentials"}


def test_committed_data_is_complete():
    prov = json.loads((WATER / "data" / "provenance.json").read_text())
    assert prov["method"] == "GFN2-xTB" and "tblite" in prov["code"]
    assert {t["temperature_K"] for t in prov["trajectories"]} == {300.0, 800.0}
    for name in ("pool.extxyz.gz", "validation.extxyz.gz"):
        with gzip.open(WATER / "data" / name, "rt") as fh:
            count = sum(1 for line in fh if line.strip() == "18")
        assert count == prov["files"][name] >= 2000


def test_quick_study_end_to_end(tmp_path):
    cmd = [sys.executable, str(WATER / "study.py"), "--out", str(tmp_path), "--quick"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {"scenarios"}
    scen = results["scenarios"]
    assert set(MAIN) <= set(scen)
    assert any(n.startswith("taylor_B_500_d") for n in scen)
    for name, entry in scen.items():
        assert set(entry) == KEYS, name
        assert entry["n_potentials"] == 1
        for k in KEYS - {"n_potentials"}:
            assert math.isfinite(entry[k]) and entry[k] >= 0, (name, k)
        assert entry["force_mae"] > 0 and entry["energy_rmse"] > 0
    details = json.loads((tmp_path / "details.json").read_text())["scenarios"]
    assert details["taylor_A_500"]["n_taylor_mean"] > 0 and details["energy_500"]["n_taylor_mean"] == 0
    assert details["taylor_B_500"]["n_taylor_mean"] == 22 * details["taylor_B_500"]["per_potential"][0]["n_train"]
    for fig in ("fig3_force_error_histograms.png", "fig4_force_mae_vs_delta.png", "fig5_direction_error_heatmaps.png", "overview.png"):
        assert (tmp_path / "figures" / fig).stat().st_size > 5000, fig
    # resumable: a second call skips every finished potential and reproduces the table
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "results.json").read_text()) == results


def _load_generate():
    import importlib.util

    spec = importlib.util.spec_from_file_location("water_generate", WATER / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wall_restraint_energy_and_forces():
    gen = _load_generate()
    rng = np.random.default_rng(3)
    pos = rng.normal(scale=2.5, size=(18, 3))
    oxygens = np.arange(0, 18, 3)
    # inside the wall: nothing
    e0, f0 = gen.wall_energy_forces(pos * 0.1, oxygens, radius=4.0, k=2.0)
    assert e0 == 0.0 and not f0.any()
    e, f = gen.wall_energy_forces(pos, oxygens, radius=2.0, k=2.0)
    assert e > 0
    assert np.allclose(f.sum(axis=0), 0.0, atol=1e-12)  # translation invariant
    assert not f[np.setdiff1d(np.arange(18), oxygens)].any()
    h = 1e-6
    for i in oxygens[:3]:
        for a in range(3):
            p, m = pos.copy(), pos.copy()
            p[i, a] += h
            m[i, a] -= h
            num = -(gen.wall_energy_forces(p, oxygens, 2.0, 2.0)[0] - gen.wall_energy_forces(m, oxygens, 2.0, 2.0)[0])
            assert f[i, a] == pytest.approx(num / (2 * h), abs=1e-6)


def test_restrained_calculator_labels_exclude_the_wall():
    from ase import Atoms
    from ase.calculators.lj import LennardJones

    gen = _load_generate()
    rng = np.random.default_rng(5)
    atoms = Atoms("OH2" * 6, positions=rng.normal(scale=3.0, size=(18, 3)))
    calc = gen.make_restrained_calculator(LennardJones(sigma=2.5, epsilon=0.01, rc=8.0), radius=1.0, k=2.0)
    atoms.calc = calc
    total = atoms.get_potential_energy()
    forces = atoms.get_forces()
    pure = atoms.copy()
    pure.calc = LennardJones(sigma=2.5, epsilon=0.01, rc=8.0)
    assert calc.wall_energy > 0
    assert calc.label_energy == pytest.approx(pure.get_potential_energy())
    assert np.allclose(calc.label_forces, pure.get_forces())
    assert total == pytest.approx(calc.label_energy + calc.wall_energy)
    assert not np.allclose(forces, calc.label_forces)


def test_quick_paper_protocol_archives_and_resumes_from_the_archive(tmp_path):
    """--protocol paper in miniature: Behler preset, Table S1 scenarios, per-set splits; a
    second run in a fresh output folder trains nothing and reports the archived potentials."""
    archive = tmp_path / "archive"
    base = [
        sys.executable,
        str(WATER / "study.py"),
        "--protocol",
        "paper",
        "--quick",
        "--archive",
        str(archive),
        "--only",
        "energy_500",
        "taylor_A_500",
        "taylor_B_500",
        "forces_500",
        "--no-scan",
    ]
    first = subprocess.run(base + ["--out", str(tmp_path / "a")], cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-3000:]
    results = json.loads((tmp_path / "a" / "results.json").read_text())
    assert results["protocol"] == "paper"
    assert set(results["scenarios"]) == {"energy_500", "taylor_A_500", "taylor_B_500", "forces_500"}
    splits = json.loads((tmp_path / "a" / "splits" / "quick.done").read_text())
    assert splits["train_500"] + splits["test_train_500"] == 13  # 523 // 40 frames, 90/10
    kept = archive / "energy_500" / "p0"
    assert {p.name for p in kept.iterdir()} == {"H.nn.ascii", "O.nn.ascii", "history.csv", "study.json"}
    assert "taylor_energy_rmse" in (archive / "taylor_B_500_d0.008_a22" / "p0" / "history.csv").read_text()
    second = subprocess.run(base + ["--out", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-3000:]
    assert not (tmp_path / "b" / "runs" / "energy_500" / "p0" / "checkpoint.pt").exists()
    again = json.loads((tmp_path / "b" / "results.json").read_text())
    assert again["scenarios"] == results["scenarios"]
    # Killed mid-training, then resumed: the same potentials as the uninterrupted run. The kill
    # is made deterministic: a study stopped after epoch 1 leaves exactly the checkpoint of a
    # 1-epoch run (tests/test_training.py shows a SIGKILLed run resumes bit-exactly), without
    # an exported potential or a study.json; the rerun continues those checkpoints to epoch 3.
    killed = tmp_path / "c"
    only = ["--only", "energy_500", "taylor_B_500"]
    cut = base[: base.index("--archive")] + ["--no-scan", "--out", str(killed)] + only
    one = subprocess.run(cut + ["--epochs", "1"], cwd=ROOT, capture_output=True, text=True)
    assert one.returncode == 0, one.stderr[-3000:]
    for run in ("energy_500", "taylor_B_500_d0.008_a22"):
        p0 = killed / "runs" / run / "p0"
        state = torch.load(p0 / "checkpoint.pt", weights_only=False)
        assert state["epoch"] == 1
        shutil.rmtree(p0 / "potential")
        (p0 / "study.json").unlink()
    (killed / "results.json").unlink()
    resumed = subprocess.run(cut, cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    timing = {"sec_per_epoch", "cpu_seconds"}
    for run in ("energy_500", "taylor_B_500_d0.008_a22"):
        want = json.loads((tmp_path / "a" / "runs" / run / "p0" / "study.json").read_text())
        got = json.loads((killed / "runs" / run / "p0" / "study.json").read_text())
        assert want["epochs"] == got["epochs"] == 3
        assert {k: v for k, v in got.items() if k not in timing} == {k: v for k, v in want.items() if k not in timing}, run
        for f in ("H.nn.ascii", "O.nn.ascii"):
            assert (killed / "runs" / run / "p0" / "potential" / f).read_bytes() == (tmp_path / "a" / "runs" / run / "p0" / "potential" / f).read_bytes()
