"""The paper's Fig. 10 potentials (issue #10): 48-20-20-1 networks on the CHGNet MD set,
Taylor-trained (δ_max 0.015 Å, a = 20) and energy-only, each then run in NVE MD of the
224-atom cell in LAMMPS (400 K start, 1 fs).

    python examples/lmnto/md_potentials.py --out runs/fig10                      # 3 + 3 potentials, 100 ps NVE each
    python examples/lmnto/md_potentials.py --out runs/fig10 --long-ps 1000       # plus 1 ns of the first of each kind
    python examples/lmnto/md_potentials.py --out runs/fig10 --table              # the Markdown table of OUT/fig10.json

Data: every frame of ``data/md_set`` (all segments written so far) except the last 8 of each
segment, which are the test set (epoch selection), with a 3-frame (60 fs) gap before them;
plus all training and test frames of the 400 K accuracy set (``splits.make_splits``, no
subsampling). The accuracy set's 250 validation frames (the last 2.5 ps of run B) stay
out of training and selection and give the validation numbers. Every potential is a normal
trainer run in ``OUT/<kind>_s<seed>/`` (resumed if stopped, skipped when finished), every NVE run
a folder ``OUT/nve/<kind>_s<seed>_<ps>ps/``; ``OUT/fig10.json`` collects the numbers after each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MD_SET = HERE / "data" / "md_set"
TEST_FRAMES = 8  # per segment, its last frames
GAP_FRAMES = 3  # dropped before them (frames are 20 fs apart)
NVE_KEYS = ("drift_meV_per_atom_per_ps", "fluctuation_meV_per_atom", "detrended_fluctuation_meV_per_atom", "mean_temperature_K", "steps")

from nve import SPECIES, run_nve  # noqa: E402
from splits import make_splits, read_frames  # noqa: E402
from train import config_dict, run_or_load  # noqa: E402

from trainer.atomic_io import atomic_write_extxyz, atomic_write_text  # noqa: E402


def md_splits(folder: Path, md_set: Path = MD_SET, max_segments: int | None = None, accuracy_set: bool = True) -> dict[str, Path]:
    """Train / test / validation files in ``folder`` (written once; a later call with more
    segments on disk rewrites them)."""
    segments = sorted(md_set.glob("seg_*.extxyz.gz"))[:max_segments]
    if not segments:
        raise FileNotFoundError(f"{md_set}: no seg_*.extxyz.gz (run generate_md_set.py)")
    train, test = [], []
    for seg in segments:
        frames = read_frames(seg)
        if len(frames) <= TEST_FRAMES + GAP_FRAMES:
            raise ValueError(f"{seg}: {len(frames)} frames; a segment needs more than {TEST_FRAMES + GAP_FRAMES}")
        train += frames[: -TEST_FRAMES - GAP_FRAMES]
        test += frames[-TEST_FRAMES:]
    acc_train, acc_test, validation = make_splits(n_train=10**9, n_test=10**9)
    if not accuracy_set:
        acc_train, acc_test = [], []
    paths = {name: folder / f"{name}.extxyz" for name in ("train", "test", "validation")}
    record = folder / "splits.json"
    info = {"segments": [s.name for s in segments], "train": len(train) + len(acc_train), "test": len(test) + len(acc_test), "validation": len(validation)}
    if record.exists() and json.loads(record.read_text()) == info and all(p.exists() for p in paths.values()):
        return paths
    for name, frames in (("train", train + acc_train), ("test", test + acc_test), ("validation", validation)):
        atomic_write_extxyz(paths[name], frames)
    atomic_write_text(record, json.dumps(info, indent=1))
    return paths


def train_potential(out: Path, kind: str, seed: int, splits: dict, epochs: int) -> dict:
    mode = "taylor" if kind == "taylor" else "energy"
    raw = config_dict(out, f"{kind}_s{seed}", splits, mode, epochs, seed, 0.015, 20, "fixed", "test_energy", (20, 20))
    raw["training"]["threads"] = 1
    return run_or_load(raw)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--members", type=int, default=3, help="potentials per kind (seeds 1..N)")
    parser.add_argument("--kinds", nargs="+", default=["taylor", "energy"], choices=["taylor", "energy"])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--ps", type=float, default=100.0, help="NVE length of every potential (ps)")
    parser.add_argument("--long-ps", type=float, default=0.0, help="NVE length of seed 1 of each kind (ps; 0: none)")
    parser.add_argument("--equilibration", type=float, default=2.0, help="ps of Langevin at 400 K before NVE")
    parser.add_argument("--max-segments", type=int, help="use only the first N MD-set segments (smoke runs)")
    parser.add_argument(
        "--accuracy-set", action=argparse.BooleanOptionalAction, default=True, help="also train (and select) on the 400 K accuracy set's frames"
    )
    parser.add_argument("--table", action="store_true", help="print the table of OUT/fig10.json and stop")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    record = out / "fig10.json"
    if args.table:
        print(table(json.loads(record.read_text())))
        return {}
    splits = md_splits(out / "splits", max_segments=args.max_segments, accuracy_set=args.accuracy_set)
    doc = json.loads(record.read_text()) if record.exists() else {"potentials": {}}
    doc["splits"] = json.loads((out / "splits" / "splits.json").read_text())
    for kind in args.kinds:
        for seed in range(1, args.members + 1):
            name = f"{kind}_s{seed}"
            summary = train_potential(out, kind, seed, splits, args.epochs)
            entry = doc["potentials"].setdefault(name, {})
            entry.update(
                {
                    "kind": kind,
                    "seed": seed,
                    "best_epoch": summary["best_epoch"],
                    "epochs": summary["epochs"],
                    "validation": summary["validation"],
                    "test": summary["test"],
                }
            )
            lengths = [args.ps] + ([args.long_ps] if args.long_ps > 0 and seed == 1 else [])
            for ps in lengths:
                key = f"nve_{ps:g}ps"
                if key in entry:
                    continue
                files = [str(out / name / "potential" / f"{e}.nn.ascii") for e in SPECIES]
                result, _ = run_nve(files, out / "nve" / f"{name}_{ps:g}ps", ps, equilibration_ps=args.equilibration)
                entry[key] = {k: result[k] for k in NVE_KEYS if k in result}
                atomic_write_text(record, json.dumps(doc, indent=1))
            atomic_write_text(record, json.dumps(doc, indent=1))
    print(table(doc))
    return doc


def table(doc: dict) -> str:
    rows = [
        "| potential | exported epoch | validation E RMSE (meV/atom) | validation F MAE (eV/Å) | NVE"
        " | drift (meV/atom/ps) | fluctuation (meV/atom) | mean T (K) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, e in doc["potentials"].items():
        for key in sorted(k for k in e if k.startswith("nve_")) or [""]:
            n = e.get(key, {})
            cells = [
                name,
                f"{e['best_epoch']} of {e['epochs']}",
                f"{e['validation']['energy_rmse']:.2f}",
                f"{e['validation'].get('force_mae', float('nan')):.3f}",
                key[4:] or "-",
                f"{n.get('drift_meV_per_atom_per_ps', np.nan):.2e}",
                f"{n.get('fluctuation_meV_per_atom', np.nan):.2e}",
                f"{n.get('mean_temperature_K', np.nan):.0f}",
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
