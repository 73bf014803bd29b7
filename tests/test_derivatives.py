"""Every analytic derivative against finite differences; gradcheck / gradgradcheck of the descriptors."""

import numpy as np
import pytest
import torch

from trainer.behler import BehlerDescriptor
from trainer.chebyshev import ChebyshevDescriptor
from trainer.evaluate import predict


def test_forces_equal_central_differences_all_atoms(tio2_model, tio2_structures):
    """All 69 components of structure-001; h = 1e-4 Å, central differences (error O(h^2) ~ 1e-8)."""
    s = tio2_structures["structure-001.xsf"]
    forces = predict(tio2_model, s, forces=True).forces
    h = 1e-4
    fd = np.zeros_like(forces)
    for a in range(s.natoms):
        for k in range(3):
            plus = s.copy()
            plus.positions[a, k] += h
            minus = s.copy()
            minus.positions[a, k] -= h
            fd[a, k] = -(predict(tio2_model, plus).energy - predict(tio2_model, minus).energy) / (2 * h)
    assert np.abs(fd - forces).max() <= 1e-6


def test_virial_equals_strain_derivative(tio2_model, tio2_structures):
    """virial = -dE/d(strain) for a homogeneous deformation of cell and atoms (non-orthogonal cell 002)."""
    s = tio2_structures["structure-002.xsf"]
    virial = predict(tio2_model, s, virial=True).virial
    h = 1e-6
    fd = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            energies = []
            for sign in (1, -1):
                eps = np.eye(3)
                eps[a, b] += sign * h
                t = s.copy(positions=s.positions @ eps.T, cell=s.cell @ eps.T)
                energies.append(predict(tio2_model, t).energy)
            fd[a, b] = -(energies[0] - energies[1]) / (2 * h)
    assert np.abs(fd - virial).max() <= 1e-5 * max(1.0, np.abs(virial).max())


def _random_environment(nspecies, seed=0, n=7):
    g = torch.Generator().manual_seed(seed)
    vec = (torch.rand(n, 3, generator=g, dtype=torch.float64) - 0.5) * 5.0
    centre = torch.tensor([0] * 4 + [1] * (n - 4))
    species = torch.randint(0, nspecies, (n,), generator=g)
    return centre, species, vec


@pytest.mark.parametrize("legacy", [False, True])
def test_chebyshev_gradcheck_and_gradgradcheck(legacy):
    centre, species, vec = _random_environment(3)
    d = ChebyshevDescriptor(3.2, 6, 2.9, 3, [0, 1, 2], 3, legacy_angular=legacy)
    vec.requires_grad_(True)
    fn = lambda v: d(centre, species, v, 2)
    assert torch.autograd.gradcheck(fn, (vec,))
    assert torch.autograd.gradgradcheck(fn, (vec,))


def test_behler_gradcheck_and_gradgradcheck():
    centre, species, vec = _random_environment(2, seed=3)
    kinds = [1, 2, 3, 4, 5, 4]
    params = [[3.0, 0, 0, 0], [3.0, 1.0, 0.5, 0], [3.0, 1.3, 0, 0], [3.0, 1.0, 2.0, 0.1], [3.0, -1.0, 1.0, 0.2], [3.0, 1.0, 1.0, 0.05]]
    env = [[1, 0], [2, 0], [1, 0], [1, 2], [2, 2], [1, 1]]
    d = BehlerDescriptor(kinds, params, env, [0, 1])
    vec.requires_grad_(True)
    fn = lambda v: d(centre, species, v, 2)
    assert torch.autograd.gradcheck(fn, (vec,))
    assert torch.autograd.gradgradcheck(fn, (vec,))
