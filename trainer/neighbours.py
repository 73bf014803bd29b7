"""Neighbour lists (vesin): every ordered pair i != j (and periodic self-images) within a cut-off.

Returned as the graph the descriptors consume: ``edge_index`` (2, E) centre/neighbour and
integer cell ``shifts`` (E, 3) so that ``edge_vec = r[j] - r[i] + shifts @ cell`` stays
differentiable with respect to positions and cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .structures import Structure

COINCIDENT = 1e-12  # Å; ænet skips only exactly coincident positions (§7.1)


@dataclass
class NeighbourGraph:
    edge_index: np.ndarray  # int64 (2, E), sorted by centre
    shifts: np.ndarray  # int64 (E, 3)

    @property
    def nedges(self) -> int:
        return self.edge_index.shape[1]


def neighbour_graph(structure: Structure, cutoff: float) -> NeighbourGraph:
    """Full neighbour list of ``structure`` within ``cutoff`` Å (triclinic, small cells OK)."""
    from vesin import NeighborList

    if structure.periodic and not all(structure.pbc):
        raise ValueError(f"{structure.name}: mixed periodicity {structure.pbc} is not supported")
    box = structure.cell if structure.periodic else np.zeros((3, 3))
    calc = NeighborList(cutoff=float(cutoff), full_list=True)
    i, j, s, d = calc.compute(
        points=structure.positions, box=box, periodic=structure.periodic, quantities="ijSd"
    )
    keep = d > COINCIDENT
    i, j, s = i[keep], j[keep], s[keep]
    order = np.lexsort((j, i))
    edge_index = np.stack([i[order], j[order]]).astype(np.int64)
    return NeighbourGraph(edge_index, s[order].astype(np.int64).reshape(-1, 3))


def edge_vectors(positions: torch.Tensor, cell: torch.Tensor | None, graph_edges: torch.Tensor,
                 shifts: torch.Tensor) -> torch.Tensor:
    """r_j - r_i (+ periodic image offset), differentiable in positions and cell."""
    vec = positions[graph_edges[1]] - positions[graph_edges[0]]
    if cell is not None:
        vec = vec + shifts.to(positions.dtype) @ cell
    return vec
