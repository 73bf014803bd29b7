"""The data contract: what flows between structures, neighbour lists, descriptors, models and
the C++ core, with its names, shapes and dtypes defined once (as nequip's ``_keys.py`` does).

Every array a model or the core consumes is one of ``FIELDS``; ``check`` verifies a set of
them. Python keeps indices as int64 and reals as float64; the C API takes C ``int`` (int32)
atom and species indices and ``double`` reals, converted at the one place that calls it
(``trainer.native``). The C++ ``EdgeBatch`` (``core/src/model.hpp``) holds the same edges in
CSR form: ``centre``/``offset`` for ``edge_index[0]``, ``neighbour`` for ``edge_index[1]`` and
``vec`` for ``edge_vec``.

``Graph`` is one structure as model input, ``Batch`` the disjoint union of several;
``species_indices`` is the one map from element symbols to model species and
``edge_vectors`` the one way edges become vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .structures import Structure

REAL = torch.float64  # positions, cells, edge vectors, energies, forces, virials, descriptors
INDEX = torch.int64  # species, edge_index, cell shifts, structure indices
REAL_NP, INDEX_NP = np.float64, np.int64
C_INT_NP = np.int32  # atom and species indices handed to the C API (C int)

# name: (shape, dtype, meaning); N atoms, E edges, S structures
FIELDS = {
    "positions": ("N,3", REAL, "Cartesian positions, Å"),
    "cell": ("3,3", REAL, "lattice vectors as rows, Å; zeros for an isolated structure"),
    "species": ("N", INDEX, "model species index of each atom (the potential's order)"),
    "edge_index": ("2,E", INDEX, "centre i (row 0) and neighbour j (row 1) of each edge, sorted by centre"),
    "shifts": ("E,3", INDEX, "integer cell shifts: edge_vec = r_j - r_i + shifts @ cell"),
    "edge_vec": ("E,3", REAL, "r_j - r_i with the periodic image applied, Å"),
    "edge_cell": ("E,3,3", REAL, "cell of each edge's structure (batches)"),
    "structure_of_atom": ("N", INDEX, "structure index of each atom (batches)"),
    "natoms": ("S", REAL, "atoms per structure"),
    "energy": ("S", REAL, "total energy per structure, eV"),
    "forces": ("N,3", REAL, "forces, eV/Å"),
}


def check(**arrays) -> None:
    """Raise TypeError unless every named array has the contract's dtype and rank."""
    for name, value in arrays.items():
        if value is None:
            continue
        shape, dtype, _ = FIELDS[name]
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        if value.dtype != dtype or value.dim() != len(shape.split(",")):
            raise TypeError(f"{name}: expected {dtype} of shape ({shape}), got {value.dtype} {tuple(value.shape)}")


def species_indices(structure: Structure, species: Sequence[str], dtype=INDEX_NP) -> np.ndarray:
    """Model species index of every atom of ``structure``; an error names what is missing."""
    index = {s: k for k, s in enumerate(species)}
    try:
        return np.array([index[s] for s in structure.species], dtype=dtype)
    except KeyError:
        missing = sorted(set(structure.species) - set(species))
        raise ValueError(f"{structure.name or 'structure'}: no potential for species {', '.join(missing)} (potential species: {', '.join(species)})") from None


def edge_vectors(positions: torch.Tensor, edge_index: torch.Tensor, shifts: torch.Tensor, cell: torch.Tensor | None) -> torch.Tensor:
    """r_j - r_i + shifts @ cell, differentiable in positions and cell. ``cell`` is one (3, 3)
    cell, one per edge (E, 3, 3), or None for an isolated structure."""
    vec = positions[edge_index[1]] - positions[edge_index[0]]
    if cell is None:
        return vec
    s = shifts.to(positions.dtype)
    return vec + (s @ cell if cell.dim() == 2 else torch.einsum("ek,ekl->el", s, cell))


@dataclass
class Graph:
    """One structure as model input (fields as in ``FIELDS``)."""

    species: torch.Tensor
    edge_index: torch.Tensor
    shifts: torch.Tensor
    positions: torch.Tensor
    cell: torch.Tensor
    energy: float  # eV, NaN when unlabelled
    forces: torch.Tensor | None
    name: str

    @property
    def natoms(self) -> int:
        return int(self.species.shape[0])


def to_graph(structure: Structure, species: Sequence[str], cutoff: float) -> Graph:
    from .neighbours import neighbour_graph

    idx = species_indices(structure, species)
    g = neighbour_graph(structure, cutoff)
    graph = Graph(
        species=torch.from_numpy(idx),
        edge_index=torch.from_numpy(g.edge_index),
        shifts=torch.from_numpy(g.shifts),
        positions=torch.from_numpy(structure.positions.copy()),
        cell=torch.from_numpy(structure.cell.copy()) if structure.periodic else torch.zeros(3, 3, dtype=REAL),
        energy=float(structure.energy) if structure.energy is not None else float("nan"),
        forces=torch.from_numpy(structure.forces.copy()) if structure.forces is not None else None,
        name=structure.name,
    )
    check(species=graph.species, edge_index=graph.edge_index, shifts=graph.shifts, positions=graph.positions, cell=graph.cell, forces=graph.forces)
    return graph


@dataclass
class Batch:
    """The disjoint union of graphs (fields as in ``FIELDS``)."""

    species: torch.Tensor
    edge_index: torch.Tensor
    shifts: torch.Tensor
    edge_cell: torch.Tensor
    positions: torch.Tensor
    structure_of_atom: torch.Tensor
    natoms: torch.Tensor
    energy: torch.Tensor
    forces: torch.Tensor | None

    @property
    def nstructures(self) -> int:
        return int(self.natoms.shape[0])

    def edge_vectors(self, positions: torch.Tensor | None = None) -> torch.Tensor:
        return edge_vectors(self.positions if positions is None else positions, self.edge_index, self.shifts, self.edge_cell)


def collate(graphs: Sequence[Graph]) -> Batch:
    offsets = np.cumsum([0] + [g.natoms for g in graphs])
    edge_struct = torch.cat([torch.full((g.edge_index.shape[1],), k, dtype=INDEX) for k, g in enumerate(graphs)])
    has_forces = all(g.forces is not None for g in graphs)
    return Batch(
        species=torch.cat([g.species for g in graphs]),
        edge_index=torch.cat([g.edge_index + int(o) for g, o in zip(graphs, offsets)], dim=1),
        shifts=torch.cat([g.shifts for g in graphs]),
        edge_cell=torch.stack([g.cell for g in graphs])[edge_struct],
        positions=torch.cat([g.positions for g in graphs]),
        structure_of_atom=torch.cat([torch.full((g.natoms,), k, dtype=INDEX) for k, g in enumerate(graphs)]),
        natoms=torch.tensor([float(g.natoms) for g in graphs], dtype=REAL),
        energy=torch.tensor([g.energy for g in graphs], dtype=REAL),
        forces=torch.cat([g.forces for g in graphs]) if has_forces else None,
    )
