"""Checkpoints: everything needed to resume a run bit-for-bit, written atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import torch

from .atomic_io import atomic_write_bytes
from .config import Config, config_from_dict, config_to_dict
from .model import AenetModel
from .nnascii import FileInfo

CHECKPOINT = "checkpoint.pt"


def species_extras(model: AenetModel) -> dict:
    return {m.species: {"scale": m.scale, "shift": m.shift, "file_info": (getattr(m, "file_info", None) or FileInfo()).as_dict()} for m in model.species_models}


def apply_extras(model: AenetModel, extras: dict) -> None:
    for m in model.species_models:
        e = extras[m.species]
        m.scale, m.shift, m.file_info = e["scale"], e["shift"], FileInfo.from_dict(dict(e["file_info"]))


def save_checkpoint(path: str | os.PathLike, config: Config, model: AenetModel, optimizer, epoch: int, history: list[dict], best: dict | None) -> None:
    state = {
        "format": "taylorann-checkpoint-1",
        "config": config_to_dict(config),
        "epoch": epoch,
        "model_state": model.state_dict(),
        "extras": species_extras(model),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "history": history,
        "best": best,
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(f"{path}: no checkpoint (expected a run folder holding {CHECKPOINT} or a checkpoint file)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable taylorann checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != "taylorann-checkpoint-1":
        raise ValueError(f"{path}: not a taylorann checkpoint (format tag missing)")
    return state


def load_model_from_run(path: str | os.PathLike, which: str = "best") -> AenetModel:
    """The best (test-selected) model of a run folder or checkpoint; ``which='last'`` for the latest."""
    state = load_checkpoint(path)
    weights = state["best"]["model_state"] if which == "best" and state.get("best") else state["model_state"]
    extras = state["best"]["extras"] if which == "best" and state.get("best") else state["extras"]
    return model_from_state(config_from_dict(state["config"]), weights, extras)


def model_from_state(config: Config, weights: dict, extras: dict) -> AenetModel:
    """A fresh model of ``config`` holding the given weights and per-species extras."""
    from .build import build_model

    model = build_model(config)
    model.load_state_dict(weights)
    apply_extras(model, extras)
    return model
