"""Epoch time of training in 1 and 2 processes (torchrun, gloo), 1 thread each.

Data: the LMNTO accuracy-study training split (examples/lmnto/splits.py: 720 train, 80 test
56-atom CHGNet frames), the paper's descriptor (Chebyshev 6.5 Å/20, 3.5 Å/2: 48 inputs) and
48-10-10-1 networks, L-BFGS; modes energy and taylor (strategy B, a = 20, fixed). Reported:
seconds per epoch, min and median over the epochs after the first 3, and the speed-up
t(1 process) / t(2 processes) of the medians. Run on a quiet machine:

    python benchmarks/bench_distributed.py --epochs 30 --out bench_distributed.json

``--data md`` times the MD-potential set-up instead: every committed segment of
examples/lmnto/data/md_set (the set that grows towards the paper's ~4,000 frames) but the
last for training, the last for testing, and the paper's 48-20-20-1 networks; ``--data all``
adds the 1,522 frames of the accuracy study's two 400 K runs to the training set (every
56-atom LMNTO frame the project has).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


def splits(folder: Path) -> dict:
    spec = importlib.util.spec_from_file_location("lmnto_splits", ROOT / "examples" / "lmnto" / "splits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_splits(folder)


def md_set_paths(with_accuracy_runs: bool = False) -> dict:
    data = ROOT / "examples" / "lmnto" / "data"
    segments = sorted((data / "md_set").glob("seg_*.extxyz.gz"))
    if len(segments) < 2:
        raise SystemExit("--data md needs at least two committed segments of examples/lmnto/data/md_set")
    extra = sorted(data.glob("lmnto56_400K_run*.extxyz.gz")) if with_accuracy_runs else []
    return {"train": extra + segments[:-1], "test": segments[-1:]}


def config(folder: Path, name: str, mode: str, paths: dict, epochs: int, hidden: list) -> Path:
    raw = {
        "output": str(folder / name),
        "seed": 1,
        "data": {
            "train": [str(p) for p in paths["train"]],
            "test": [str(p) for p in paths["test"]],
            "reference_energies": {"Li": -0.3, "Mo": -4.6, "Ni": -1.9, "Ti": -2.6, "O": -1.5},
        },
        "descriptor": {"radial_cutoff": 6.5, "radial_order": 20, "angular_cutoff": 3.5, "angular_order": 2},
        "network": {"hidden": hidden},
        "training": {"mode": mode, "epochs": epochs, "checkpoint_every": epochs, "force_metrics_every": epochs},
        "taylor": {"strategy": "random", "delta": 0.015, "multiple": 20},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def run(cfg: Path, ranks: int) -> dict:
    launcher = (
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(ranks), "--master_addr", "127.0.0.1", "--master_port", "29511"]
        if ranks > 1
        else [sys.executable]
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(launcher + ["-m", "trainer", "train", str(cfg), "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    out = yaml.safe_load(cfg.read_text())["output"]
    seconds = np.array([float(r["seconds"]) for r in csv.DictReader(open(Path(out) / "metrics.csv"))])[3:]
    return {"ranks": ranks, "seconds_per_epoch_min": float(seconds.min()), "seconds_per_epoch_median": float(np.median(seconds)), "epochs_timed": len(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--modes", nargs="+", default=["energy", "taylor"])
    parser.add_argument("--out", default="bench_distributed.json")
    parser.add_argument(
        "--data",
        choices=["accuracy", "md", "all"],
        default="accuracy",
        help="the 720/80 accuracy split (48-10-10-1), the MD set (48-20-20-1), or the MD set plus the accuracy runs (all)",
    )
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.data in ("md", "all"):
            paths, hidden = md_set_paths(args.data == "all"), [20, 20]
        else:
            split = splits(folder / "splits")
            paths, hidden = {"train": [split["train"]], "test": [split["test"]]}, [10, 10]
        results["data"] = {"set": args.data, "train": [Path(p).name for p in paths["train"]], "test": [Path(p).name for p in paths["test"]], "hidden": hidden}
        for mode in args.modes:
            rows = [run(config(folder, f"{mode}_{r}", mode, paths, args.epochs, hidden), r) for r in (1, 2)]
            results[mode] = {
                "one": rows[0],
                "two": rows[1],
                "speedup_median": rows[0]["seconds_per_epoch_median"] / rows[1]["seconds_per_epoch_median"],
                "speedup_min": rows[0]["seconds_per_epoch_min"] / rows[1]["seconds_per_epoch_min"],
            }
            print(mode, json.dumps(results[mode]), flush=True)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
