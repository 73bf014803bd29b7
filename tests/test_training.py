"""The trainer end to end on real TiO2 data: config validation, no Taylor leakage into
test/validation, kill -9 and resume, export round trips."""

import copy
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import yaml

from conftest import ROOT, TIO2

SMALL = {
    "seed": 3,
    "data": {
        "train": [str(TIO2 / "structure-0[0-4]*.xsf")],
        "reference_energies": {"Ti": -1604.604515075, "O": -432.503149303},
        "test_fraction": 0.15,
        "validation": [str(TIO2 / "structure-09*.xsf")],
    },
    "descriptor": {"radial_cutoff": 5.0, "radial_order": 6, "angular_cutoff": 3.0, "angular_order": 2},
    "network": {"hidden": [6, 6]},
    "training": {"mode": "energy", "epochs": 12, "checkpoint_every": 1, "force_metrics_every": 6},
    "taylor": {"strategy": "random", "delta": 0.02, "multiple": 3},
}


def write_config(tmp_path, name="cfg.yaml", **changes):
    raw = json.loads(json.dumps(SMALL))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        raw.setdefault(section, {})[key] = value
    raw["output"] = str(tmp_path / name.replace(".yaml", ""))
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return path, raw


def trainer(*args, **kw):
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=ROOT, capture_output=True, text=True, **kw)


@pytest.mark.parametrize(
    "mutation,fragment",
    [
        ({"training": {"mode": "energy", "epoks": 3}}, "unknown key 'training.epoks' (did you mean 'epochs'?); valid keys in training: mode"),
        ({"taylor": {"strategy": "C"}}, "taylor.strategy: expected one of 'random', 'cartesian'"),
        ({"training": {"epochs": "ten"}}, "training.epochs: expected an integer"),
        ({"taylor": {"delta": 2.0}}, "taylor.delta: 2.0 is outside the allowed range"),
        ({"extra": 1}, "unknown key 'extra'"),
        ({"data": {"train": ["nothing-*.xsf"], "reference_energies": {"Ti": 0.0}}}, "no file matches"),
    ],
)
def test_config_errors_are_named_before_work(tmp_path, mutation, fragment):
    raw = json.loads(json.dumps(SMALL))
    for k, v in mutation.items():
        raw[k] = v if not isinstance(v, dict) or k not in raw else {**raw[k], **v}
    raw["output"] = str(tmp_path / "run")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    proc = trainer("train", str(path), "--no-progress")
    assert proc.returncode == 2
    assert fragment in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_init_writes_a_valid_commented_config(tmp_path):
    from trainer.config import load_config

    path = tmp_path / "example.yaml"
    assert trainer("init", str(path)).returncode == 0
    assert "# taylorann training configuration" in path.read_text()
    cfg = load_config(path)
    assert cfg.training.mode == "taylor" and cfg.descriptor.radial_order == 20
    assert trainer("init", str(path)).returncode == 2  # refuses to overwrite


def test_taylor_structures_never_leak_into_test_or_validation(tmp_path):
    from trainer.config import load_config
    from trainer.loop import Run

    path, _ = write_config(tmp_path, training__mode="taylor")
    run = Run(load_config(path), progress=False)
    run.prepare()
    assert run.n_taylor == 3 * len(run.splits.train)
    train_names = {g.name for g in run.splits.train}
    for graphs in (run.splits.test, run.splits.validation):
        names = {g.name for g in graphs}
        assert not any("#" in n for n in names)
        assert not names & train_names
    assert run.taylor_features.nstructures == run.n_taylor
    assert run.test_features.nstructures == len(run.splits.test)


def _final_state(run_dir):
    state = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    return state["model_state"], state["history"]


def test_resume_after_sigkill_equals_uninterrupted_run(tmp_path):
    path_a, raw = write_config(tmp_path, "a.yaml", training__epochs=40)
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", "train", str(path_a), "--no-progress"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    run_a = tmp_path / "a"
    deadline = time.time() + 120
    while time.time() < deadline:
        if (run_a / "metrics.csv").exists() and len((run_a / "metrics.csv").read_text().splitlines()) > 4:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    state = torch.load(run_a / "checkpoint.pt", weights_only=False)  # never truncated
    assert 1 <= state["epoch"] < 40
    assert not list(run_a.glob("potential/*"))  # killed before the end
    resumed = trainer("train", str(path_a), "--resume", str(run_a), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    path_b, _ = write_config(tmp_path, "b.yaml", training__epochs=40)
    fresh = trainer("train", str(path_b), "--no-progress")
    assert fresh.returncode == 0, fresh.stderr
    (wa, ha), (wb, hb) = _final_state(run_a), _final_state(tmp_path / "b")
    for key in wb:
        assert torch.equal(wa[key], wb[key]), key
    assert [h["test_energy_rmse"] for h in ha] == [h["test_energy_rmse"] for h in hb]
    assert json.loads((run_a / "summary.json").read_text())["test"] == json.loads((tmp_path / "b" / "summary.json").read_text())["test"]


@pytest.mark.parametrize("mode,optimizer", [("taylor", "lbfgs"), ("forces", "adam")])
def test_training_exports_round_trip(tmp_path, mode, optimizer):
    from export.loading import load_potential
    from trainer.checkpoint import load_model_from_run
    from trainer.evaluate import predict
    from trainer.readers import read_structures

    path, _ = write_config(tmp_path, f"{mode}.yaml", training__mode=mode, training__optimizer=optimizer, training__epochs=4, training__batch_size=8)
    proc = trainer("train", str(path), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    run = tmp_path / mode
    for f in (
        "potential/Ti.nn.ascii",
        "potential/O.nn.ascii",
        "model.pt",
        "metrics.csv",
        "summary.json",
        "figures/learning_curves.png",
        "figures/forces_test.png",
    ):
        assert (run / f).exists(), f
    model = load_model_from_run(run)
    ascii_model = load_potential([str(run / "potential/Ti.nn.ascii"), str(run / "potential/O.nn.ascii")])
    scripted = load_potential([str(run / "model.pt")])
    for s in read_structures(TIO2 / "structure-050.xsf") + read_structures(TIO2 / "structure-002.xsf"):
        ref = predict(model, s, forces=True)
        for other in (ascii_model, scripted):
            p = predict(other, s, forces=True)
            assert abs(p.energy - ref.energy) <= 1e-10
            assert np.abs(p.forces - ref.forces).max() <= 1e-10
    summary = json.loads((run / "summary.json").read_text())
    assert {"train", "test", "validation"} <= set(summary)
    assert summary["validation"]["force_mae"] > 0
    evaluated = trainer("evaluate", str(run), "--structures", str(TIO2 / "structure-090.xsf"), "--json")
    assert evaluated.returncode == 0 and "energy_rmse" in json.loads(evaluated.stdout)
    # export CLI from the run folder
    out = tmp_path / "exported"
    assert subprocess.run([sys.executable, "-m", "export", "nnascii", str(run), "-o", str(out)], cwd=ROOT).returncode == 0
    assert (out / "Ti.nn.ascii").read_text() == (run / "potential/Ti.nn.ascii").read_text()


def test_resume_extends_a_finished_run_but_rejects_other_changes(tmp_path):
    path, raw = write_config(tmp_path, "ext.yaml", training__epochs=3)
    assert trainer("train", str(path), "--no-progress").returncode == 0
    run = tmp_path / "ext"
    raw["training"]["epochs"] = 5
    raw["training"]["selection"] = "last"
    path.write_text(yaml.safe_dump(raw))
    proc = trainer("train", str(path), "--resume", str(run), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    state = torch.load(run / "checkpoint.pt", weights_only=False)
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3, 4, 5] and state["best"]["epoch"] == 5
    assert yaml.safe_load((run / "config.yaml").read_text())["training"]["epochs"] == 5
    raw["network"]["hidden"] = [7, 7]
    path.write_text(yaml.safe_dump(raw))
    proc = trainer("train", str(path), "--resume", str(run), "--no-progress")
    assert proc.returncode == 2 and "network.hidden differ" in proc.stderr
    proc = trainer("train", str(path), "--no-progress")  # a fresh run must not overwrite
    assert proc.returncode == 2 and "already holds a run" in proc.stderr


def test_resume_accepts_a_checkpoint_from_before_a_key_existed_only_at_its_default():
    """A checkpoint written before data.min_distance existed resumes while the key keeps its
    default (the old run behaved that way) and conflicts once the key is set to anything else."""
    from trainer.config import config_from_dict, config_to_dict, resume_conflicts

    raw = {"data": {"train": ["x.xsf"], "reference_energies": {"Ti": -1.0, "O": -2.0}}}
    current = config_to_dict(config_from_dict(raw))
    old = copy.deepcopy(current)
    del old["data"]["min_distance"]
    del old["forces"]  # a whole section added later: at its defaults
    assert resume_conflicts(old, current) == []
    raw["data"]["min_distance"] = 0.3
    assert resume_conflicts(old, config_to_dict(config_from_dict(raw))) == ["data.min_distance"]
    current["network"]["hidden"] = [3]
    assert resume_conflicts(old, current) == ["network.hidden"]
