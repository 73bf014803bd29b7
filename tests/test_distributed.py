"""Training across processes (#16): ``torchrun --nproc_per_node 2 -m trainer train`` (gloo on
this machine's loopback) reaches the weights of a one-process run to 1e-10 relative after
10 epochs, for L-BFGS in every mode and Adam; a checkpoint of 2 ranks resumes in 1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest
import torch
import yaml

from conftest import ROOT, TIO2


def _torchrun() -> list[str]:
    with socket.socket() as sock:  # a free loopback port for the rendezvous
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(port)]


def _config(tmp_path, name, mode, optimizer="lbfgs", epochs=10):
    raw = {
        "output": str(tmp_path / name),
        "seed": 4,
        "data": {"train": [str(TIO2 / "structure-0[0-4]*.xsf")], "test_fraction": 0.2, "reference_energies": {"Ti": -1604.604515075, "O": -432.503149303}},
        "descriptor": {"radial_cutoff": 6.0, "radial_order": 8, "angular_cutoff": 3.5, "angular_order": 3},
        "network": {"hidden": [6, 6]},
        "training": {"mode": mode, "optimizer": optimizer, "epochs": epochs, "checkpoint_every": 5, "force_metrics_every": 5, "batch_size": 8},
        "taylor": {"strategy": "random", "delta": 0.02, "multiple": 2},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _train(config, ranks, *extra):
    cmd = (_torchrun() if ranks == 2 else [sys.executable]) + ["-m", "trainer", "train", str(config), "--no-progress", *extra]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


def _weights(run):
    return torch.load(run / "checkpoint.pt", weights_only=False)["model_state"]


def _assert_same(a, b, tol=1e-10):
    for k in a:
        scale = max(1.0, float(b[k].abs().max()))
        assert float((a[k] - b[k]).abs().max()) <= tol * scale, k


@pytest.mark.parametrize("mode, optimizer", [("energy", "lbfgs"), ("taylor", "lbfgs"), ("forces", "lbfgs"), ("taylor", "adam")])
def test_two_processes_equal_one(tmp_path, mode, optimizer):
    _train(_config(tmp_path, "one", mode, optimizer), 1)
    proc = _train(_config(tmp_path, "two", mode, optimizer), 2)
    assert proc.stdout.count('"best_epoch"') == 1  # rank 0 alone reports
    _assert_same(_weights(tmp_path / "two"), _weights(tmp_path / "one"))
    assert (tmp_path / "two" / "potential" / "Ti.nn.ascii").exists()


def test_two_rank_checkpoint_resumes_in_one_process(tmp_path):
    _train(_config(tmp_path, "straight", "taylor"), 1)
    half = _config(tmp_path, "half", "taylor", epochs=5)
    _train(half, 2)
    shutil.copy(tmp_path / "straight.yaml", tmp_path / "half_full.yaml")
    _train(tmp_path / "half_full.yaml", 1, "--resume", str(tmp_path / "half"))
    _assert_same(_weights(tmp_path / "half"), _weights(tmp_path / "straight"))
