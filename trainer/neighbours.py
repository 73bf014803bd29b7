"""Neighbour lists (vesin): every ordered pair i != j (and periodic self-images) within a cut-off.

Returned as the graph the descriptors consume: ``edge_index`` (2, E) centre/neighbour and
integer cell ``shifts`` (E, 3) so that ``edge_vec = r[j] - r[i] + shifts @ cell`` stays
differentiable with respect to positions and cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .contract import INDEX_NP
from .structures import Structure

COINCIDENT = 1e-12  # Å; ænet skips only exactly coincident positions (§7.1)


@dataclass
class NeighbourGraph:
    edge_index: np.ndarray  # (2, E) sorted by centre, dtype and meaning as in contract.FIELDS
    shifts: np.ndarray  # (E, 3)

    @property
    def nedges(self) -> int:
        return self.edge_index.shape[1]


def pairs(structure: Structure, cutoff: float, quantities: str, full: bool = False) -> list[np.ndarray]:
    """vesin's pair list of ``structure`` within ``cutoff`` Å (``quantities`` as vesin's:
    i, j, S shifts, d distances, D vectors); unordered pairs unless ``full``. Slabs and wires
    get the vacuum box of ``_vacuum_box``, isolated structures none."""
    from vesin import NeighborList

    box = structure.cell if structure.periodic else np.zeros((3, 3))
    if structure.periodic and not all(structure.pbc):  # slab or wire: see _vacuum_box
        box = _vacuum_box(structure, cutoff)
    calc = NeighborList(cutoff=float(cutoff), full_list=full)
    out = calc.compute(points=structure.positions, box=box, periodic=structure.periodic, quantities=quantities)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def neighbour_graph(structure: Structure, cutoff: float) -> NeighbourGraph:
    """Full neighbour list of ``structure`` within ``cutoff`` Å (triclinic, small cells OK)."""
    i, j, s, d = pairs(structure, cutoff, "ijSd", full=True)
    keep = d > COINCIDENT
    i, j, s = i[keep], j[keep], s[keep]
    order = np.lexsort((j, i))
    edge_index = np.stack([i[order], j[order]]).astype(INDEX_NP)
    return NeighbourGraph(edge_index, s[order].astype(INDEX_NP).reshape(-1, 3))


def _vacuum_box(structure: Structure, cutoff: float) -> np.ndarray:
    """The cell with each non-periodic vector replaced by one orthogonal to the periodic ones and
    longer than the atoms' extent plus the cut-off: no pair within the cut-off can then involve
    an image along it, so every shift along it is 0 and ``contract.edge_vectors`` with the structure's
    own cell (whatever its non-periodic vectors are) gives the right vectors."""
    cell = np.array(structure.cell, dtype=float)
    periodic = [k for k in range(3) if structure.pbc[k]]
    length = float(np.linalg.norm(np.ptp(structure.positions, axis=0))) + 2.0 * cutoff + 1.0
    if len(periodic) == 2:
        a, b = cell[periodic[0]], cell[periodic[1]]
        normals = [np.cross(a, b)]
    else:  # one periodic vector
        a = cell[periodic[0]] / np.linalg.norm(cell[periodic[0]])
        helper = np.eye(3)[int(np.argmin(np.abs(a)))]
        u = np.cross(a, helper)
        normals = [u, np.cross(a, u)]
    for k, n in zip([k for k in range(3) if not structure.pbc[k]], normals):
        cell[k] = length * n / np.linalg.norm(n)
    return cell
