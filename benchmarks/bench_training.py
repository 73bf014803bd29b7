"""Training cost per mode, featurization and prediction rates (issues #3 and #11), 1 thread.

Training (each mode in its own process, for peak memory): the TiO2 set with the ænet TiO2
descriptor (Chebyshev 6.5 Å/20, 5.0 Å/6: 56 inputs), 56-10-10-1 tanh, L-BFGS, for modes
energy, taylor a = 10 (fixed and resample), forces (float64 Jacobians) and forces_f32
(``forces.jacobian_dtype: float32``); the water-cluster train_500 set (the study's
descriptor and network) for energy, forces and forces_f32. Each trains for ``--seconds`` of training
time; reported: seconds per epoch (min and median over the epochs after the first 5),
epochs reached, peak resident memory, test force MAE / energy RMSE of the best epoch.

Rates (atoms/s at the min and median time of ``--repeats`` passes): descriptors without
derivatives (one C API call per structure, ``_features``, and one call for the whole set,
``_features_many``, as training featurizes), with position derivatives (blocks, and the
dense training Jacobian), and the
C++ evaluator (energy + forces), on the 100 TiO2 structures (ænet potential) and on 100
56-atom LMNTO frames (shipped potential); ``python -m export predict --forces`` on the 100
TiO2 structures (its own atoms/s line: reading, evaluation, printing).

Run on a quiet machine:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_training.py --out bench.json

The JSON printed last (and written to ``--out``) holds ``training`` (per mode: the keys
above), ``rates`` (``<set>_<what>`` -> atoms/s at the minimum and at the median time,
``at_min_time`` and ``at_median_time``; ``predict_forces_tio2`` the same) and ``ratios``: ``tio2_forces_over_energy`` and ``tio2_forces_f32_over_energy``
(median epoch times), ``tio2_resample_over_fixed``, ``water500_forces_over_energy`` and
``water500_forces_f32_over_energy``, each
also with the ``_min`` suffix for the ratio of the minima.
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIO2 = ROOT / "tests" / "data" / "tio2-aenet"
TIO2_POTENTIAL = [str(TIO2 / "potential" / "Ti.nn.ascii"), str(TIO2 / "potential" / "O.nn.ascii")]
LMNTO = ROOT / "examples" / "lmnto"
WATER = ROOT / "examples" / "water_clusters"
MODES = {
    "energy": {"training": {"mode": "energy"}},
    "taylor_fixed_a10": {"training": {"mode": "taylor"}, "taylor": {"sampling": "fixed"}},
    "taylor_resample_a10": {"training": {"mode": "taylor"}, "taylor": {"sampling": "resample"}},
    "forces": {"training": {"mode": "forces"}},
    "forces_f32": {"training": {"mode": "forces"}, "forces": {"jacobian_dtype": "float32"}},
    "water500_energy": {"training": {"mode": "energy"}},
    "water500_forces": {"training": {"mode": "forces"}},
    "water500_forces_f32": {"training": {"mode": "forces"}, "forces": {"jacobian_dtype": "float32"}},
}


def config(mode: str, seconds: float, out: Path) -> dict:
    raw = {
        "output": str(out / mode),
        "seed": 1,
        "data": {"train": [str(TIO2 / "structure-*.xsf")], "test_fraction": 0.2, "reference_energies": {"Ti": -1604.604515075, "O": -432.503149303}},
        "descriptor": {"radial_cutoff": 6.5, "radial_order": 20, "angular_cutoff": 5.0, "angular_order": 6},
        "network": {"hidden": [10, 10], "activation": "tanh"},
        "training": {"optimizer": "lbfgs", "epochs": 100000, "checkpoint_every": 100000, "force_metrics_every": 100000, "max_seconds": seconds, "threads": 1},
        "taylor": {"strategy": "random", "delta": 0.02, "multiple": 10, "skip_below": 1e-6},
        "forces": {"weight": 0.1},
    }
    if mode.startswith("water500"):
        import importlib.util

        spec = importlib.util.spec_from_file_location("water_study", WATER / "study.py")
        study = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(study)

        splits = study.write_splits(out / "water_splits", quick=False)
        raw["data"] = {"train": [str(splits["train_500"])], "test": [str(splits["test"])], "reference_energies": study.reference_energies()}
        raw["descriptor"] = dict(study.DESCRIPTOR)
        raw["network"] = dict(study.NETWORK)
    for section, values in MODES[mode].items():
        raw[section].update(values)
    return raw


def child(raw: dict) -> None:
    from trainer.config import config_from_dict
    from trainer.loop import Run

    summary = Run(config_from_dict(raw), progress=False).run()
    import csv

    rows = list(csv.DictReader(open(Path(raw["output"]) / "metrics.csv")))
    seconds = np.array([float(r["seconds"]) for r in rows])
    steady = seconds[5:] if len(seconds) > 10 else seconds
    print(
        json.dumps(
            {
                "epochs": len(rows),
                "seconds_per_epoch_min": float(steady.min()),
                "seconds_per_epoch_median": float(np.median(steady)),
                "training_seconds": float(seconds.sum()),
                "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "test_force_mae": summary["test"].get("force_mae"),
                "test_energy_rmse": summary["test"]["energy_rmse"],
                "best_epoch": summary["best_epoch"],
                "n_taylor": summary["n_taylor"],
            }
        )
    )


def timed(fn, natoms: int, repeats: int) -> dict:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"at_min_time": natoms / min(times), "at_median_time": natoms / float(np.median(times))}


def rates(repeats: int) -> dict:
    import ase.io

    from trainer.native import NativeHandle
    from trainer.readers import read_structures
    from trainer.structures import Structure

    tio2 = [read_structures(f)[0] for f in sorted(glob.glob(str(TIO2 / "structure-*.xsf")))]
    frames = ase.io.read(LMNTO / "data" / "lmnto56_400K_runA.extxyz.gz", "100:200")
    lmnto = [Structure.from_ase(a) for a in frames]
    sets = {
        "tio2": (NativeHandle.from_files(TIO2_POTENTIAL), tio2),
        "lmnto56": (NativeHandle.from_files([str(LMNTO / "potential" / f"{e}.nn.ascii") for e in ("Li", "Mo", "Ni", "Ti", "O")]), lmnto),
    }
    out = {}
    for name, (h, structures) in sets.items():
        natoms = sum(s.natoms for s in structures)
        ld = h.row_length()
        dense = [(np.zeros((s.natoms, ld)), np.zeros((s.natoms * ld, s.natoms * 3))) for s in structures]
        out[f"{name}_features"] = timed(lambda: [h.features(s) for s in structures], natoms, repeats)
        out[f"{name}_features_many"] = timed(lambda: h.features_many(structures), natoms, repeats)
        out[f"{name}_features_derivative_blocks"] = timed(lambda: [h.features(s, True) for s in structures], natoms, repeats)
        out[f"{name}_features_dense_jacobian"] = timed(lambda: [h.features_dense(s, g, j) for s, (g, j) in zip(structures, dense)], natoms, repeats)
        out[f"{name}_evaluator_energy_forces"] = timed(lambda: [h.compute(s) for s in structures], natoms, repeats)
    from export.predict import run_predict

    files = sorted(glob.glob(str(TIO2 / "structure-*.xsf")))
    seen = []
    for _ in range(repeats):
        buf = io.StringIO()
        run_predict(TIO2_POTENTIAL, files, forces=True, as_json=False, legacy_angular=False, out=buf)
        seen.append(float(re.search(r"\(([0-9.]+) atoms/s\)", buf.getvalue().splitlines()[-1]).group(1)))
    out["predict_forces_tio2"] = {"at_min_time": max(seen), "at_median_time": float(np.median(seen))}
    return out


def ratio(training: dict, a: str, b: str, key: str) -> float | None:
    if a in training and b in training:
        return training[a][key] / training[b][key]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="training-time budget per mode")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench_training.json")
    parser.add_argument("--modes", nargs="*", default=list(MODES))
    parser.add_argument("--no-rates", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    training = {}
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            raw = config(mode, args.seconds, Path(tmp))
            proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(raw)], capture_output=True, text=True, env=env, cwd=ROOT)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            training[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(mode, json.dumps(training[mode]), flush=True)
    result = {"training": training, "rates": {} if args.no_rates else rates(args.repeats), "ratios": {}}
    pairs = {
        "tio2_forces_over_energy": ("forces", "energy"),
        "tio2_forces_f32_over_energy": ("forces_f32", "energy"),
        "tio2_resample_over_fixed": ("taylor_resample_a10", "taylor_fixed_a10"),
        "water500_forces_over_energy": ("water500_forces", "water500_energy"),
        "water500_forces_f32_over_energy": ("water500_forces_f32", "water500_energy"),
    }
    for name, (a, b) in pairs.items():
        result["ratios"][name] = ratio(training, a, b, "seconds_per_epoch_median")
        result["ratios"][name + "_min"] = ratio(training, a, b, "seconds_per_epoch_min")
    text = json.dumps(result, indent=1)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
