"""The LMNTO accuracy study of the paper's Fig. 9 (issue #10 item 2): 48-10-10-1 networks
on the 720 training / 80 test structures of ``splits.py``, energy-only against Taylor
training (strategy B, fixed displaced sets) at δ_max ∈ {0.01, 0.02, 0.03, 0.04} Å and
a ∈ {20, 70}, several seeds (initial weights) per point; every number on the 250
validation structures that no run ever selects on.

    python examples/lmnto/accuracy.py --out runs/lmnto_accuracy                 # everything
    python examples/lmnto/accuracy.py --out runs/lmnto_accuracy --only energy taylor_d0.03_a20 --seeds 1

Resumable in pieces: a finished (scenario, seed) is recorded in ``<out>/results.json`` (and
copied to ``--archive``, default ``examples/lmnto/accuracy/results.json``) and skipped on
a rerun; an interrupted one continues from its checkpoint. The exported epoch of every
run is the one with the lowest test energy RMSE (ænet's and the paper's choice);
``--selection last`` exports the last epoch instead. Either way the last epoch's validation
numbers are recorded too (``last_validation_*``, from the run's checkpoint). ``--table`` prints the Markdown table
of the archive (mean ± s.d. over seeds) next to the paper's numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

from splits import write_splits  # noqa: E402
from train import config_dict  # noqa: E402

HIDDEN = (10, 10)
DELTAS = (0.01, 0.02, 0.03, 0.04)
MULTIPLES = (20, 70)
ARCHIVE = HERE / "accuracy" / "results.json"
# Cooper et al. 2020, Fig. 9 (SCAN-labelled LMNTO, 48-10-10-1, validation set)
PAPER = {"energy": {"energy_rmse": 4.6, "force_mae": 0.92}, "taylor_d0.03_a70": {"energy_rmse": 4.9, "force_mae": 0.66}}


def scenarios() -> dict[str, dict]:
    out = {"energy": {"mode": "energy", "delta": 0.0, "multiple": 0}}
    for a in MULTIPLES:
        for d in DELTAS:
            out[f"taylor_d{d:g}_a{a}"] = {"mode": "taylor", "delta": d, "multiple": a}
    return out


def run_one(out: Path, splits: dict, name: str, scenario: dict, seed: int, epochs: int, selection: str) -> dict:
    from trainer.config import config_from_dict
    from trainer.loop import Run

    run_name = f"{name}_s{seed}"
    raw = config_dict(
        out,
        run_name,
        splits,
        scenario["mode"],
        epochs,
        seed,
        scenario["delta"] or 0.03,
        scenario["multiple"] or 20,
        "fixed",
        selection,
        HIDDEN,
    )
    raw["training"]["threads"] = 1
    config = config_from_dict(raw)
    start = time.process_time()
    summary = Run(config, resume=(out / run_name / "checkpoint.pt").exists()).run()
    last = last_epoch_validation(out / run_name, splits["validation"])
    return {
        "scenario": name,
        "seed": seed,
        "mode": scenario["mode"],
        "delta_max": scenario["delta"] if scenario["mode"] == "taylor" else None,
        "multiple": scenario["multiple"] if scenario["mode"] == "taylor" else None,
        "network": "48-" + "-".join(map(str, HIDDEN)) + "-1",
        "epochs": summary["epochs"],
        "selection": selection,
        "best_epoch": summary["best_epoch"],
        "seconds_per_epoch": summary["seconds_per_epoch"],
        "cpu_seconds_this_call": time.process_time() - start,
        "n_taylor": summary["n_taylor"],
        "validation_energy_rmse": summary["validation"]["energy_rmse"],
        "validation_force_mae": summary["validation"]["force_mae"],
        "test_energy_rmse": summary["test"]["energy_rmse"],
        "test_force_mae": summary["test"]["force_mae"],
        "last_validation_energy_rmse": last["energy_rmse"],
        "last_validation_force_mae": last["force_mae"],
    }


def last_epoch_validation(run_dir: Path, validation: Path) -> dict:
    """Validation numbers of the run's last epoch (its checkpoint), next to the exported
    test-selected epoch: whether training on past the test-selected epoch helps."""
    from trainer.checkpoint import load_model_from_run
    from trainer.metrics import predict_structures, summarize
    from trainer.readers import read_structures

    model = load_model_from_run(run_dir, which="last")
    return summarize(predict_structures(model, read_structures(validation), forces=True))


def table(results: dict) -> str:
    """Markdown: one row per scenario, mean ± s.d. over its seeds (validation set)."""

    def stat(values: list[float], digits: int) -> str:
        if len(values) == 1:
            return f"{values[0]:.{digits}f}"
        return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"

    lines = [
        "| scenario | seeds | exported epoch (range) | validation energy RMSE (meV/atom) | validation force MAE (eV/Å) "
        "| last epoch: E RMSE / F MAE | paper E / F |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in scenarios():
        rows = [r for r in results.values() if r["scenario"] == name]
        if not rows:
            continue
        paper = PAPER.get(name)
        best = [r["best_epoch"] for r in rows]
        lines.append(
            f"| {name} | {len(rows)} | {min(best)}–{max(best)} of {rows[0]['epochs']} | "
            f"{stat([r['validation_energy_rmse'] for r in rows], 2)} | {stat([r['validation_force_mae'] for r in rows], 3)} | "
            f"{stat([r['last_validation_energy_rmse'] for r in rows], 2)} / {stat([r['last_validation_force_mae'] for r in rows], 3)} | "
            + (f"{paper['energy_rmse']} / {paper['force_mae']}" if paper else "")
            + " |"
        )
    return "\n".join(lines)


def save(results: dict, paths: list[Path]) -> None:
    from trainer.atomic_io import atomic_write_text

    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(results, indent=1))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/lmnto_accuracy", help="run folder (trainer runs, splits, results.json)")
    parser.add_argument("--archive", default=str(ARCHIVE), help="results.json kept with the example (committed)")
    parser.add_argument("--only", nargs="+", choices=list(scenarios()), help="scenarios to run (default all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--selection", default="test_energy", choices=["test_energy", "last"])
    parser.add_argument("--table", action="store_true", help="print the archive's table and stop")
    args = parser.parse_args(argv)

    archive = Path(args.archive)
    results = json.loads(archive.read_text()) if archive.exists() else {}
    out = Path(args.out).resolve()
    for key, row in results.items():  # rows recorded before the last-epoch numbers existed
        if "last_validation_force_mae" not in row and (out / key / "checkpoint.pt").exists():
            last = last_epoch_validation(out / key, out / "splits" / "validation.extxyz")
            row.update({"last_validation_energy_rmse": last["energy_rmse"], "last_validation_force_mae": last["force_mae"]})
    if args.table:
        if archive.exists():
            save(results, [archive])
        print(table(results))
        return
    splits = write_splits(out / "splits")
    chosen = {k: v for k, v in scenarios().items() if not args.only or k in args.only}
    for seed in args.seeds:  # seed-major: every scenario gets a first seed before any gets a third
        for name, scenario in chosen.items():
            key = f"{name}_s{seed}"
            if key in results and results[key]["epochs"] >= args.epochs and results[key]["selection"] == args.selection:
                continue
            results[key] = run_one(out, splits, name, scenario, seed, args.epochs, args.selection)
            save(results, [out / "results.json", archive])
            print(json.dumps(results[key]), flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
