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

With ``--archive DIR`` (the committed record, ``examples/lmnto/fig10``), a finished potential is
also kept in ``DIR/<name>/`` (``.nn.ascii`` files, summary.json, config.yaml, every 10th row of
metrics.csv), every NVE run's thermo trace (every 100 fs) in ``DIR/nve/<name>_<ps>ps.csv.gz``
and the numbers in ``DIR/fig10.json``, with ``DIR/fig10.png`` (total-energy traces, the
paper's Fig. 10). A later session, on another machine, skips what the archive holds; the
archive refuses to mix potentials trained on different splits (``DIR/splits.json``).
``--kinds forces`` adds direct force training (not in the paper's Fig. 10; the practitioner's
reference for what force information buys): the same recipe on every ``FORCE_STRIDE``-th
training frame (the cached float32 descriptor Jacobians of all frames would need ~16 GB).

``--stash`` (before a session ends) copies each unfinished run's last checkpoint to
``DIR/<name>/partial/``; the next run with the same ``--out`` resumes from it.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MD_SET = HERE / "data" / "md_set"
TEST_FRAMES = 8  # per segment, its last frames
GAP_FRAMES = 3  # dropped before them (frames are 20 fs apart)
TRACE_COLUMNS = ("step", "time_ps", "temperature_K", "pe_eV", "ke_eV", "etotal_eV")
NVE_KEYS = ("natoms", "drift_meV_per_atom_per_ps", "fluctuation_meV_per_atom", "detrended_fluctuation_meV_per_atom", "mean_temperature_K", "steps")

from nve import SPECIES, plot, run_nve  # noqa: E402
from splits import make_splits, read_frames  # noqa: E402
from train import FORCES_FLOAT32, config_dict, run_or_load  # noqa: E402

from trainer.atomic_io import atomic_write_extxyz, atomic_write_text  # noqa: E402
from trainer.archive import PARTIAL, keep_partial  # noqa: E402
from trainer.checkpoint import CHECKPOINT  # noqa: E402

FORCE_STRIDE = 3  # --kinds forces: every 3rd training frame (1,448 of 4,344; Jacobians ~2.6 GB in float32)


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


def train_potential(out: Path, kind: str, seed: int, splits: dict, epochs: int, archive: Path | None = None) -> tuple[dict, list[str]]:
    """The run's summary and its .nn.ascii files (in ``archive`` if it holds the potential)."""
    from trainer.archive import keep_run

    name = f"{kind}_s{seed}"
    kept = archive / name if archive else None
    if kept and (kept / "summary.json").exists():
        return json.loads((kept / "summary.json").read_text()), [str(kept / f"{e}.nn.ascii") for e in SPECIES]
    raw = config_dict(out, name, splits, kind, epochs, seed, 0.015, 20, "fixed", "test_energy", (20, 20))
    raw["training"]["threads"] = 1
    if kind == "forces":
        subset = out / "splits" / f"train_every{FORCE_STRIDE}.extxyz"
        if not subset.exists():
            atomic_write_extxyz(subset, read_frames(splits["train"])[::FORCE_STRIDE])
        raw["data"]["train"] = [str(subset)]
        raw["forces"] = dict(FORCES_FLOAT32)
    stashed = kept / PARTIAL / CHECKPOINT if kept else None
    if stashed and stashed.exists() and not (out / name / CHECKPOINT).exists():
        (out / name).mkdir(parents=True, exist_ok=True)  # an earlier session's unfinished run: resume it
        shutil.copy2(stashed, out / name / CHECKPOINT)
    summary = run_or_load(raw)
    if kept:
        keep_run(out / name, kept, files=("summary.json",), config_roots=(out, ROOT))
        if (kept / PARTIAL).exists():
            shutil.rmtree(kept / PARTIAL)
    return summary, [str(out / name / "potential" / f"{e}.nn.ascii") for e in SPECIES]


def stash(out: Path, archive: Path) -> list[str]:
    """Copy the last checkpoint of every unfinished run in ``out`` to ``archive/<name>/partial/``
    (run it before a session ends: the next one resumes from there, on any machine, as long as
    ``--out`` names the same path)."""
    names = []
    for ckpt in sorted(out.glob(f"*_s*/{CHECKPOINT}")):
        run = ckpt.parent
        if (run / "summary.json").exists() or (archive / run.name / "summary.json").exists():
            continue
        keep_partial(run, archive / run.name)
        names.append(run.name)
    return names


def check_archive_splits(archive: Path, splits: dict) -> None:
    """``archive/splits.json`` is written once; a different data split is refused."""
    record = archive / "splits.json"
    if record.exists():
        kept = json.loads(record.read_text())
        if kept != splits:
            raise ValueError(
                f"{record}: the archive holds potentials trained on {kept['train']} train / {kept['test']} test frames"
                f" of {len(kept['segments'])} segments, this run's split has {splits['train']} / {splits['test']} of"
                f" {len(splits['segments'])}; use another --archive (or remove that one)"
            )
    else:
        archive.mkdir(parents=True, exist_ok=True)
        atomic_write_text(record, json.dumps(splits, indent=1))


def save(doc: dict, out: Path, archive: Path | None, names: tuple[str, ...]) -> None:
    """Write ``fig10.json`` to OUT and ARCHIVE. Only the entries ``names`` (this process's
    potentials) replace those on disk, under a lock: several processes (``--kinds taylor`` and
    ``--kinds energy``, say) may share one OUT and ARCHIVE."""
    import fcntl

    for folder in (out, archive) if archive else (out,):
        with open(folder / "fig10.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = folder / "fig10.json"
            merged = json.loads(path.read_text()) if path.exists() else {"potentials": {}}
            merged["splits"] = doc["splits"]
            merged["potentials"].update({n: doc["potentials"][n] for n in names if n in doc["potentials"]})
            atomic_write_text(path, json.dumps(merged, indent=1))


def keep_trace(table_rows: np.ndarray, target: Path, every: int = 10) -> None:
    """Thermo rows (step, time/ps, T/K, PE, KE, Etot in eV) thinned to every ``every``-th (plus the last)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp.gz")
    rows = sorted(set(range(0, len(table_rows), every)) | {len(table_rows) - 1})
    np.savetxt(tmp, table_rows[rows], fmt="%.10g", header=" ".join(TRACE_COLUMNS))
    tmp.replace(target)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--members", type=int, default=3, help="potentials per kind (seeds 1..N)")
    parser.add_argument("--kinds", nargs="+", default=["taylor", "energy"], choices=["taylor", "energy", "forces"])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--ps", type=float, default=100.0, help="NVE length of every potential (ps)")
    parser.add_argument("--long-ps", type=float, default=0.0, help="NVE length of seed 1 of each kind (ps; 0: none)")
    parser.add_argument("--equilibration", type=float, default=2.0, help="ps of Langevin at 400 K before NVE")
    parser.add_argument("--max-segments", type=int, help="use only the first N MD-set segments (smoke runs)")
    parser.add_argument(
        "--accuracy-set", action=argparse.BooleanOptionalAction, default=True, help="also train (and select) on the 400 K accuracy set's frames"
    )
    parser.add_argument("--archive", help="committed record of finished potentials and NVE runs (see above)")
    parser.add_argument("--table", action="store_true", help="print the table of fig10.json (ARCHIVE's if given, else OUT's) and stop")
    parser.add_argument("--stash", action="store_true", help="copy unfinished runs' checkpoints from OUT into ARCHIVE/<name>/partial/ and stop")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    archive = Path(args.archive).resolve() if args.archive else None
    record = (archive or out) / "fig10.json"
    if args.stash:
        if archive is None:
            parser.error("--stash needs --archive")
        print("stashed:", " ".join(stash(out, archive)) or "nothing (no unfinished run)")
        return {}
    if args.table:
        print(table(json.loads(record.read_text())))
        return {}
    splits = md_splits(out / "splits", max_segments=args.max_segments, accuracy_set=args.accuracy_set)
    doc = json.loads(record.read_text()) if record.exists() else {"potentials": {}}
    doc["splits"] = json.loads((out / "splits" / "splits.json").read_text())
    if archive:
        check_archive_splits(archive, doc["splits"])
    out.mkdir(parents=True, exist_ok=True)
    for kind in args.kinds:
        for seed in range(1, args.members + 1):
            name = f"{kind}_s{seed}"
            summary, files = train_potential(out, kind, seed, splits, args.epochs, archive)
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
                result, rows = run_nve(files, out / "nve" / f"{name}_{ps:g}ps", ps, equilibration_ps=args.equilibration)
                entry[key] = {k: result[k] for k in NVE_KEYS if k in result}
                if archive:
                    keep_trace(rows, archive / "nve" / f"{name}_{ps:g}ps.csv.gz")
                save(doc, out, archive, (name,))
            save(doc, out, archive, (name,))
    if archive:
        figure(archive)
    doc = json.loads(record.read_text())  # with what other processes added
    print(table(doc))
    return doc


def figure(archive: Path) -> Path:
    """``archive/fig10.png``: E_total(t) − E_total(0) of every kept NVE trace (nve.plot), the
    paper's Fig. 10."""
    doc = json.loads((archive / "fig10.json").read_text())
    runs = [(name, key[4:], nve["natoms"]) for name, e in doc["potentials"].items() for key, nve in e.items() if key.startswith("nve_")]
    runs = [r for r in runs if (archive / "nve" / f"{r[0]}_{r[1]}.csv.gz").exists()]
    traces = {f"{name}, {length}": np.loadtxt(archive / "nve" / f"{name}_{length}.csv.gz", ndmin=2) for name, length, _ in runs}
    path = archive / "fig10.png"
    plot(path, traces, runs[0][2] if runs else 224)
    return path


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
