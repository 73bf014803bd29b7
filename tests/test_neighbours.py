"""vesin neighbour graph against ASE's independent primitive_neighbor_list, incl. small triclinic cells."""

import numpy as np
import pytest
from ase.neighborlist import primitive_neighbor_list

from trainer.neighbours import neighbour_graph
from trainer.structures import Structure


def _pairs(structure, graph):
    d = structure.positions[graph.edge_index[1]] - structure.positions[graph.edge_index[0]]
    if structure.periodic:
        d = d + graph.shifts @ structure.cell
    return sorted(zip(graph.edge_index[0].tolist(), graph.edge_index[1].tolist(),
                      np.round(np.linalg.norm(d, axis=1), 9).tolist()))


@pytest.mark.parametrize("cell_scale", [1.0, 0.35])  # 0.35: cell much smaller than twice the cut-off
def test_matches_ase_in_triclinic_cell(cell_scale):
    rng = np.random.default_rng(1)
    cell = np.array([[7.0, 0.0, 0.0], [1.9, 6.5, 0.0], [-1.2, 0.8, 7.5]]) * cell_scale
    frac = rng.random((6, 3))
    s = Structure(frac @ cell, ["Ti"] * 6, cell=cell, pbc=(True, True, True))
    graph = neighbour_graph(s, 6.5)
    i, j, dist = primitive_neighbor_list("ijd", s.pbc, s.cell, s.positions, 6.5, self_interaction=False)
    want = sorted(zip(i.tolist(), j.tolist(), np.round(dist, 9).tolist()))
    assert _pairs(s, graph) == want
    assert graph.nedges > 0 and np.all(np.diff(graph.edge_index[0]) >= 0)


def test_isolated_cluster_has_no_images():
    rng = np.random.default_rng(2)
    s = Structure(rng.random((5, 3)) * 3.0, ["O"] * 5)
    graph = neighbour_graph(s, 10.0)
    assert graph.nedges == 20 and not graph.shifts.any()
