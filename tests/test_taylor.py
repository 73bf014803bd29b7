"""Taylor augmentation: labels are first order (error O(δ²)), strategy B's bounds and zero
mass-weighted mean, strategy A's six structures per atom, wrapping, and the skip options."""

import numpy as np
import pytest
from ase.data import atomic_masses, atomic_numbers

from trainer.config import TaylorConfig
from trainer.structures import Structure
from trainer.taylor import augment, augment_all, random_displacements, random_displacements_many, taylor_energy


def morse_cluster(positions):
    """Analytic many-atom Morse potential: energy and forces (an independent reference)."""
    d, a, r0 = 0.8, 1.6, 1.3
    e = 0.0
    f = np.zeros_like(positions)
    n = len(positions)
    for i in range(n):
        for j in range(i + 1, n):
            v = positions[j] - positions[i]
            r = np.linalg.norm(v)
            x = np.exp(-a * (r - r0))
            e += d * (1 - x) ** 2 - d
            dedr = 2 * d * (1 - x) * a * x
            f[i] += dedr * v / r
            f[j] -= dedr * v / r
    return e, f


def reference(seed=0):
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 3.5, (6, 3))
    e, f = morse_cluster(pos)
    return Structure(pos, ["O", "H", "H", "O", "H", "H"], energy=e, forces=f, name="morse")


@pytest.mark.parametrize("strategy", ["random", "cartesian"])
def test_label_error_is_second_order(strategy):
    ref = reference()
    errors = []
    for delta in (0.04, 0.02, 0.01, 0.005):
        cfg = TaylorConfig(strategy=strategy, delta=delta, multiple=20)
        extra = augment(ref, cfg, np.random.default_rng(3))
        errors.append(np.mean([abs(morse_cluster(s.positions)[0] - s.energy) for s in extra]))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 3.3) & (ratios < 4.7)), ratios  # halving δ quarters the error


def test_random_displacements_bounded_and_centred():
    ref = reference(1)
    masses = np.array([atomic_masses[atomic_numbers[s]] for s in ref.species])
    delta_max = np.array([0.03 if s == "O" else 0.01 for s in ref.species])
    rng = np.random.default_rng(0)
    for _ in range(500):
        d = random_displacements(ref, delta_max, np.arange(ref.natoms), rng)
        assert np.all(np.linalg.norm(d, axis=1) <= delta_max + 1e-15)
        assert np.abs((masses[:, None] * d).sum(axis=0)).max() < 1e-15
    cfg = TaylorConfig(strategy="random", delta=0.02, delta_per_species={"H": 0.005}, multiple=7)
    extra = augment(ref, cfg, rng)
    assert len(extra) == 7
    for s in extra:
        d = s.positions - ref.positions
        assert np.all(np.linalg.norm(d[[1, 2, 4, 5]], axis=1) <= 0.005 + 1e-15)


def test_many_draws_equal_single_draws_and_labels_equal_taylor_energy():
    """The vectorised path (one array for all a displacements of a reference) draws the
    random numbers in the order of a single calls, so a seed gives the same structures,
    bit for bit, as one draw at a time; labels equal ``taylor_energy`` exactly."""
    ref = reference(4)
    delta_max = np.array([0.2 if s == "O" else 0.05 for s in ref.species])  # large: the shrink branch runs too
    atoms = np.array([0, 2, 3, 5])
    many = random_displacements_many(ref, delta_max, atoms, np.random.default_rng(9), 40)
    rng = np.random.default_rng(9)
    single = np.stack([random_displacements(ref, delta_max, atoms, rng) for _ in range(40)])
    assert np.array_equal(many, single)
    assert np.all(many[:, [1, 4]] == 0.0)
    extra = augment(ref, TaylorConfig(strategy="random", delta=0.02, multiple=5), np.random.default_rng(1))
    for s in extra:
        assert abs(s.energy - taylor_energy(ref.energy, ref.forces, s.positions - ref.positions)) < 1e-12


def test_cartesian_six_per_atom_and_threshold():
    ref = reference(2)
    extra = augment(ref, TaylorConfig(strategy="cartesian", delta=0.01), np.random.default_rng(0))
    assert len(extra) == 6 * ref.natoms
    moved = [np.flatnonzero(np.abs(s.positions - ref.positions).sum(axis=1) > 0) for s in extra]
    assert all(len(m) == 1 for m in moved)
    norms = np.linalg.norm(ref.forces, axis=1)
    threshold = float(np.median(norms))
    cfg = TaylorConfig(strategy="cartesian", delta=0.01, force_threshold=threshold, axes=["z"])
    extra = augment(ref, cfg, np.random.default_rng(0))
    assert len(extra) == 2 * int((norms > threshold).sum())
    assert augment(ref, TaylorConfig(skip_below=norms.max() + 1), np.random.default_rng(0)) == []


def test_periodic_structures_wrap_and_fixed_sampling_is_reproducible():
    cell = np.diag([4.0, 4.0, 4.0])
    ref = Structure(
        np.array([[0.001, 2.0, 3.999], [2.0, 2.0, 2.0]]), ["Ti", "O"], cell=cell, pbc=(True,) * 3, energy=-1.0, forces=np.array([[1.0, 0, 0], [-1.0, 0, 0]])
    )
    cfg = TaylorConfig(strategy="random", delta=0.01, multiple=30)
    extra = augment_all([ref], cfg, seed=5)
    frac = np.concatenate([np.linalg.solve(cell.T, s.positions.T).T for s in extra])
    assert frac.min() >= 0.0 and frac.max() < 1.0
    again = augment_all([ref], cfg, seed=5)
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(extra, again))
    other_epoch = augment_all([ref], cfg, seed=5, epoch=1)
    assert not np.array_equal(extra[0].positions, other_epoch[0].positions)
