"""Loss terms: per-atom energies (all modes) and forces (direct force training).

Both in ænet's normalized units: the energy term is mean (scale·ΔE/N)², the force term
mean (scale·ΔF)² over the selected Cartesian components, weighted by ``forces.weight``.
Each function accumulates parameter gradients chunk by chunk, so memory stays bounded,
and returns the loss value.
"""

from __future__ import annotations

import torch

from .batch import Features, feature_energies
from .featurize import ForceData, energies_and_forces
from .model import AenetModel


def energy_scale(model: AenetModel) -> float:
    return float(model.species_models[0].scale)


def energy_loss_backward(model: AenetModel, features: Features, chunk: int = 4096, total: int | None = None) -> float:
    """``total``: the number of structures the mean runs over (all ranks'; default: these)."""
    s = energy_scale(model)
    n = features.nstructures
    norm = n if total is None else total
    value = 0.0
    ordered = n <= chunk or features.rows_in_structure_order
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        if start == 0 and stop == n:
            part = features
        else:  # views where the rows allow it (the training sets), else a copy
            part = features.structures(start, stop) if ordered else features.subset(torch.arange(start, stop))
        pred = feature_energies(model, part)
        loss = (((pred - part.energy) / part.natoms * s) ** 2).sum() / norm
        loss.backward()
        value += float(loss.detach())
    return value


def force_loss_backward(
    model: AenetModel, parts: list[ForceData], nstructures: int, ncomponents: int, weight: float, masks: list[list[torch.Tensor]] | None
) -> float:
    """Energy + force loss over ``parts`` (one, or chunks whose derivatives are recomputed);
    ``masks[p][g]`` selects force components of size group g of part p (random fraction)."""
    s = energy_scale(model)
    total = 0.0
    for p, data in enumerate(parts):
        data = data() if callable(data) else data
        energies, forces = energies_and_forces(model, data, create_graph=True)
        feats = data.features
        loss = (((energies - feats.energy) / feats.natoms * s) ** 2).sum() / nstructures
        f_term = 0.0
        for g, (group, pred) in enumerate(zip(data.groups, forces)):
            diff = (pred - group.forces) * s
            if masks is not None:
                diff = diff[masks[p][g]]
            f_term = f_term + (diff**2).sum()
        loss = loss + weight * f_term / max(ncomponents, 1)
        loss.backward()
        total += float(loss.detach())
    return total
