"""Training inputs: cached descriptors (features) of many structures and the energies computed
from them, and the torch reference path over a batch of graphs (``trainer.contract``) that the
tests compare the C++ features and cached-Jacobian forces against."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .contract import Batch, Graph, collate
from .evaluate import edge_forward, forces_from_edge_gradient
from .model import AenetModel


def batch_energies_and_forces(model: AenetModel, batch: Batch, create_graph: bool):
    """Total energy per structure (S,) and forces (N, 3) by the path ``predict`` takes with the
    torch backend (``evaluate.edge_forward``), over a whole batch; ``create_graph`` keeps both
    differentiable in the parameters."""
    atomic, _, grad = edge_forward(model, batch, need_grad=True, create_graph=create_graph)
    energies = torch.zeros(batch.nstructures, dtype=atomic.dtype).index_add(0, batch.structure_of_atom, atomic)
    return energies, forces_from_edge_gradient(grad, batch.edge_index, batch.positions.shape[0])


@dataclass
class Features:
    """Cached raw descriptors: per species t the rows of its atoms and their structure index."""

    descriptors: list[torch.Tensor]
    structure_of_row: list[torch.Tensor]
    natoms: torch.Tensor
    energy: torch.Tensor

    @property
    def nstructures(self) -> int:
        return int(self.natoms.shape[0])

    def subset(self, structures: torch.Tensor) -> "Features":
        remap = torch.full((self.nstructures,), -1, dtype=torch.int64)
        remap[structures] = torch.arange(len(structures))
        d, s = [], []
        for g, st in zip(self.descriptors, self.structure_of_row):
            keep = remap[st] >= 0
            d.append(g[keep])
            s.append(remap[st[keep]])
        return Features(d, s, self.natoms[structures], self.energy[structures])

    @functools.cached_property
    def rows_in_structure_order(self) -> bool:
        """Whether every species' rows run in structure order (as featurizing and
        ``concat_features`` leave them; ``subset`` with unsorted indices does not); computed
        once per Features, not per loss evaluation."""
        return all(bool((st[1:] >= st[:-1]).all()) for st in self.structure_of_row)

    def structures(self, start: int, stop: int) -> "Features":
        """Structures ``start`` .. ``stop`` - 1 as views of these rows, no copy; needs
        ``rows_in_structure_order``."""
        d, s = [], []
        bounds = torch.tensor([start, stop], dtype=torch.int64)
        for g, st in zip(self.descriptors, self.structure_of_row):
            lo, hi = torch.searchsorted(st, bounds).tolist()
            d.append(g[lo:hi])
            s.append(st[lo:hi] - start)
        return Features(d, s, self.natoms[start:stop], self.energy[start:stop])


def concat_features(parts: Sequence[Features]) -> Features:
    parts = [p for p in parts if p.nstructures > 0]
    offsets = np.cumsum([0] + [p.nstructures for p in parts])
    nspecies = len(parts[0].descriptors)
    return Features(
        [torch.cat([p.descriptors[t] for p in parts]) for t in range(nspecies)],
        [torch.cat([p.structure_of_row[t] + int(o) for p, o in zip(parts, offsets)]) for t in range(nspecies)],
        torch.cat([p.natoms for p in parts]),
        torch.cat([p.energy for p in parts]),
    )


def compute_features(model: AenetModel, graphs: Sequence[Graph], chunk: int = 64) -> Features:
    parts = []
    with torch.no_grad():
        for start in range(0, len(graphs), chunk):
            batch = collate(graphs[start : start + chunk])
            vec = batch.edge_vectors()
            d, s = [], []
            for t in range(len(model.species)):
                d.append(model.descriptors(batch.species, batch.edge_index, vec, t))
                s.append(batch.structure_of_atom[batch.species == t])
            parts.append(Features(d, s, batch.natoms, batch.energy))
    return concat_features(parts)


def feature_energies(model: AenetModel, features: Features) -> torch.Tensor:
    energies = torch.zeros(features.nstructures, dtype=torch.float64)
    for t, species_model in enumerate(model.species_models):
        if features.descriptors[t].shape[0] > 0:
            energies = energies.index_add(0, features.structure_of_row[t], species_model.atomic_energy(features.descriptors[t]))
    return energies
