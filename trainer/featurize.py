"""Training features from the C++ core: descriptors, and for force training their
derivatives with respect to the positions, computed once and reused every epoch.

Forces are F = −Σ_i (∂E_i/∂G_i)·∂G_i/∂R: with the Jacobian ∂G/∂R cached, a force epoch
needs only the networks' input gradient, its backward pass and a product with the Jacobian
(n2p2's and ænet's way). Jacobians are stored dense per structure, grouped by atom count,
so the product is one batched matrix multiplication per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .batch import Features
from .convert import potentials_from_model
from .model import AenetModel
from .native import HandlePool, NativeHandle, StructureFeatures
from .structures import Structure


def model_handles(model: AenetModel, threads: int = 1) -> HandlePool:
    """The C++ evaluator (the one LAMMPS and Tinker run) holding ``model`` as it is now:
    its descriptors for featurization, its networks too for predictions."""
    pots = potentials_from_model(model)
    names = [f"<{p.species} of the model in training>" for p in pots]
    texts = [p.text() for p in pots]
    return HandlePool(lambda: NativeHandle.from_texts(names, texts), threads)


def _energy(s: Structure) -> float:
    return float(s.energy) if s.energy is not None else float("nan")


def features_from_native(model: AenetModel, structures: Sequence[Structure],
                         per_structure: Sequence[StructureFeatures]) -> Features:
    """Species-wise descriptor rows (structure order, then atom order) as ``Features``."""
    index = {s: k for k, s in enumerate(model.species)}
    nsf = [m.descriptor.size for m in model.species_models]
    rows: list[list[np.ndarray]] = [[] for _ in model.species]
    owner: list[list[np.ndarray]] = [[] for _ in model.species]
    for k, (s, f) in enumerate(zip(structures, per_structure)):
        sp = np.array([index[x] for x in s.species])
        for t in range(len(model.species)):
            sel = sp == t
            if sel.any():
                rows[t].append(f.G[sel, :nsf[t]])
                owner[t].append(np.full(int(sel.sum()), k, dtype=np.int64))
    descriptors = [torch.from_numpy(np.concatenate(r)) if r else torch.zeros(0, nsf[t], dtype=torch.float64)
                   for t, r in enumerate(rows)]
    structure_of_row = [torch.from_numpy(np.concatenate(o)) if o else torch.zeros(0, dtype=torch.int64)
                        for o in owner]
    natoms = torch.tensor([float(s.natoms) for s in structures], dtype=torch.float64)
    energy = torch.tensor([_energy(s) for s in structures], dtype=torch.float64)
    return Features(descriptors, structure_of_row, natoms, energy)


def featurize(model: AenetModel, structures: Sequence[Structure], pool: HandlePool,
              chunk: int = 512) -> Features:
    """Descriptors of ``structures`` through the C++ core, ``chunk`` structures at a time."""
    parts = []
    for start in range(0, len(structures), chunk):
        part = structures[start:start + chunk]
        parts.append(features_from_native(model, part, pool.map(lambda h, s: h.features(s), part)))
    from .batch import concat_features

    return concat_features(parts) if len(parts) > 1 else parts[0]


@dataclass
class SizeGroup:
    """Structures of one atom count n: atoms (S, n) into the set's global atom order,
    Jacobians (S, n·ld, n·3) and reference forces (S, n·3)."""

    atoms: torch.Tensor
    jacobian: torch.Tensor
    forces: torch.Tensor


@dataclass
class ForceData:
    """Everything a force epoch needs for a set of structures."""

    features: Features
    row_of_atom: list[torch.Tensor]  # per species: global atom index of each descriptor row
    natoms_total: int
    row_length: int
    groups: list[SizeGroup]

    @property
    def ncomponents(self) -> int:
        return sum(int(g.forces.numel()) for g in self.groups)

    @property
    def nbytes(self) -> int:
        return sum(g.jacobian.numel() * 8 for g in self.groups)


def dense_jacobian(n: int, ld: int, f: StructureFeatures) -> np.ndarray:
    """(n·ld, n·3): row i·ld + f, column k·3 + c holds dG[i, f]/dx[k, c]."""
    J = np.zeros((n, n, ld, 3))
    J[f.block_centre, f.block_atom] = f.values
    return J.transpose(0, 2, 1, 3).reshape(n * ld, n * 3)


def jacobian_bytes(structures: Sequence[Structure], ld: int) -> int:
    return sum(s.natoms ** 2 * ld * 3 * 8 for s in structures)


def force_data(model: AenetModel, structures: Sequence[Structure], pool: HandlePool) -> ForceData:
    """Descriptors and dense Jacobians of ``structures`` (all with reference forces)."""
    ld = max(m.descriptor.size for m in model.species_models)
    per = pool.map(lambda h, s: h.features(s, derivatives=True), list(structures))
    features = features_from_native(model, structures, per)
    index = {s: k for k, s in enumerate(model.species)}
    offsets = np.cumsum([0] + [s.natoms for s in structures])
    species_of_atom = np.concatenate([[index[x] for x in s.species] for s in structures])
    row_of_atom = [torch.from_numpy(np.flatnonzero(species_of_atom == t)) for t in range(len(model.species))]
    by_size: dict[int, list[int]] = {}
    for k, s in enumerate(structures):
        by_size.setdefault(s.natoms, []).append(k)
    groups = []
    for n, members in sorted(by_size.items()):
        atoms = torch.from_numpy(np.stack([np.arange(offsets[k], offsets[k] + n) for k in members]))
        jac = torch.from_numpy(np.stack([dense_jacobian(n, ld, per[k]) for k in members]))
        forces = torch.from_numpy(np.stack([np.asarray(structures[k].forces, dtype=np.float64).reshape(-1)
                                            for k in members]))
        groups.append(SizeGroup(atoms, jac, forces))
    return ForceData(features, row_of_atom, int(offsets[-1]), ld, groups)


def energies_and_forces(model: AenetModel, data: ForceData, create_graph: bool):
    """Structure energies (S,) and per-group forces [(S_g, n·3)], differentiable in the
    parameters when ``create_graph``."""
    feats = data.features
    inputs = [g.detach().requires_grad_(True) for g in feats.descriptors]
    energies = torch.zeros(feats.nstructures, dtype=torch.float64)
    dedg = torch.zeros(data.natoms_total, data.row_length, dtype=torch.float64)
    with torch.enable_grad():
        for t, m in enumerate(model.species_models):
            if inputs[t].shape[0] == 0:
                continue
            e = m.atomic_energy(inputs[t])
            energies = energies.index_add(0, feats.structure_of_row[t], e)
            (g,) = torch.autograd.grad(e.sum(), inputs[t], create_graph=create_graph)
            dedg = dedg.index_put((data.row_of_atom[t],), torch.nn.functional.pad(g, (0, data.row_length - g.shape[1])))
    forces = []
    for group in data.groups:
        s, n = group.atoms.shape
        d = dedg[group.atoms].reshape(s, 1, n * data.row_length)
        forces.append(-torch.bmm(d, group.jacobian).reshape(s, n * 3))
    return energies, forces
