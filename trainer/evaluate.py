"""Energies, forces and virials of structures with a model: the one entry point behind
``predict``, the ASE calculator and the trainer's metrics.

``predict`` takes either a torch model (``AenetModel`` or a loaded TorchScript model,
differentiable, for tests and research) or a :class:`NativeEvaluator`, the C++ core that
LAMMPS and Tinker run (what ``python -m export predict`` and the ASE calculator use)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .model import AenetModel
from .native import NativeHandle
from .neighbours import edge_vectors, neighbour_graph
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


def species_indices(model, structure: Structure) -> torch.Tensor:
    try:
        return torch.tensor([model.species.index(s) for s in structure.species], dtype=torch.int64)
    except ValueError:
        missing = sorted(set(structure.species) - set(model.species))
        raise ValueError(
            f"{structure.name or 'structure'}: no potential for species {', '.join(missing)} "
            f"(potential species: {', '.join(model.species)})"
        ) from None


def model_inputs(model, structure: Structure):
    graph = neighbour_graph(structure, model.cutoff)
    edge_index = torch.from_numpy(graph.edge_index)
    shifts = torch.from_numpy(graph.shifts)
    return species_indices(model, structure), edge_index, shifts


def predict(model, structure: Structure, forces: bool = False, virial: bool = False) -> Prediction:
    if isinstance(model, NativeEvaluator):
        species_indices(model, structure)  # the same message for species the potential lacks
        energy, atomic, f, w = model.handle.compute(structure)
        refs = np.array(model.reference_energies)[[model.species.index(x) for x in structure.species]]
        return Prediction(energy, float((atomic - refs).sum()), atomic, f if forces else None,
                          w if virial else None, model.handle.extrapolation())
    species, edge_index, shifts = model_inputs(model, structure)
    positions = torch.from_numpy(structure.positions)
    cell = torch.from_numpy(structure.cell) if structure.periodic else None
    vec = edge_vectors(positions, cell, edge_index, shifts)
    need_grad = forces or virial
    if need_grad:
        vec = vec.detach().requires_grad_(True)
    with torch.set_grad_enabled(need_grad):
        atomic = model(species, edge_index, vec)
        energy = atomic.sum()
    refs = torch.tensor(reference_energies(model), dtype=torch.float64)[species]
    atomic_values = atomic.detach()
    out = Prediction(float(atomic_values.sum()), float((atomic_values - refs).sum()), atomic_values.numpy())
    if need_grad:
        (grad,) = torch.autograd.grad(energy, vec)
        if forces:
            f = torch.zeros_like(positions)
            f.index_add_(0, edge_index[0], grad)
            f.index_add_(0, edge_index[1], -grad)
            out.forces = f.numpy()
        if virial:
            out.virial = -(vec.detach().T @ grad).numpy()
    return out
