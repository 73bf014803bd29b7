"""Errors the paper reports: energy RMSE/MAE (meV/atom), force MAE/RMSE over Cartesian
components (eV/Å) and the angle between predicted and reference force (degrees)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .featurize import model_handles
from .model import AenetModel
from .structures import Structure


@dataclass
class Predictions:
    energy_ref: np.ndarray  # (S,) eV
    energy_pred: np.ndarray
    natoms: np.ndarray
    force_ref: np.ndarray | None = None  # (N, 3)
    force_pred: np.ndarray | None = None


def predict_structures(model: AenetModel, structures: Sequence[Structure], forces: bool, threads: int = 1) -> Predictions:
    """Energies (and forces) of ``structures`` with ``model`` through the C++ evaluator."""
    pool = model_handles(model, threads)
    results = pool.map(lambda h, s: h.compute(s), list(structures))
    e_ref = np.array([float(s.energy) if s.energy is not None else np.nan for s in structures])
    natoms = np.array([float(s.natoms) for s in structures])
    e_pred = np.array([r[0] for r in results])
    if not forces:
        return Predictions(e_ref, e_pred, natoms)
    f_ref = np.concatenate([np.asarray(s.forces, dtype=np.float64) for s in structures])
    f_pred = np.concatenate([r[2] for r in results])
    return Predictions(e_ref, e_pred, natoms, f_ref, f_pred)


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
