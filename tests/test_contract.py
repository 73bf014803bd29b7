"""The data contract (trainer/contract.py) holds at every boundary: neighbour lists, graphs,
batches, the torch model inputs and the arrays handed to the C API have the dtypes it names,
and the one species map gives one message."""

import numpy as np
import pytest
import torch

from trainer.contract import FIELDS, C_INT_NP, INDEX, REAL, check, collate, edge_vectors, species_indices, to_graph
from trainer.evaluate import model_inputs
from trainer.native import structure_arrays
from trainer.neighbours import neighbour_graph
from trainer.structures import Structure
from trainer.xsf import read_xsf

from conftest import TIO2


def _periodic():
    return read_xsf(TIO2 / "structure-002.xsf")


def _cluster():
    x = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
    return Structure(x, ["O", "Ti", "Ti"])


@pytest.mark.parametrize("make", [_periodic, _cluster])
def test_every_boundary_has_the_contract_dtypes(make):
    s = make()
    g = neighbour_graph(s, 6.5)
    check(edge_index=g.edge_index, shifts=g.shifts)
    graph = to_graph(s, ["Ti", "O"], 6.5)
    b = collate([graph, graph])
    check(
        species=b.species,
        edge_index=b.edge_index,
        shifts=b.shifts,
        edge_cell=b.edge_cell,
        positions=b.positions,
        structure_of_atom=b.structure_of_atom,
        natoms=b.natoms,
        energy=b.energy,
    )
    check(edge_vec=b.edge_vectors())

    class Model:
        species, cutoff = ["Ti", "O"], 6.5

    species, edge_index, shifts = model_inputs(Model, s)
    check(species=species, edge_index=edge_index, shifts=shifts)
    x, sp, cell, pbc = structure_arrays(s, ["Ti", "O"])
    assert x.dtype == np.float64 and sp.dtype == C_INT_NP == np.int32
    assert (cell is None) == (not s.periodic) and (pbc is None or pbc.dtype == C_INT_NP)
    assert np.array_equal(sp, species.numpy())


def test_check_refuses_wrong_dtype_and_rank():
    with pytest.raises(TypeError, match=r"shifts: expected torch.int64 of shape \(E,3\), got torch.float64"):
        check(shifts=torch.zeros(4, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="positions: expected torch.float64"):
        check(positions=torch.zeros(4, 3, dtype=torch.float32))
    with pytest.raises(TypeError, match="edge_index"):
        check(edge_index=torch.zeros(8, dtype=INDEX))
    assert {FIELDS[k][1] for k in ("positions", "edge_vec", "forces", "energy")} == {REAL}


def test_edge_vectors_one_cell_equals_per_edge_cells():
    s = _periodic()
    g = to_graph(s, ["Ti", "O"], 6.5)
    one = edge_vectors(g.positions, g.edge_index, g.shifts, g.cell)
    per_edge = edge_vectors(g.positions, g.edge_index, g.shifts, g.cell.expand(g.shifts.shape[0], 3, 3))
    assert torch.equal(one, per_edge)
    d = torch.linalg.norm(one, dim=1)
    assert float(d.max()) <= 6.5 and float(d.min()) > 0.5  # real neighbours within the cut-off


def test_one_species_map_one_message():
    s = Structure(np.zeros((2, 3)) + [[0, 0, 0], [1, 1, 1]], ["Ti", "Zr"], name="two.xsf")
    want = r"two.xsf: no potential for species Zr \(potential species: Ti, O\)"
    with pytest.raises(ValueError, match=want):
        species_indices(s, ["Ti", "O"])
    with pytest.raises(ValueError, match=want):
        to_graph(s, ["Ti", "O"], 6.5)
    with pytest.raises(ValueError, match=want):
        structure_arrays(s, ["Ti", "O"])
