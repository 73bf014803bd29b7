"""Figures at the end of a run: learning curves, parity plots and the force-error maps of
the paper's Figs 3 and 5 (|ΔF| histogram, direction error vs |F|)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_figures(folder: Path, history: list[dict], predictions: dict) -> list[Path]:
    plt = _pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        path = folder / name
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    if history:
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
        epochs = [h["epoch"] for h in history]
        for split in ("train", "test"):
            ax[0].semilogy(epochs, [h[f"{split}_energy_rmse"] for h in history], label=split)
            pts = [(h["epoch"], h[f"{split}_force_mae"]) for h in history if f"{split}_force_mae" in h and h[f"{split}_force_mae"] == h[f"{split}_force_mae"]]
            if pts:
                ax[1].plot(*zip(*pts), "o-", label=split)
        ax[0].set(xlabel="epoch", ylabel="energy RMSE (meV/atom)")
        ax[1].set(xlabel="epoch", ylabel="force MAE (eV/Å)")
        ax[0].legend()
        ax[1].legend()
        save(fig, "learning_curves.png")

    for name, p in predictions.items():
        fig, ax = plt.subplots(figsize=(4, 4))
        ref, pred = p.energy_ref / p.natoms, p.energy_pred / p.natoms
        ax.plot(ref, pred, ".", ms=3)
        lo, hi = min(ref.min(), pred.min()), max(ref.max(), pred.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.5)
        ax.set(xlabel="reference energy (eV/atom)", ylabel="predicted (eV/atom)", title=f"{name} energies")
        save(fig, f"energy_parity_{name}.png")
        if p.force_pred is None:
            continue
        from .metrics import direction_errors

        fig, ax = plt.subplots(1, 3, figsize=(13, 4))
        ax[0].plot(p.force_ref.ravel(), p.force_pred.ravel(), ".", ms=2)
        lim = np.abs(p.force_ref).max()
        ax[0].plot([-lim, lim], [-lim, lim], "k-", lw=0.5)
        ax[0].set(xlabel="reference F (eV/Å)", ylabel="predicted F (eV/Å)", title=f"{name} force components")
        err = np.linalg.norm(p.force_pred - p.force_ref, axis=1)
        ax[1].hist(err, bins=50)
        ax[1].set(xlabel="|F_pred − F_ref| (eV/Å)", ylabel="atoms", title="force error")
        norm = np.linalg.norm(p.force_ref, axis=1)
        ok = norm > 1e-8
        angles = direction_errors(p.force_ref, p.force_pred)
        if ok.sum() > 1 and len(angles) == ok.sum():
            h = ax[2].hist2d(norm[ok], angles, bins=[30, 36], range=[[0, norm.max()], [0, 180]], cmap="viridis")
            fig.colorbar(h[3], ax=ax[2], label="atoms")
        ax[2].set(xlabel="|F_ref| (eV/Å)", ylabel="direction error (°)", title="direction error vs |F|")
        save(fig, f"forces_{name}.png")
    return written
