"""Descriptor values against an independent brute-force implementation written from AENET_FORMAT.md §7/§4.5."""

import itertools
import math

import numpy as np
import pytest
import torch

from trainer.behler import BehlerDescriptor, output_order
from trainer.chebyshev import ChebyshevDescriptor, species_weights

PI = 3.14159265358979


def brute_chebyshev(vecs, species, nenv, rc_r, n_r, rc_a, n_a, legacy=False):
    """Plain loops over one centre's neighbours; T_n via cos(n acos x) (not the recursion)."""
    w = species_weights(nenv)

    def T(n, x):
        return math.cos(n * math.acos(x)) if abs(x) <= 1 else math.cosh(n * math.acosh(abs(x))) * (np.sign(x) ** n)

    def fc(r, rc):
        return 0.5 * (math.cos(PI * r / rc) + 1) if r < rc else 0.0

    R, A, Rw, Aw = np.zeros(n_r + 1), np.zeros(n_a + 1), np.zeros(n_r + 1), np.zeros(n_a + 1)
    for v, s in zip(vecs, species):
        r = np.linalg.norm(v)
        if r <= rc_r:
            for n in range(n_r + 1):
                t = fc(r, rc_r) * T(n, 2 * r / rc_r - 1)
                R[n] += t
                Rw[n] += w[s] * t
    for (v1, s1), (v2, s2) in itertools.combinations(zip(vecs, species), 2):
        r1, r2 = np.linalg.norm(v1), np.linalg.norm(v2)
        if r1 <= rc_a and r2 <= rc_a:
            c = float(np.dot(v1, v2) / (r1 * r2))
            x = (2 * c - PI) / PI if legacy else c
            for n in range(n_a + 1):
                t = fc(r1, rc_a) * fc(r2, rc_a) * T(n, x)
                A[n] += t
                Aw[n] += w[s1] * w[s2] * t
    return np.concatenate([R, A, Rw, Aw]) if nenv > 1 else np.concatenate([R, A])


@pytest.mark.parametrize("nenv,legacy", [(1, False), (2, False), (5, False), (4, True)])
def test_chebyshev_matches_brute_force(nenv, legacy):
    rng = np.random.default_rng(nenv)
    vecs = rng.uniform(-3, 3, (25, 3))
    species = rng.integers(0, nenv, 25)
    d = ChebyshevDescriptor(4.0, 8, 3.0, 4, list(range(nenv)), nenv, legacy_angular=legacy)
    got = d(torch.zeros(25, dtype=torch.int64), torch.from_numpy(species), torch.from_numpy(vecs), 1)[0].numpy()
    want = brute_chebyshev(vecs, species, nenv, 4.0, 8, 3.0, 4, legacy)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-10)


def test_descriptor_sizes_of_the_paper():
    assert ChebyshevDescriptor(6.0, 18, 4.0, 4, [0, 1], 2).size == 48  # water, 18/4
    assert ChebyshevDescriptor(6.5, 20, 3.5, 2, [0, 1, 2, 3, 4], 5).size == 48  # LMNTO, 20/2
    assert ChebyshevDescriptor(6.5, 20, 5.0, 6, [0, 1], 2).size == 56  # TiO2 test potential
    assert ChebyshevDescriptor(6.5, 10, 3.0, -1, [0], 1).size == 11  # LJ dimer: no angular part


def test_species_weights_table():
    assert species_weights(2) == [-1, 1]
    assert species_weights(3) == [-1, 0, 1]
    assert species_weights(4) == [-2, -1, 1, 2]
    assert species_weights(5) == [-2, -1, 0, 1, 2]


def brute_behler(vecs, species, funcs):
    def fc(r, rc):
        return 0.5 * (math.cos(PI * r / rc) + 1) if r < rc else 0.0

    out = []
    for kind, p, (a, b) in funcs:
        g = 0.0
        if kind <= 3:
            for v, s in zip(vecs, species):
                r = np.linalg.norm(v)
                if s != a - 1:
                    continue
                shape = {1: 1.0, 2: math.exp(-p[2] * (r - p[1]) ** 2), 3: math.cos(p[1] * r)}[kind]
                g += shape * fc(r, p[0])
        else:
            for (v1, s1), (v2, s2) in itertools.combinations(zip(vecs, species), 2):
                if sorted((s1, s2)) != sorted((a - 1, b - 1)):
                    continue
                r1, r2, r3 = np.linalg.norm(v1), np.linalg.norm(v2), np.linalg.norm(v2 - v1)
                c = np.dot(v1, v2) / (r1 * r2)
                lam, zeta, eta = p[1], p[2], p[3]
                t = 2 ** (1 - zeta) * max(0.0, 1 + lam * c) ** zeta * math.exp(-eta * (r1**2 + r2**2)) * fc(r1, p[0]) * fc(r2, p[0])
                if kind == 4:
                    t *= math.exp(-eta * r3**2) * fc(r3, p[0])
                g += t
        out.append(g)
    return np.array(out)


def test_behler_matches_brute_force_and_output_order():
    rng = np.random.default_rng(7)
    vecs = rng.uniform(-2.5, 2.5, (15, 3))
    species = rng.integers(0, 2, 15)
    # file order deliberately mixed; ænet output order groups by neighbour type (§4.5)
    kinds = [4, 2, 1, 5, 3, 2, 4]
    env = [[1, 2], [2, 0], [1, 0], [2, 2], [1, 0], [1, 0], [1, 1]]
    params = [[3.5, 1, 2, 0.1], [3.5, 1.0, 0.4, 0], [3.0, 0, 0, 0], [3.0, -1, 1, 0.05], [3.5, 1.7, 0, 0], [3.0, 2.0, 1.0, 0], [3.5, -1, 4, 0.02]]
    order = output_order(kinds, env, 2)
    # type 1: G1 (2), G2 (5), G3 (4); angular (1,1): G4 (6); (1,2): G4 (0); type 2: G2 (1); (2,2): G5 (3)
    assert order == [2, 5, 4, 6, 0, 1, 3]
    d = BehlerDescriptor([kinds[k] for k in order], [params[k] for k in order], [env[k] for k in order], [0, 1])
    got = d(torch.zeros(15, dtype=torch.int64), torch.from_numpy(species), torch.from_numpy(vecs), 1)[0].numpy()
    want = brute_behler(vecs, species, [(kinds[k], params[k], env[k]) for k in order])
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12)
