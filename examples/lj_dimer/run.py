"""The paper's Lennard-Jones dimer (Cooper et al. 2020, Fig. 2): energy-only vs Taylor training.

V(r) = ε[(r0/r)^12 − 2(r0/r)^6], ε = 3.607 eV, r0 = 1.54 Å; 7 equidistant reference
points 1.4–2.8 Å; Chebyshev radial order 10, no angular part, 11-5-5-1 tanh.  The
Taylor run adds 14 points: each reference's second atom moved by ±δ (δ = 0.02 Å) along
the bond, labelled E − δ·F.

    python examples/lj_dimer/run.py --out DIR

writes DIR/results.json (r0_true, r0_energy_only, r0_taylor in Å, plus the fitted curves)
and DIR/lj_dimer.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

EPSILON = 3.607  # eV
R0 = 1.54  # Å
DELTA = 0.02  # Å


def lj(r):
    return EPSILON * ((R0 / r) ** 12 - 2 * (R0 / r) ** 6)


def lj_force_on_second(r):
    """-dV/dr: force on the atom at +r along the bond."""
    return -EPSILON * (-12 * R0**12 / r**13 + 12 * R0**6 / r**7)


def dimer(r, with_labels=True):
    from trainer.structures import Structure

    f = lj_force_on_second(r)
    return Structure(
        np.array([[0.0, 0.0, 0.0], [r, 0.0, 0.0]]),
        ["Ar", "Ar"],
        energy=lj(r) if with_labels else None,
        forces=np.array([[-f, 0, 0], [f, 0, 0]]) if with_labels else None,
        name=f"dimer r={r:.4f}",
    )


def write_data(folder: Path) -> Path:
    import ase.io

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "reference.extxyz"
    ase.io.write(path, [dimer(r).to_ase() for r in np.linspace(1.4, 2.8, 7)])
    return path


def config(folder: Path, data: Path, mode: str, epochs: int, seed: int):
    from trainer.config import config_from_dict

    raw = {
        "output": str(folder / mode),
        "seed": seed,
        "data": {"train": [str(data)], "test": [str(data)], "reference_energies": {"Ar": 0.0}},
        "descriptor": {"radial_cutoff": 3.5, "radial_order": 10, "angular_cutoff": 3.5, "angular_order": -1},
        "network": {"hidden": [5, 5], "activation": "tanh"},
        "training": {"mode": mode, "optimizer": "lbfgs", "epochs": epochs, "checkpoint_every": epochs, "force_metrics_every": epochs},
        "taylor": {"strategy": "cartesian", "delta": DELTA, "atoms_per_structure": 1, "axes": ["x"]},
    }
    return config_from_dict(raw)


def minimum(model, grid):
    from trainer.evaluate import predict

    energies = np.array([predict(model, dimer(r, with_labels=False)).energy for r in grid])
    return float(grid[np.argmin(energies)]), energies


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from trainer.checkpoint import load_model_from_run
    from trainer.loop import Run

    out = Path(args.out)
    data = write_data(out)
    grid = np.linspace(1.3, 2.9, 1601)
    results = {"r0_true": R0, "epsilon_eV": EPSILON, "delta": DELTA, "epochs": args.epochs, "seed": args.seed}
    curves = {}
    for mode, key in (("energy", "r0_energy_only"), ("taylor", "r0_taylor")):
        cfg = config(out, data, mode, args.epochs, args.seed)
        shutil.rmtree(cfg.output, ignore_errors=True)  # this script's own sub-runs are regenerated
        summary = Run(cfg, progress=False).run()
        model = load_model_from_run(cfg.output)
        results[key], curves[mode] = minimum(model, grid)
        results[f"{mode}_n_taylor"] = summary["n_taylor"]
        results[f"{mode}_train_energy_rmse_meV_per_atom"] = summary["train"]["energy_rmse"]
    results["grid"] = grid[::20].tolist()
    results["curve_energy_only"] = curves["energy"][::20].tolist()
    results["curve_taylor"] = curves["taylor"][::20].tolist()
    (out / "results.json").write_text(json.dumps(results, indent=1))
    plot(out / "lj_dimer.png", grid, curves, results)
    print(json.dumps({k: results[k] for k in ("r0_true", "r0_energy_only", "r0_taylor")}, indent=1))
    return results


def plot(path, grid, curves, results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(grid, lj(grid), "k-", lw=1, label="Lennard-Jones")
    ax.plot(grid, curves["energy"], "C0--", label=f"energy only (r0 = {results['r0_energy_only']:.3f} Å)")
    ax.plot(grid, curves["taylor"], "C1-", label=f"Taylor δ = {DELTA} Å (r0 = {results['r0_taylor']:.3f} Å)")
    ref = np.linspace(1.4, 2.8, 7)
    ax.plot(ref, lj(ref), "ko", label="reference points")
    ax.set(xlabel="r (Å)", ylabel="E (eV)", ylim=(-4.5, 3.0))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
