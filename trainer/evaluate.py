"""Energies, forces and virials of structures with a model: the one entry point behind
``predict``, the ASE calculator and the trainer's metrics.

``predict`` takes either a torch model (``AenetModel`` or a loaded TorchScript model,
differentiable, for tests and research) or a :class:`NativeEvaluator`, the C++ core that
LAMMPS and Tinker run (what ``python -m export predict`` and the ASE calculator use)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .contract import REAL, Batch, collate, to_graph
from .model import AenetModel
from .native import NativeHandle
from .structures import Structure


class NativeEvaluator:
    """A potential in the C++ core: ``.nn.ascii`` files (one per species) or one ``.pt``."""

    def __init__(self, paths, legacy_angular: bool = False):
        self.paths = [str(p) for p in paths]
        self.handle = NativeHandle.from_files(self.paths, legacy_angular)
        self.species = list(self.handle.species)
        self.cutoff = self.handle.cutoff
        self.reference_energies = self.handle.reference_energies()


@dataclass
class Prediction:
    energy: float  # eV, reference energies included
    cohesive_energy: float  # eV
    atomic_energies: np.ndarray
    forces: np.ndarray | None = None  # eV/Å
    virial: np.ndarray | None = None  # 3x3, eV: -dE/d(strain) (LAMMPS sign)
    # atoms whose descriptor left the potential's training range (0-based); None: not known
    # (the torch evaluators and TorchScript models do not check)
    extrapolating: np.ndarray | None = None


def reference_energies(model) -> list[float]:
    """Free-atom energies in the model's species order (AenetModel or a loaded TorchScript model)."""
    if isinstance(model, AenetModel):
        return [m.reference_energy for m in model.species_models]
    return list(model.reference_energies)


def model_inputs(model, structure: Structure):
    """(species, edge_index, shifts) of ``structure`` for ``model`` (tensors as in contract.FIELDS)."""
    g = to_graph(structure, model.species, model.cutoff)
    return g.species, g.edge_index, g.shifts


def edge_forward(model, batch: Batch, need_grad: bool, create_graph: bool = False):
    """Atomic energies (N,), edge vectors (E, 3) and, if ``need_grad``, dE_total/d edge_vec
    (E, 3) of a torch model on ``batch``: the torch path of ``predict`` and of the batch
    reference in ``trainer.batch``."""
    vec = batch.edge_vectors()
    if need_grad:
        vec = vec.detach().requires_grad_(True)
    with torch.set_grad_enabled(need_grad or create_graph):
        atomic = model(batch.species, batch.edge_index, vec)
        grad = torch.autograd.grad(atomic.sum(), vec, create_graph=create_graph)[0] if need_grad else None
    return atomic, vec, grad


def forces_from_edge_gradient(grad: torch.Tensor, edge_index: torch.Tensor, natoms: int) -> torch.Tensor:
    """F_i = sum over edges (i, j) of dE/d edge_vec - sum over edges (j, i): edge_vec = r_j - r_i."""
    f = torch.zeros(natoms, 3, dtype=grad.dtype)
    f = f.index_add(0, edge_index[0], grad)
    return f.index_add(0, edge_index[1], -grad)


def predict(model, structure: Structure, forces: bool = False, virial: bool = False) -> Prediction:
    if isinstance(model, NativeEvaluator):
        energy, atomic, f, w, species = model.handle.compute_indexed(structure)  # species_indices' message
        refs = np.array(model.reference_energies)[species]
        return Prediction(energy, float((atomic - refs).sum()), atomic, f if forces else None, w if virial else None, model.handle.extrapolation())
    batch = collate([to_graph(structure, model.species, model.cutoff)])
    need_grad = forces or virial
    atomic, vec, grad = edge_forward(model, batch, need_grad)
    refs = torch.tensor(reference_energies(model), dtype=REAL)[batch.species]
    atomic_values = atomic.detach()
    out = Prediction(float(atomic_values.sum()), float((atomic_values - refs).sum()), atomic_values.numpy())
    if forces:
        out.forces = forces_from_edge_gradient(grad, batch.edge_index, structure.natoms).numpy()
    if virial:
        out.virial = -(vec.detach().T @ grad).numpy()
    return out
