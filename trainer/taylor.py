"""Taylor-expansion force augmentation (Cooper, Kästner, Urban, Artrith 2020).

Extra structures σ' = σ + δ are labelled E(σ') ≈ E(σ) − Σ_i δ_i · F_i(σ).
Strategy ``cartesian`` (paper's A): one atom moved by ±δ along an axis, six structures
per atom with all axes.  Strategy ``random`` (paper's B): every atom moved by a random
vector with |δ_i| ≤ δ_max, the mass-weighted centre-of-mass shift removed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from ase.data import atomic_masses, atomic_numbers

from .config import TaylorConfig
from .structures import Structure

AXES = {"x": 0, "y": 1, "z": 2}


def taylor_energy(energy: float, forces: np.ndarray, displacement: np.ndarray) -> float:
    """First-order label E − Σ δ·F."""
    return float(energy - np.sum(displacement * forces))


@lru_cache(maxsize=4096)
def _masses(species: tuple) -> np.ndarray:
    return np.array([atomic_masses[atomic_numbers[s]] for s in species])


def _displaced(reference: Structure, displacements: np.ndarray, tags: list[str]) -> list[Structure]:
    """One Taylor-labelled structure per displacement (``displacements``: (count, N, 3);
    wrapped into the cell: one solve for all of them, column by column the same numbers as
    one solve each). Labels E − Σ δ·F for all displacements in one reduction, each row the
    same sum as ``taylor_energy``."""
    if len(displacements) == 0:
        return []
    moved = reference.positions[None, :, :] + displacements
    if reference.periodic:
        flat = moved.reshape(-1, 3)
        frac = np.linalg.solve(reference.cell.T, flat.T).T
        moved = ((frac - np.floor(frac)) @ reference.cell).reshape(moved.shape)
    energies = reference.energy - (displacements * reference.forces[None]).reshape(len(displacements), -1).sum(axis=1)
    species = list(reference.species)
    return [
        Structure(
            positions=positions,
            species=species,
            cell=reference.cell,
            pbc=reference.pbc,
            energy=float(e),
            forces=None,
            name=f"{reference.name}#{tag}",
            info={"taylor_of": reference.name},
        )
        for positions, e, tag in zip(moved, energies, tags)
    ]


def deltas(reference: Structure, config: TaylorConfig) -> np.ndarray:
    return np.array([config.delta_per_species.get(s, config.delta) for s in reference.species])


def eligible_atoms(reference: Structure, config: TaylorConfig) -> np.ndarray:
    norms = np.linalg.norm(reference.forces, axis=1)
    return np.nonzero(norms > config.force_threshold)[0] if config.force_threshold > 0 else np.arange(reference.natoms)


def random_displacements(reference: Structure, delta_max: np.ndarray, atoms: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The listed atoms move: |δ_i| ≤ δ_max,i uniformly in the ball, then their mass-weighted
    mean is removed and, if that pushed any atom past its bound, all are shrunk by a common
    factor (which keeps the zero mean).  Other atoms stay."""
    return random_displacements_many(reference, delta_max, atoms, rng, 1)[0]


def random_displacements_many(reference: Structure, delta_max: np.ndarray, atoms: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` draws of ``random_displacements`` as one (count, N, 3) array: the random
    numbers are drawn in the same order as ``count`` single calls (so a seed gives the same
    structures either way), the arithmetic runs on all draws at once."""
    n = len(atoms)
    direction = np.empty((count, n, 3))
    radius = np.empty((count, n))
    for k in range(count):
        direction[k] = rng.normal(size=(n, 3))
        radius[k] = rng.random(n)
    direction /= np.linalg.norm(direction, axis=2, keepdims=True)
    bound = delta_max[atoms]
    d = direction * (bound * radius ** (1.0 / 3.0))[:, :, None]
    if n > 1:
        masses = _masses(tuple(reference.species))[atoms]
        d -= (masses[None, :, None] * d).sum(axis=1, keepdims=True) / masses.sum()
        ratio = np.max(np.linalg.norm(d, axis=2) / bound, axis=1)
        shrink = ratio > 1.0
        d[shrink] /= ratio[shrink][:, None, None]
    full = np.zeros((count, reference.natoms, 3))
    full[:, atoms] = d
    return full


def augment(reference: Structure, config: TaylorConfig, rng: np.random.Generator) -> list[Structure]:
    """The displaced, Taylor-labelled structures of one reference (none if it has no forces
    or its forces are all below ``skip_below``)."""
    if reference.forces is None or reference.energy is None:
        raise ValueError(f"{reference.name}: Taylor augmentation needs energy and forces")
    if np.linalg.norm(reference.forces, axis=1).max() < config.skip_below:
        return []
    delta = deltas(reference, config)
    atoms = eligible_atoms(reference, config)
    if len(atoms) == 0:
        return []
    if config.strategy == "random":
        moves = random_displacements_many(reference, delta, atoms, rng, config.multiple)
        return _displaced(reference, moves, [f"B{k}" for k in range(config.multiple)])
    else:
        chosen = atoms
        if config.atoms_per_structure is not None and config.atoms_per_structure < len(atoms):
            chosen = np.sort(rng.choice(atoms, size=config.atoms_per_structure, replace=False))
        moves = [(a, axis, sign) for a in chosen for axis in config.axes for sign in (1.0, -1.0)]
        if config.displacements is not None and config.displacements < len(moves):
            moves = [moves[k] for k in np.sort(rng.choice(len(moves), size=config.displacements, replace=False))]
        shifts, tags = np.zeros((len(moves), reference.natoms, 3)), []
        for k, (a, axis, sign) in enumerate(moves):
            shifts[k, a, AXES[axis]] = sign * delta[a]
            tags.append(f"A{a}{axis}{'+' if sign > 0 else '-'}")
        return _displaced(reference, shifts, tags)


def augment_all(references: list[Structure], config: TaylorConfig, seed: int, epoch: int = 0) -> list[Structure]:
    """Deterministic in (seed, epoch): ``fixed`` sampling uses epoch 0 for ever."""
    rng = np.random.default_rng([seed, 7919, epoch])
    out: list[Structure] = []
    for reference in references:
        out.extend(augment(reference, config, rng))
    return out
