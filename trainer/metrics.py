"""Errors the paper reports: energy RMSE/MAE (meV/atom), force MAE/RMSE over Cartesian
components (eV/Å) and the angle between predicted and reference force (degrees)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .batch import Graph, batch_energies, batch_energies_and_forces, collate
from .model import AenetModel


@dataclass
class Predictions:
    energy_ref: np.ndarray  # (S,) eV
    energy_pred: np.ndarray
    natoms: np.ndarray
    force_ref: np.ndarray | None = None  # (N, 3)
    force_pred: np.ndarray | None = None


def predict_graphs(model: AenetModel, graphs: Sequence[Graph], forces: bool, chunk: int = 32) -> Predictions:
    e_ref, e_pred, natoms, f_ref, f_pred = [], [], [], [], []
    for start in range(0, len(graphs), chunk):
        batch = collate(graphs[start:start + chunk])
        if forces:
            energies, f = batch_energies_and_forces(model, batch, create_graph=False)
            f_pred.append(f.detach().numpy())
            f_ref.append(batch.forces.numpy())
        else:
            with torch.no_grad():
                energies = batch_energies(model, batch)
        e_pred.append(energies.detach().numpy())
        e_ref.append(batch.energy.numpy())
        natoms.append(batch.natoms.numpy())
    cat = np.concatenate
    return Predictions(cat(e_ref), cat(e_pred), cat(natoms), cat(f_ref) if forces else None,
                       cat(f_pred) if forces else None)


def direction_errors(f_ref: np.ndarray, f_pred: np.ndarray) -> np.ndarray:
    """Angle (degrees) between reference and predicted force of each atom with non-zero forces."""
    nr = np.linalg.norm(f_ref, axis=1)
    npred = np.linalg.norm(f_pred, axis=1)
    ok = (nr > 1e-8) & (npred > 1e-12)
    cos = np.sum(f_ref[ok] * f_pred[ok], axis=1) / (nr[ok] * npred[ok])
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def summarize(p: Predictions) -> dict[str, float]:
    de = (p.energy_pred - p.energy_ref) / p.natoms * 1000.0
    out = {"energy_rmse": float(np.sqrt(np.mean(de**2))), "energy_mae": float(np.mean(np.abs(de)))}
    if p.force_pred is not None:
        df = p.force_pred - p.force_ref
        out["force_mae"] = float(np.mean(np.abs(df)))
        out["force_rmse"] = float(np.sqrt(np.mean(df**2)))
        angles = direction_errors(p.force_ref, p.force_pred)
        out["force_direction_error"] = float(np.mean(angles)) if len(angles) else float("nan")
    return out
