"""Training cost per mode on the TiO2 set (issue #3's table), 1 thread.

For energy, taylor (a = 10, fixed and resample) and forces, with the same descriptor
(Chebyshev 6.5 Å/20, 5.0 Å/6: 56 inputs) and network (56-10-10-1 tanh), L-BFGS, each mode
trains in its own process for the same training-time budget; reported: seconds per epoch
(min and median), epochs reached, peak resident memory of the process, and the test-set
force MAE / energy RMSE of the best epoch.

    OMP_NUM_THREADS=1 python benchmarks/bench_training.py --seconds 90 --out bench_training.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIO2 = ROOT / "tests" / "data" / "tio2-aenet"
MODES = {
    "energy": {"training": {"mode": "energy"}},
    "taylor_fixed_a10": {"training": {"mode": "taylor"}, "taylor": {"sampling": "fixed"}},
    "taylor_resample_a10": {"training": {"mode": "taylor"}, "taylor": {"sampling": "resample"}},
    "forces": {"training": {"mode": "forces"}},
}


def config(mode: str, seconds: float, out: Path) -> dict:
    raw = {
        "output": str(out / mode), "seed": 1,
        "data": {"train": [str(TIO2 / "structure-*.xsf")], "test_fraction": 0.2,
                 "reference_energies": {"Ti": -1604.604515075, "O": -432.503149303}},
        "descriptor": {"radial_cutoff": 6.5, "radial_order": 20, "angular_cutoff": 5.0, "angular_order": 6},
        "network": {"hidden": [10, 10], "activation": "tanh"},
        "training": {"optimizer": "lbfgs", "epochs": 100000, "checkpoint_every": 100000,
                     "force_metrics_every": 100000, "max_seconds": seconds, "threads": 1},
        "taylor": {"strategy": "random", "delta": 0.02, "multiple": 10, "skip_below": 1e-6},
        "forces": {"weight": 0.1},
    }
    for section, values in MODES[mode].items():
        raw[section].update(values)
    return raw


def child(raw: dict) -> None:
    sys.path.insert(0, str(ROOT))
    from trainer.config import config_from_dict
    from trainer.loop import Run

    history = Run(config_from_dict(raw), progress=False).run()
    import csv

    rows = list(csv.DictReader(open(Path(raw["output"]) / "metrics.csv")))
    seconds = np.array([float(r["seconds"]) for r in rows])
    print(json.dumps({
        "epochs": len(rows), "seconds_per_epoch_min": float(seconds.min()),
        "seconds_per_epoch_median": float(np.median(seconds)), "training_seconds": float(seconds.sum()),
        "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "test_force_mae": history["test"]["force_mae"], "test_energy_rmse": history["test"]["energy_rmse"],
        "best_epoch": history["best_epoch"], "n_taylor": history["n_taylor"],
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="training-time budget per mode")
    parser.add_argument("--out", default="bench_training.json")
    parser.add_argument("--modes", nargs="+", default=list(MODES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            raw = config(mode, args.seconds, Path(tmp))
            env = dict(os.environ, OMP_NUM_THREADS="1")
            proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(raw)], capture_output=True,
                                  text=True, env=env)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(mode, json.dumps(results[mode]), flush=True)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
