"""Structures as model inputs: per-structure graphs, their disjoint union (a batch), cached
descriptors (features) and the energies/forces computed from either."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .model import AenetModel
from .neighbours import neighbour_graph
from .structures import Structure


@dataclass
class Graph:
    species: torch.Tensor  # (N,) int64 model species index
    edge_index: torch.Tensor  # (2, E)
    shifts: torch.Tensor  # (E, 3) float64 cell shifts
    positions: torch.Tensor  # (N, 3)
    cell: torch.Tensor  # (3, 3), zeros for isolated structures
    energy: float
    forces: torch.Tensor | None
    name: str

    @property
    def natoms(self) -> int:
        return int(self.species.shape[0])


def to_graph(structure: Structure, species: Sequence[str], cutoff: float) -> Graph:
    try:
        idx = [species.index(s) for s in structure.species]
    except ValueError:
        missing = sorted(set(structure.species) - set(species))
        raise ValueError(f"{structure.name}: species {', '.join(missing)} not in the model's species "
                         f"({', '.join(species)}); add their reference energies") from None
    g = neighbour_graph(structure, cutoff)
    return Graph(
        species=torch.tensor(idx, dtype=torch.int64),
        edge_index=torch.from_numpy(g.edge_index),
        shifts=torch.from_numpy(g.shifts).to(torch.float64),
        positions=torch.from_numpy(structure.positions.copy()),
        cell=torch.from_numpy(structure.cell.copy()) if structure.periodic else torch.zeros(3, 3, dtype=torch.float64),
        energy=float(structure.energy) if structure.energy is not None else float("nan"),
        forces=torch.from_numpy(structure.forces.copy()) if structure.forces is not None else None,
        name=structure.name,
    )


@dataclass
class Batch:
    species: torch.Tensor
    edge_index: torch.Tensor
    shifts: torch.Tensor
    edge_cell: torch.Tensor  # (E, 3, 3) cell of each edge's structure
    positions: torch.Tensor
    structure_of_atom: torch.Tensor  # (N,)
    natoms: torch.Tensor  # (S,) float64
    energy: torch.Tensor  # (S,)
    forces: torch.Tensor | None  # (N, 3)

    @property
    def nstructures(self) -> int:
        return int(self.natoms.shape[0])

    def edge_vectors(self, positions: torch.Tensor | None = None) -> torch.Tensor:
        pos = self.positions if positions is None else positions
        vec = pos[self.edge_index[1]] - pos[self.edge_index[0]]
        return vec + torch.einsum("ek,ekl->el", self.shifts, self.edge_cell)


def collate(graphs: Sequence[Graph]) -> Batch:
    offsets = np.cumsum([0] + [g.natoms for g in graphs])
    edge_index = torch.cat([g.edge_index + int(o) for g, o in zip(graphs, offsets)], dim=1)
    edge_struct = torch.cat([torch.full((g.edge_index.shape[1],), k, dtype=torch.int64) for k, g in enumerate(graphs)])
    cells = torch.stack([g.cell for g in graphs])
    has_forces = all(g.forces is not None for g in graphs)
    return Batch(
        species=torch.cat([g.species for g in graphs]),
        edge_index=edge_index,
        shifts=torch.cat([g.shifts for g in graphs]),
        edge_cell=cells[edge_struct],
        positions=torch.cat([g.positions for g in graphs]),
        structure_of_atom=torch.cat([torch.full((g.natoms,), k, dtype=torch.int64) for k, g in enumerate(graphs)]),
        natoms=torch.tensor([float(g.natoms) for g in graphs], dtype=torch.float64),
        energy=torch.tensor([g.energy for g in graphs], dtype=torch.float64),
        forces=torch.cat([g.forces for g in graphs]) if has_forces else None,
    )


def batch_energies(model: AenetModel, batch: Batch, positions: torch.Tensor | None = None) -> torch.Tensor:
    """Total energy per structure (S,), differentiable in parameters and positions."""
    atomic = model(batch.species, batch.edge_index, batch.edge_vectors(positions))
    return torch.zeros(batch.nstructures, dtype=atomic.dtype).index_add(0, batch.structure_of_atom, atomic)


def batch_energies_and_forces(model: AenetModel, batch: Batch, create_graph: bool):
    positions = batch.positions.detach().clone().requires_grad_(True)
    energies = batch_energies(model, batch, positions)
    (grad,) = torch.autograd.grad(energies.sum(), positions, create_graph=create_graph)
    return energies, -grad


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
            batch = collate(graphs[start:start + chunk])
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
            energies = energies.index_add(0, features.structure_of_row[t],
                                          species_model.atomic_energy(features.descriptors[t]))
    return energies
