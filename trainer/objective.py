"""Loss terms: per-atom energies (all modes) and forces (direct force training).

Both in ænet's normalized units: the energy term is mean (scale·ΔE/N)², the force term
mean (scale·ΔF)² over the selected Cartesian components, weighted by ``forces.weight``.
Each function accumulates parameter gradients chunk by chunk, so memory stays bounded,
and returns the loss value.
"""

from __future__ import annotations

import torch

from .batch import Batch, Features, batch_energies_and_forces, feature_energies
from .model import AenetModel


def energy_scale(model: AenetModel) -> float:
    return float(model.species_models[0].scale)


def energy_loss_backward(model: AenetModel, features: Features, chunk: int = 4096) -> float:
    s = energy_scale(model)
    total = 0.0
    n = features.nstructures
    for start in range(0, n, chunk):
        idx = torch.arange(start, min(n, start + chunk))
        part = features if (start == 0 and len(idx) == n) else features.subset(idx)
        pred = feature_energies(model, part)
        loss = (((pred - part.energy) / part.natoms * s) ** 2).sum() / n
        loss.backward()
        total += float(loss.detach())
    return total


def force_loss_backward(model: AenetModel, batches: list[Batch], nstructures: int, ncomponents: int,
                        weight: float, masks: list[torch.Tensor] | None) -> float:
    """``masks[k]`` selects force components of batch k (random fraction); None = all."""
    s = energy_scale(model)
    total = 0.0
    for k, batch in enumerate(batches):
        energies, forces = batch_energies_and_forces(model, batch, create_graph=True)
        e_term = (((energies - batch.energy) / batch.natoms * s) ** 2).sum() / nstructures
        diff = (forces - batch.forces) * s
        if masks is not None:
            diff = diff[masks[k]]
        f_term = weight * (diff**2).sum() / max(ncomponents, 1)
        loss = e_term + f_term
        loss.backward()
        total += float(loss.detach())
    return total
