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
    return sorted(zip(graph.edge_index[0].tolist(), graph.edge_index[1].tolist(), np.round(np.linalg.norm(d, axis=1), 9).tolist()))


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


@pytest.mark.parametrize("pbc", [(True, True, False), (False, True, False)])
@pytest.mark.parametrize("backend", ["native", "torch"])
def test_mixed_periodicity_equals_the_same_slab_in_vacuum(backend, pbc):
    """A slab (pbc T T F) or a wire (F T F) gives the energy, forces and virial of the same atoms
    in a fully periodic cell whose non-periodic vectors leave more than the cut-off of vacuum."""
    from conftest import POTENTIAL, TIO2
    from export.loading import load_evaluator, load_potential
    from trainer.evaluate import predict
    from trainer.readers import read_structures

    bulk = read_structures(TIO2 / "structure-001.xsf")[0]
    slab = Structure(bulk.positions.copy(), list(bulk.species), cell=bulk.cell.copy(), pbc=pbc)
    boxed = Structure(bulk.positions.copy(), list(bulk.species), cell=bulk.cell.copy(), pbc=(True, True, True))
    for k in range(3):  # structure-001's cell is orthorhombic: > 2 cut-offs of vacuum along each open axis
        if not pbc[k]:
            boxed.cell[k, k] = bulk.cell[k, k] + 3 * 6.5
    model = (load_evaluator if backend == "native" else load_potential)([str(p) for p in POTENTIAL])
    a = predict(model, slab, forces=True, virial=True)
    b = predict(model, boxed, forces=True, virial=True)
    c = predict(model, bulk, forces=True)
    assert abs(a.energy - b.energy) < 1e-9 and np.abs(a.forces - b.forces).max() < 1e-9
    assert np.abs(a.virial - b.virial).max() < 1e-8
    assert abs(a.energy - c.energy) > 1.0  # the missing images along c matter
