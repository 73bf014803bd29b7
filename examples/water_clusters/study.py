"""The paper's water-cluster study (Cooper et al. 2020, Figs 3–5), re-measured on (H2O)6 / GFN2-xTB.

Energy-only training on 500/1000/2000 structures, Taylor strategy A (cartesian, δ = 0.03 Å)
and B (random, δ_max = 0.008 Å, a = 22) on 500, direct force training on 500, and a
δ_max × a scan of strategy B on 500 (the paper's Fig. 4).  Same descriptor and network for
all: Chebyshev radial order 18 (6.0 Å) and angular order 4 (4.0 Å) → 48 inputs for H and O,
2 × 10 tanh, L-BFGS (full batch, ænet's way).

    OMP_NUM_THREADS=1 python examples/water_clusters/study.py --out DIR [--potentials 3] [--epochs 400]
    python examples/water_clusters/study.py --out DIR --quick      # miniature (CI)
    OMP_NUM_THREADS=1 python examples/water_clusters/study.py --protocol paper --out DIR [--only ...]

``--protocol paper`` runs the seed paper's own settings (methods and Table S1): the Behler–
Parrinello functions of Morawietz et al. (descriptor preset ``morawietz_water``: 27 for H,
30 for O), 10-10 tanh networks, L-BFGS for 5,000 epochs with the best test epoch exported,
10 potentials per scenario; sets of 523 / 1,048 / 2,096 structures evenly spaced along both
trajectories, each split once at random 90/10 into train_500 / train_1000 / train_2000
(471 / 943 / 1,886 structures) and its test set; strategy A with δ = 0.03 Å, a = 11 (500)
and δ = 0.04 Å, a = 32 (1000, 2000); strategy B with δ_max = 0.008 Å, a = 22 (500) and
δ_max = 0.010 Å, a = 32 (1000, 2000); direct forces on train_500; the δ_max × a scan of B on
train_500. Labels are GFN2-xTB (the paper's are BLYP-D3). The same validation set as the
default protocol serves every number.

Data (examples/water_clusters/data, see its README): ``pool.extxyz.gz`` (2 × 1100 frames of
the 300 K and 800 K training trajectories) and ``validation.extxyz.gz`` (2 × 1000 frames of
two independent trajectories).  Every 11th pool frame is the test set (200 frames; it selects
the best epoch), the other 2000 are ``train_2000``; ``train_1000`` and ``train_500`` take every
2nd and every 4th of them (evenly spaced along both trajectories).  Every number is measured
on the validation set.

Resumable: a potential whose run folder holds ``study.json`` is skipped, one with a
checkpoint is continued (``Run(resume=True)``).  Seeds are fixed: potential k of every
scenario uses seed 1000 + k (same initial weights across scenarios).  Writes
``DIR/results.json`` (``{"scenarios": {NAME: {force_mae, energy_rmse, sec_per_epoch,
cpu_seconds, n_potentials}}}``, means over potentials, validation set), ``DIR/details.json``
(per-potential values, standard deviations, settings) and ``DIR/figures/``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

DATA = HERE / "data"
DESCRIPTOR = {"type": "chebyshev", "radial_cutoff": 6.0, "radial_order": 18, "angular_cutoff": 4.0, "angular_order": 4}
NETWORK = {"hidden": [10, 10], "activation": "tanh"}
DELTA_A = 0.03  # Å, strategy A
ATOMS_A = 4  # strategy A: atoms displaced per reference (4 × 6 = 24 structures, like B's a = 22)
DELTA_B, MULTIPLE_B = 0.008, 22  # strategy B
SCAN_DELTAS = (0.004, 0.008, 0.016, 0.03)
SCAN_MULTIPLES = (5, 11, 22)
MAIN = ("energy_500", "energy_1000", "energy_2000", "taylor_A_500", "taylor_B_500", "forces_500")

# --protocol paper (Cooper et al. 2020, methods and Table S1)
PAPER = {
    "descriptor": {"type": "behler2011", "preset": "morawietz_water"},
    "network": {"hidden": [10, 10], "activation": "tanh"},
    "epochs": 5000,
    "potentials": 10,
    "set_sizes": {"train_500": 523, "train_1000": 1048, "train_2000": 2096},  # 90 % = 471 / 943 / 1886
    "split_seed": 2020,
    "taylor_A": {"train_500": (0.03, 11), "train_1000": (0.04, 32), "train_2000": (0.04, 32)},
    "taylor_B": {"train_500": (0.008, 22), "train_1000": (0.010, 32), "train_2000": (0.010, 32)},
}
PAPER_MAIN = (
    "energy_500",
    "energy_1000",
    "energy_2000",
    "taylor_A_500",
    "taylor_B_500",
    "forces_500",
    "taylor_A_1000",
    "taylor_B_1000",
    "taylor_A_2000",
    "taylor_B_2000",
)


# ---------------------------------------------------------------------------- data
def reference_energies(data: Path = DATA) -> dict[str, float]:
    prov = json.loads((Path(data) / "provenance.json").read_text())
    e = prov["free_atom_energies_eV"]
    return {"O": e["O"], "H": e["H"]}


def read_frames(path: Path) -> list[str]:
    """The frames of an extxyz(.gz) file as text blocks (no parsing: fast, values copied exactly)."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        lines = fh.read().splitlines(keepends=True)
    frames, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        frames.append("".join(lines[i : i + n + 2]))
        i += n + 2
    return frames


def write_splits(folder: Path, quick: bool, data: Path = DATA) -> dict[str, Path]:
    """train_{500,1000,2000}, test, validation as plain extxyz in ``folder`` (quick: a few frames)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = ("train_500", "train_1000", "train_2000", "test", "validation")
    paths = {n: folder / f"{n}.extxyz" for n in names}
    stamp = folder / ("quick.done" if quick else "full.done")
    if stamp.exists() and all(p.exists() for p in paths.values()):
        return paths
    pool = read_frames(Path(data) / "pool.extxyz.gz")
    validation = read_frames(Path(data) / "validation.extxyz.gz")
    test = [a for k, a in enumerate(pool) if k % 11 == 10]
    train = [a for k, a in enumerate(pool) if k % 11 != 10]
    sets = {"train_2000": train, "train_1000": train[::2], "train_500": train[::4], "test": test, "validation": validation}
    if quick:  # miniature: 16/32/64 training, 8 test, 24 validation structures, still from both temperatures
        sets = {"train_2000": train[::31], "train_1000": train[::62], "train_500": train[::124], "test": test[::25], "validation": validation[::84]}
    for name, frames in sets.items():
        paths[name].write_text("".join(frames))
    for other in folder.glob("*.done"):
        other.unlink()
    stamp.write_text(json.dumps({k: len(v) for k, v in sets.items()}))
    return paths


def write_splits_paper(folder: Path, quick: bool, data: Path = DATA) -> dict[str, Path]:
    """Per set size one random 90/10 split (seed PAPER["split_seed"]): train_N and test_N files."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / ("quick.done" if quick else "paper.done")
    sizes = {k: (max(8, v // 40) if quick else v) for k, v in PAPER["set_sizes"].items()}
    paths = {}
    for name in sizes:
        paths[name] = folder / f"{name}.extxyz"
        paths["test_" + name] = folder / f"test_{name}.extxyz"
    paths["validation"] = folder / "validation.extxyz"
    if stamp.exists() and all(p.exists() for p in paths.values()):
        return paths
    pool = read_frames(Path(data) / "pool.extxyz.gz")
    validation = read_frames(Path(data) / "validation.extxyz.gz")
    counts = {}
    for name, n in sizes.items():
        frames = [pool[k] for k in np.unique(np.linspace(0, len(pool) - 1, n).round().astype(int))]
        rng = np.random.default_rng([PAPER["split_seed"], n])
        order = rng.permutation(len(frames))
        ntest = int(round(0.1 * len(frames)))
        test, train = sorted(order[:ntest]), sorted(order[ntest:])
        paths[name].write_text("".join(frames[k] for k in train))
        paths["test_" + name].write_text("".join(frames[k] for k in test))
        counts[name], counts["test_" + name] = len(train), len(test)
    paths["validation"].write_text("".join(validation[::84] if quick else validation))
    counts["validation"] = len(validation[::84] if quick else validation)
    for other in folder.glob("*.done"):
        other.unlink()
    stamp.write_text(json.dumps(counts))
    return paths


# ---------------------------------------------------------------------------- scenarios
def scan_name(delta: float, multiple: int) -> str:
    return f"taylor_B_500_d{delta:g}_a{multiple}"


def scan_scenarios(quick: bool) -> dict[str, dict]:
    """Fig. 4: strategy B on train_500 over δ_max × a."""
    deltas, multiples = ((0.03,), (5,)) if quick else (SCAN_DELTAS, SCAN_MULTIPLES)
    return {
        scan_name(d, a): {"train": "train_500", "mode": "taylor", "taylor": {"strategy": "random", "delta": d, "multiple": a}}
        for a in multiples
        for d in deltas
    }


def scenarios_paper(quick: bool) -> dict[str, dict]:
    """Table S1 of the seed paper; the scan of Fig. 4 as in the default protocol."""
    out = {}
    for n in ("500", "1000", "2000"):
        train = f"train_{n}"
        out[f"energy_{n}"] = {"train": train, "mode": "energy"}
        d, a = PAPER["taylor_A"][train]
        out[f"taylor_A_{n}"] = {"train": train, "mode": "taylor", "taylor": {"strategy": "cartesian", "delta": d, "displacements": a}}
        d, a = PAPER["taylor_B"][train]
        out[f"taylor_B_{n}"] = {
            "train": train,
            "mode": "taylor",
            "run": scan_name(d, a) if n == "500" else None,
            "taylor": {"strategy": "random", "delta": d, "multiple": a},
        }
    out["forces_500"] = {"train": "train_500", "mode": "forces"}
    out.update(scan_scenarios(quick))
    for name, s in out.items():
        if not s.get("run"):
            s["run"] = name
    return out


def scenarios(quick: bool) -> dict[str, dict]:
    """NAME -> {run: folder key, train: split, mode, taylor: {...}}; aliases share their runs."""
    out = {
        "energy_500": {"train": "train_500", "mode": "energy"},
        "energy_1000": {"train": "train_1000", "mode": "energy"},
        "energy_2000": {"train": "train_2000", "mode": "energy"},
        "taylor_A_500": {"train": "train_500", "mode": "taylor", "taylor": {"strategy": "cartesian", "delta": DELTA_A, "atoms_per_structure": ATOMS_A}},
        "taylor_B_500": {
            "train": "train_500",
            "mode": "taylor",
            "run": scan_name(DELTA_B, MULTIPLE_B),
            "taylor": {"strategy": "random", "delta": DELTA_B, "multiple": MULTIPLE_B},
        },
        "forces_500": {"train": "train_500", "mode": "forces"},
    }
    out.update(scan_scenarios(quick))
    for name, s in out.items():
        s.setdefault("run", name)
    return out


def config_dict(
    run_dir: Path, scenario: dict, splits: dict[str, Path], seed: int, epochs: int, max_seconds: float | None, data: Path = DATA, protocol: str = "default"
) -> dict:
    taylor = {"sampling": "fixed", **scenario.get("taylor", {})}
    if scenario["mode"] != "taylor":
        taylor = {}
    paper = protocol == "paper"
    test = splits["test_" + scenario["train"]] if paper else splits["test"]
    return {
        "output": str(run_dir),
        "seed": seed,
        "data": {"train": [str(splits[scenario["train"]])], "test": [str(test)], "reference_energies": reference_energies(data)},
        "descriptor": dict(PAPER["descriptor"] if paper else DESCRIPTOR),
        "network": dict(PAPER["network"] if paper else NETWORK),
        "training": {
            "mode": scenario["mode"],
            "optimizer": "lbfgs",
            "epochs": epochs,
            "checkpoint_every": max(1, min(100 if paper else 25, epochs)),
            "force_metrics_every": max(1, epochs // (10 if paper else 4)),
            "threads": 1,
            "max_seconds": max_seconds,
        },
        "taylor": taylor,
        "forces": {"weight": 0.1, "fraction": 1.0},
    }


# ---------------------------------------------------------------------------- one potential
def archive_path(archive: Path | None, run_dir: Path) -> Path | None:
    return archive / run_dir.parent.name / run_dir.name if archive else None


def archive_one(run_dir: Path, target: Path) -> None:
    """The small, committable record of a finished potential: study.json, its .nn.ascii files
    and every 10th row of metrics.csv (plus the last)."""
    from trainer.archive import keep_run

    keep_run(run_dir, target, files=("study.json",))


def train_one(run_dir: Path, raw: dict, validation: Path, validation_graphs_cache: dict, archive: Path | None = None) -> dict:
    """Train (or resume, or skip) one potential; evaluate its best model on the validation set
    (read once per study, not once per potential). A potential already in ``archive`` (the
    committed record of an earlier session) is not trained again."""
    kept = archive_path(archive, run_dir)
    if kept and (kept / "study.json").exists():
        return json.loads((kept / "study.json").read_text())
    from trainer.checkpoint import CHECKPOINT, load_checkpoint, load_model_from_run
    from trainer.config import config_from_dict
    from trainer.loop import Run
    from trainer.metrics import direction_errors, predict_structures, summarize
    from trainer.readers import read_structures

    done = run_dir / "study.json"
    if done.exists():
        return json.loads(done.read_text())
    config = config_from_dict(raw)
    resume = (run_dir / CHECKPOINT).exists()
    earlier = 0.0
    if resume:  # CPU time of the interrupted session is not known: count its epochs' time instead
        earlier = float(sum(h["seconds"] for h in load_checkpoint(run_dir / CHECKPOINT)["history"]))
    elif run_dir.exists():
        shutil.rmtree(run_dir)  # killed before its first checkpoint: start clean
    cpu0 = time.process_time()
    summary = Run(config, resume=resume, progress=False).run()
    cpu = time.process_time() - cpu0 + earlier

    model = load_model_from_run(run_dir / CHECKPOINT)
    key = str(validation)
    if key not in validation_graphs_cache:
        validation_graphs_cache.clear()
        validation_graphs_cache[key] = read_structures(key)
    p = predict_structures(model, validation_graphs_cache[key], forces=True)
    metrics = summarize(p)
    np.savez_compressed(
        run_dir / "validation_predictions.npz",
        energy_ref=p.energy_ref,
        energy_pred=p.energy_pred,
        natoms=p.natoms,
        force_ref=p.force_ref.astype(np.float32),
        force_pred=p.force_pred.astype(np.float32),
    )
    angles = direction_errors(p.force_ref, p.force_pred)
    result = {
        "force_mae": metrics["force_mae"],
        "force_rmse": metrics["force_rmse"],
        "energy_rmse": metrics["energy_rmse"],
        "energy_mae": metrics["energy_mae"],
        "force_direction_error": float(np.mean(angles)),
        "sec_per_epoch": summary["seconds_per_epoch"],
        "cpu_seconds": cpu,
        "epochs": summary["epochs"],
        "best_epoch": summary["best_epoch"],
        "n_train": summary["n_train"],
        "n_test": summary["n_test"],
        "n_validation": len(p.natoms),
        "n_taylor": summary["n_taylor"],
        "test_energy_rmse": summary["test"]["energy_rmse"],
        "test_force_mae": summary["test"].get("force_mae"),
        "seed": raw["seed"],
    }
    done.write_text(json.dumps(result, indent=1))
    if kept:
        archive_one(run_dir, kept)
    return result


# ---------------------------------------------------------------------------- results
def collect(out: Path, table: dict, archive: Path | None = None) -> dict:
    """Means over every finished potential of each scenario."""
    results = {"scenarios": {}}
    details = {"scenarios": {}}
    for name, s in table.items():
        found = {p.parent.name: p for p in (out / "runs" / s["run"]).glob("p*/study.json")}
        if archive:
            found.update({p.parent.name: p for p in (archive / s["run"]).glob("p*/study.json")})
        runs = [json.loads(found[k].read_text()) for k in sorted(found, key=lambda name: int(name[1:]))]
        if not runs:
            continue
        mean = lambda k: float(np.mean([r[k] for r in runs]))
        std = lambda k: float(np.std([r[k] for r in runs], ddof=1)) if len(runs) > 1 else 0.0
        results["scenarios"][name] = {
            "force_mae": mean("force_mae"),
            "energy_rmse": mean("energy_rmse"),
            "sec_per_epoch": mean("sec_per_epoch"),
            "cpu_seconds": mean("cpu_seconds"),
            "n_potentials": len(runs),
        }
        details["scenarios"][name] = {
            "run_folder": s["run"],
            "mode": s["mode"],
            "train": s["train"],
            "taylor": s.get("taylor"),
            **{
                f"{k}_mean": mean(k)
                for k in (
                    "force_mae",
                    "force_rmse",
                    "energy_rmse",
                    "energy_mae",
                    "force_direction_error",
                    "sec_per_epoch",
                    "cpu_seconds",
                    "epochs",
                    "best_epoch",
                    "n_taylor",
                )
            },
            **{f"{k}_std": std(k) for k in ("force_mae", "energy_rmse", "force_direction_error")},
            "per_potential": runs,
        }
    return results, details


def predictions_from_archive(kept: Path, run_dir: Path, validation: Path) -> Path:
    """validation_predictions.npz of an archived potential, from its .nn.ascii files."""
    from trainer.evaluate import NativeEvaluator, predict
    from trainer.readers import read_structures

    model = NativeEvaluator(sorted(str(p) for p in kept.glob("*.nn.ascii")))
    structures = read_structures(validation)
    pred = np.concatenate([predict(model, s, forces=True).forces for s in structures])
    ref = np.concatenate([s.forces for s in structures])
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "validation_predictions.npz"
    np.savez_compressed(path, force_ref=ref.astype(np.float32), force_pred=pred.astype(np.float32))
    return path


def figures(out: Path, table: dict, results: dict, quick: bool, archive: Path | None = None, validation: Path | None = None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    main = [n for n in MAIN if n in results["scenarios"]]

    def load(name):
        run = table[name]["run"]
        files = {p.parent.name: p for p in (out / "runs" / run).glob("p*/validation_predictions.npz")}
        for kept in sorted((archive / run).glob("p*/study.json")) if archive else []:
            if kept.parent.name not in files:  # a potential of an earlier session: predict again
                files[kept.parent.name] = predictions_from_archive(kept.parent, out / "runs" / run / kept.parent.name, validation)
        parts = [np.load(files[k]) for k in sorted(files)]
        return (np.concatenate([p["force_ref"] for p in parts]).astype(float), np.concatenate([p["force_pred"] for p in parts]).astype(float))

    # Fig. 3: distribution of force errors
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for k, name in enumerate(main):
        ref, pred = load(name)
        comp = np.abs(pred - ref).ravel()
        ax[0].hist(comp, bins=np.linspace(0, 2.0, 81), histtype="step", density=True, color=f"C{k}", label=f"{name} (MAE {comp.mean():.3f})")
        norm = np.linalg.norm(pred - ref, axis=1)
        ax[1].hist(norm, bins=np.logspace(-3, 1, 81), histtype="step", density=True, color=f"C{k}", label=name)
    ax[0].set(xlabel="|ΔF component| (eV/Å)", ylabel="density", yscale="log", title="validation force errors (all potentials)")
    ax[1].set(xlabel="|F_pred − F_ref| per atom (eV/Å)", ylabel="density", xscale="log")
    ax[0].legend(fontsize=7)
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    path = folder / "fig3_force_error_histograms.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    # Fig. 5: direction error vs |F| heat maps
    from trainer.metrics import direction_errors

    ncol = 3
    nrow = math.ceil(len(main) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.6 * nrow), squeeze=False)
    fmax = 6.0
    for ax, name in zip(axes.ravel(), main):
        ref, pred = load(name)
        norm = np.linalg.norm(ref, axis=1)
        ok = (norm > 1e-8) & (np.linalg.norm(pred, axis=1) > 1e-12)
        angles = direction_errors(ref, pred)
        h = ax.hist2d(norm[ok], angles, bins=[40, 45], range=[[0, fmax], [0, 180]], cmap="viridis", norm=matplotlib.colors.LogNorm())
        fig.colorbar(h[3], ax=ax, label="atoms")
        ax.set(xlabel="|F_ref| (eV/Å)", ylabel="direction error (°)", title=f"{name}: mean {angles.mean():.1f}°")
    for ax in axes.ravel()[len(main) :]:
        ax.axis("off")
    fig.tight_layout()
    path = folder / "fig5_direction_error_heatmaps.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    # Fig. 4: validation force MAE vs δ_max for each a, paired: the first m potentials (seeds) of
    # every entry and reference line, m = the smallest potential count among them
    fig, ax = plt.subplots(figsize=(5.5, 4))
    scen = results["scenarios"]
    det = json.loads((out / "details.json").read_text())["scenarios"]
    scan = [n for n in table if n.startswith("taylor_B_500_d") and n in scen]
    if "taylor_B_500" in scen and not any(table[n]["taylor"] == table["taylor_B_500"]["taylor"] for n in scan):
        scan.append("taylor_B_500")  # the paper's point (δ_max 0.008 Å, a = 22) without the scan
    refs = [n for n in ("energy_500", "energy_2000", "forces_500") if n in scen]
    m = min([scen[n]["n_potentials"] for n in scan + refs] or [1])
    paired = lambda n: float(np.mean([r["force_mae"] for r in det[n]["per_potential"][:m]]))
    multiples = sorted({table[n]["taylor"]["multiple"] for n in scan})
    for k, a in enumerate(multiples):
        pts = sorted((table[n]["taylor"]["delta"], paired(n)) for n in scan if table[n]["taylor"]["multiple"] == a)
        ax.plot(*zip(*pts), "o-", color=f"C{k}", label=f"B, a = {a}")
    for name, style in (("energy_500", "k--"), ("energy_2000", "k:"), ("forces_500", "r--")):
        if name in refs:
            ax.axhline(paired(name), color=style[0], ls=style[1:], lw=1, label=name)
    ax.text(0.02, 0.02, f"mean of the first {m} potential(s) (seeds 1000–{999 + m})", transform=ax.transAxes, fontsize=7)
    ax.set(xscale="log", xlabel="δ_max (Å)", ylabel="validation force MAE (eV/Å)", title="strategy B on 500 structures")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = folder / "fig4_force_mae_vs_delta.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    # overview: force MAE and energy RMSE per main scenario
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    x = np.arange(len(main))
    for k, (key, label) in enumerate((("force_mae", "validation force MAE (eV/Å)"), ("energy_rmse", "validation energy RMSE (meV/atom)"))):
        ax[k].bar(x, [scen[n][key] for n in main], yerr=[det[n][f"{key}_std"] for n in main], color="C0", capsize=3)
        ax[k].set_xticks(x, main, rotation=30, ha="right", fontsize=8)
        ax[k].set_ylabel(label)
    fig.tight_layout()
    path = folder / "overview.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder (re-run to resume)")
    parser.add_argument("--potentials", type=int, default=3, help="potentials per scenario (paper: 10)")
    parser.add_argument("--epochs", type=int, default=400, help="L-BFGS epochs per potential")
    parser.add_argument("--max-seconds", type=float, default=None, help="cap on the summed epoch time of one potential (s)")
    parser.add_argument("--scan-potentials", type=int, default=None, help="potentials per δ_max × a scan entry (default: --potentials)")
    parser.add_argument("--forces-max-seconds", type=float, default=None, help="cap on the summed epoch time of one direct-force potential (s)")
    parser.add_argument("--quick", action="store_true", help="miniature version (CI): tiny data, few epochs")
    parser.add_argument("--only", nargs="*", help="train only these scenarios (results still collect all)")
    parser.add_argument("--data", default=str(DATA), help="folder with pool.extxyz.gz, validation.extxyz.gz, provenance.json")
    parser.add_argument("--no-scan", action="store_true", help="skip the δ_max × a scan")
    parser.add_argument(
        "--archive",
        help="folder for the committable record of every finished potential (study.json, .nn.ascii, history.csv); potentials found there are not trained again",
    )
    parser.add_argument(
        "--protocol", choices=("default", "paper"), default="default", help="paper: the seed paper's settings (module docstring); default: the earlier study"
    )
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    paper = args.protocol == "paper"
    if paper:  # the paper's counts unless given explicitly (on the command line too: argv is None there)
        args.potentials = PAPER["potentials"] if "--potentials" not in given else args.potentials
        args.epochs = PAPER["epochs"] if "--epochs" not in given else args.epochs
    if args.quick:
        args.potentials = min(args.potentials, 1)
        args.epochs = min(args.epochs, 3)
    if args.scan_potentials is None:
        args.scan_potentials = args.potentials

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    splits = (write_splits_paper if paper else write_splits)(out / "splits", args.quick, Path(args.data))
    table = (scenarios_paper if paper else scenarios)(args.quick)
    main_names = PAPER_MAIN if paper else MAIN
    if args.no_scan:
        table = {n: s for n, s in table.items() if n in main_names}
    todo = [n for n in table if not args.only or n in args.only]
    # the main scenarios for every potential first, then the scan (its own potential count)
    order = [(k, n) for k in range(args.potentials) for n in todo if n in main_names]
    order += [(k, n) for k in range(args.scan_potentials) for n in todo if n not in main_names]
    trained: set = set()
    cache: dict = {}
    for k, name in order:
        s = table[name]
        if (s["run"], k) in trained:
            continue
        trained.add((s["run"], k))
        run_dir = out / "runs" / s["run"] / f"p{k}"
        cap = args.forces_max_seconds if s["mode"] == "forces" and args.forces_max_seconds else args.max_seconds
        raw = config_dict(run_dir, s, splits, 1000 + k, args.epochs, cap, Path(args.data), args.protocol)
        t0 = time.time()
        r = train_one(run_dir, raw, splits["validation"], cache, Path(args.archive) if args.archive else None)
        print(
            f"{name:30s} p{k}: force MAE {r['force_mae']:.4f} eV/Å, energy RMSE {r['energy_rmse']:.3f} "
            f"meV/atom, {r['sec_per_epoch']:.3f} s/epoch, {r['epochs']} epochs ({time.time() - t0:.0f} s)",
            flush=True,
        )
    results, details = collect(out, table, Path(args.archive) if args.archive else None)
    if paper:
        results["protocol"] = "paper"
    details["settings"] = {
        "protocol": args.protocol,
        "descriptor": PAPER["descriptor"] if paper else DESCRIPTOR,
        "network": PAPER["network"] if paper else NETWORK,
        "optimizer": "lbfgs",
        "epochs": args.epochs,
        "max_seconds": args.max_seconds,
        "forces_max_seconds": args.forces_max_seconds,
        "potentials": args.potentials,
        "scan_potentials": args.scan_potentials,
        "quick": args.quick,
        "seeds": [1000 + k for k in range(args.potentials)],
        "splits": json.loads(next((out / "splits").glob("*.done")).read_text()),
        "taylor_A": PAPER["taylor_A"] if paper else {"delta": DELTA_A, "atoms_per_structure": ATOMS_A},
        "taylor_B": PAPER["taylor_B"] if paper else {"delta": DELTA_B, "multiple": MULTIPLE_B},
        "forces": {"weight": 0.1},
    }
    (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "details.json").write_text(json.dumps(details, indent=1))
    figures(out, table, results, args.quick, Path(args.archive) if args.archive else None, splits["validation"])
    print(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
