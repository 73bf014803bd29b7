"""Training features from the C++ core: descriptors, and for force training their
derivatives with respect to the positions, computed once and reused every epoch.

Forces are F = −Σ_i (∂E_i/∂G_i)·∂G_i/∂R: with the Jacobian ∂G/∂R cached, a force epoch
needs only the networks' input gradient, its backward pass and a product with the Jacobian
(n2p2's and ænet's way). Jacobians are stored dense per structure, grouped by atom count,
so the product is one batched matrix multiplication per group. They are stored transposed,
(n·3, n·ld) per structure: both the product and its backward pass then run along rows of
length n·ld, while with (n·ld, n·3) the backward pass walks rows of only n·3 entries and
BLAS runs it at less than half the speed (TiO2 set, float64, 1 thread: forward + backward
products 17.8 ms untransposed, 7.9 ms transposed; force epoch 1.5x faster).
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


def features_from_native(model: AenetModel, structures: Sequence[Structure], per_structure: Sequence[StructureFeatures]) -> Features:
    """Species-wise descriptor rows (structure order, then atom order) as ``Features``."""
    ld = max(m.descriptor.size for m in model.species_models)
    rows = [f.G[:, :ld] for f in per_structure]
    return features_from_rows(model, structures, np.concatenate(rows) if rows else np.zeros((0, ld)))


def features_from_rows(model: AenetModel, structures: Sequence[Structure], G: np.ndarray) -> Features:
    """``Features`` from the descriptor rows ``G`` of all atoms of ``structures`` (structure
    order, then atom order; rows at least as long as the longest descriptor)."""
    index = {s: k for k, s in enumerate(model.species)}
    nsf = [m.descriptor.size for m in model.species_models]
    species = np.fromiter((index[x] for s in structures for x in s.species), dtype=np.int64, count=len(G))
    owner = np.repeat(np.arange(len(structures), dtype=np.int64), [s.natoms for s in structures])
    descriptors, structure_of_row = [], []
    for t in range(len(model.species)):
        sel = species == t
        descriptors.append(torch.from_numpy(np.ascontiguousarray(G[sel, : nsf[t]])))
        structure_of_row.append(torch.from_numpy(owner[sel]))
    natoms = torch.tensor([float(s.natoms) for s in structures], dtype=torch.float64)
    energy = torch.tensor([_energy(s) for s in structures], dtype=torch.float64)
    return Features(descriptors, structure_of_row, natoms, energy)


def featurize(model: AenetModel, structures: Sequence[Structure], pool: HandlePool, chunk: int = 512) -> Features:
    """Descriptors of ``structures`` through the C++ core: one call per ``chunk`` structures
    and thread (results independent of the number of threads)."""
    parts = []
    for start in range(0, len(structures), chunk):
        part = structures[start : start + chunk]
        step = -(-len(part) // pool.threads)
        pieces = [part[k : k + step] for k in range(0, len(part), step)]
        rows = pool.map(lambda h, piece: h.features_many(piece), pieces)
        parts.append(features_from_rows(model, part, np.concatenate(rows)))
    from .batch import concat_features

    return concat_features(parts) if len(parts) > 1 else parts[0]


@dataclass
class SizeGroup:
    """The structures of one atom count n, consecutive in the set: transposed Jacobians
    (S, n·3, n·ld), ``jacobian[s, k·3 + c, i·ld + f] = dG[i, f]/dx[k, c]``, and reference
    forces (S, n·3)."""

    natoms: int
    jacobian: torch.Tensor
    forces: torch.Tensor

    @property
    def nstructures(self) -> int:
        return int(self.forces.shape[0])


@dataclass
class ForceData:
    """Everything a force epoch needs for a set of structures, held sorted by atom count
    (``order[k]`` is the input position of structure k) so that each size group's atoms
    are one consecutive block."""

    features: Features
    order: np.ndarray
    row_of_atom: list[torch.Tensor]  # per species: atom index (sorted set) of each descriptor row
    natoms_total: int
    row_length: int
    groups: list[SizeGroup]

    @property
    def ncomponents(self) -> int:
        return sum(int(g.forces.numel()) for g in self.groups)

    @property
    def nbytes(self) -> int:
        return sum(g.jacobian.numel() * g.jacobian.element_size() for g in self.groups)


def jacobian_bytes(structures: Sequence[Structure], ld: int, dtype: str = "float64") -> int:
    return sum(s.natoms**2 * ld * 3 * (8 if dtype == "float64" else 4) for s in structures)


def force_data(model: AenetModel, structures: Sequence[Structure], pool: HandlePool, dtype: str = "float64") -> ForceData:
    """Descriptors and dense Jacobians of ``structures`` (all with reference forces); the
    C++ core writes each Jacobian straight into its size group's tensor (float64), stored
    as ``dtype`` (``float32`` halves memory and the memory traffic of a force epoch)."""
    ld = max(m.descriptor.size for m in model.species_models)
    order = np.argsort([s.natoms for s in structures], kind="stable")
    ordered = [structures[k] for k in order]
    G = [np.zeros((s.natoms, ld)) for s in ordered]
    store = np.float32 if dtype == "float32" else np.float64
    groups, jobs, start = [], [], 0
    while start < len(ordered):
        n = ordered[start].natoms
        stop = start
        while stop < len(ordered) and ordered[stop].natoms == n:
            stop += 1
        jac = np.empty((stop - start, n * 3, n * ld), dtype=store)
        jobs += [(k, jac[k - start]) for k in range(start, stop)]
        forces = np.stack([np.asarray(ordered[k].forces, dtype=np.float64).reshape(-1) for k in range(start, stop)])
        groups.append(SizeGroup(n, torch.from_numpy(jac), torch.from_numpy(forces)))
        start = stop

    def one(h: NativeHandle, job) -> None:
        k, target = job
        n = ordered[k].natoms
        scratch = np.empty((n * ld, n * 3))  # the C API's layout, float64
        h.features_dense(ordered[k], G[k], scratch)
        np.copyto(target, scratch.T)  # transposed (and cast to the stored dtype)

    pool.map(one, jobs)
    features = features_from_native(model, ordered, [StructureFeatures(g) for g in G])
    index = {s: k for k, s in enumerate(model.species)}
    species_of_atom = np.concatenate([[index[x] for x in s.species] for s in ordered])
    row_of_atom = [torch.from_numpy(np.flatnonzero(species_of_atom == t)) for t in range(len(model.species))]
    return ForceData(features, order, row_of_atom, len(species_of_atom), ld, groups)


def energies_and_forces(model: AenetModel, data: ForceData, create_graph: bool):
    """Structure energies (S,) and per-group forces [(S_g, n·3)] in ``data``'s (sorted)
    order, differentiable in the parameters when ``create_graph``."""
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
    blocks = torch.split(dedg, [g.nstructures * g.natoms for g in data.groups])
    forces = []
    for group, d in zip(data.groups, blocks):
        s, n = group.nstructures, group.natoms
        d = d.reshape(s, 1, n * data.row_length).to(group.jacobian.dtype)
        forces.append(-torch.bmm(d, group.jacobian.transpose(1, 2)).reshape(s, n * 3).to(torch.float64))
    return energies, forces
