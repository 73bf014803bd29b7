"""Descriptors and their derivatives from the C++ core (the path training uses, #11) against
the differentiable torch descriptors, finite differences, both compiled instruction-set
copies and several threads; direct force training from cached Jacobians against autograd;
a training run on native features against one on torch features."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import POTENTIAL, ROOT, TIO2, write_random_potential


def _torch_descriptors(model, structure):
    """Raw descriptors per atom (rows zero-padded to the longest) from the torch model."""
    from trainer.contract import collate, to_graph

    b = collate([to_graph(structure, model.species, model.cutoff)])
    ld = max(m.descriptor.size for m in model.species_models)
    out = torch.zeros(structure.natoms, ld, dtype=torch.float64)
    vec = b.edge_vectors()
    for t in range(len(model.species)):
        rows = model.descriptors(b.species, b.edge_index, vec, t)
        out[b.species == t, : rows.shape[1]] = rows
    return out.numpy()


def _worst_against_autograd(model, structure, D, ld: int, row_step: int, feature_step: int) -> float:
    """Largest difference between the dense Jacobian D (n·ld, n·3) and autograd through the
    torch descriptor, every row_step-th atom of a species and feature_step-th feature."""
    from trainer.contract import collate, to_graph

    b = collate([to_graph(structure, model.species, model.cutoff)])
    pos = b.positions.clone().requires_grad_(True)
    vec = b.edge_vectors(pos)
    worst = 0.0
    for t in range(len(model.species)):
        atoms = np.flatnonzero(b.species.numpy() == t)
        rows = model.descriptors(b.species, b.edge_index, vec, t)
        for r in range(0, rows.shape[0], row_step):
            for feat in range(0, rows.shape[1], feature_step):
                (g,) = torch.autograd.grad(rows[r, feat], pos, retain_graph=True)
                worst = max(worst, np.abs(g.numpy().reshape(-1) - D[atoms[r] * ld + feat]).max())
    return worst


def _handle(model):
    from trainer.featurize import model_handles

    return model_handles(model)._handles[0]


@pytest.fixture(scope="module")
def structures():
    from trainer.readers import read_structures

    return [read_structures(TIO2 / f"structure-{k:03d}.xsf")[0] for k in (1, 2, 7, 40)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from trainer.convert import model_from_potentials
    from trainer.nnascii import read_potential

    d = tmp_path_factory.mktemp("rand")
    radial_only, _ = write_random_potential(d, {"radial_cutoff": 5.0, "radial_order": 8, "angular_cutoff": 3.0, "angular_order": -1}, {"hidden": [4]})
    return {
        "aenet_tio2": model_from_potentials([read_potential(p) for p in POTENTIAL]),
        "aenet_tio2_legacy": model_from_potentials([read_potential(p) for p in POTENTIAL], legacy_angular=True),
        "radial_only": radial_only,
    }


@pytest.mark.parametrize("name", ["aenet_tio2", "aenet_tio2_legacy", "radial_only"])
def test_native_descriptors_equal_torch(models, structures, name):
    model = models[name]
    from trainer.native import NativeHandle
    from trainer.convert import potentials_from_model

    pots = potentials_from_model(model)
    h = NativeHandle.from_texts([p.species for p in pots], [p.text() for p in pots], legacy_angular=name.endswith("legacy"))
    for s in structures:
        ref = _torch_descriptors(model, s)
        got = h.features(s).G
        assert np.abs(got - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("pbc", [(True, True, True), (True, False, True)])
def test_native_neighbour_search_in_skewed_small_cells_equals_torch(models, structures, pbc):
    """The C core's own search (every image of every atom inside the cut-off, one pass per
    pair) in sheared cells shorter than the cut-off, atoms outside the cell, against the torch
    descriptors on vesin's pair list."""
    from trainer.convert import potentials_from_model
    from trainer.native import NativeHandle
    from trainer.structures import Structure

    model = models["aenet_tio2"]
    pots = potentials_from_model(model)
    h = NativeHandle.from_texts([p.species for p in pots], [p.text() for p in pots])
    base = structures[0]
    shear = np.array([[1.0, 0.0, 0.0], [0.7, 1.0, 0.0], [-0.4, 0.55, 0.8]])
    cell = shear @ base.cell
    rng = np.random.default_rng(11)
    frac = np.linalg.solve(base.cell.T, base.positions.T).T + rng.integers(-2, 3, size=base.positions.shape)
    s = Structure(positions=frac @ cell, species=base.species, cell=cell, pbc=pbc)
    ref = _torch_descriptors(model, s)
    assert np.abs(h.features(s).G - ref).max() <= 1e-12 * np.abs(ref).max()


def test_derivative_blocks_and_dense_jacobian_equal_autograd(models, structures):

    model = models["aenet_tio2"]
    h = _handle(model)
    s = structures[0]
    n, ld = s.natoms, h.row_length()
    f = h.features(s, derivatives=True)
    J = np.zeros((n, ld, n, 3))
    np.add.at(J, (f.block_centre, slice(None), f.block_atom), f.values)
    # each (centre, atom) pair appears once and the centre's own block comes first
    pairs = set(zip(f.block_centre.tolist(), f.block_atom.tolist()))
    assert len(pairs) == len(f.block_centre)
    first = {c: k for k, c in reversed(list(enumerate(f.block_centre.tolist())))}
    assert all(f.block_atom[k] == c for c, k in first.items())
    G, D = np.zeros((n, ld)), np.zeros((n * ld, n * 3))
    h.features_dense(s, G, D)
    assert np.abs(D.reshape(n, ld, n, 3) - J).max() <= 1e-13 * np.abs(J).max()
    np.testing.assert_array_equal(G, f.G)
    assert _worst_against_autograd(model, s, D, ld, row_step=3, feature_step=5) <= 1e-10


def test_behler_jacobian_finite_differences(tmp_path, structures):
    """Behler2011 set-ups use the generic per-function derivative path."""
    from test_core_behler import SPECIES, write_behler
    from trainer.native import NativeHandle

    files = [write_behler(tmp_path / f"{s}.nn.ascii", s, seed) for s, seed in zip(SPECIES, (11, 12))]
    h = NativeHandle.from_files([str(p) for p in files])
    s = structures[0]
    n, ld = s.natoms, h.row_length()
    G, J = np.zeros((n, ld)), np.zeros((n * ld, n * 3))
    h.features_dense(s, G, J)
    assert np.abs(J).max() > 1e-3
    step = 1e-5
    for atom in (0, 7, 19):
        for d in range(3):
            plus, minus = s.copy(), s.copy()
            plus.positions = s.positions.copy()
            minus.positions = s.positions.copy()
            plus.positions[atom, d] += step
            minus.positions[atom, d] -= step
            fd = (h.features(plus).G - h.features(minus).G) / (2 * step)
            np.testing.assert_allclose(J[:, atom * 3 + d].reshape(n, ld), fd, rtol=0, atol=1e-7)


@pytest.mark.parametrize("angular_cutoff,angular_order", [(3.0, 6), (5.5, 6), (5.5, 7), (5.5, 8)])
def test_angular_pairs_and_moments_equal_torch(tmp_path, structures, angular_cutoff, angular_order):
    """Both angular algorithms of the core against the torch descriptor: pair sums (fewer
    than 16 neighbours inside angular_Rc, or more than 8 terms) and direction moments
    (chebyshev_moments.hpp: 3.0 Å gives 3-13 neighbours, 5.5 Å 30-60); descriptors, the
    Jacobian against autograd, and forces = -dE/dx against central differences."""
    from vesin import NeighborList

    s = structures[1]
    (centre,) = NeighborList(cutoff=angular_cutoff, full_list=True).compute(points=s.positions, box=s.cell, periodic=True, quantities="i")
    counts = np.bincount(centre, minlength=s.natoms)
    assert (counts < 16).all() if angular_cutoff < 4 else (counts >= 16).all()
    descriptor = {"radial_cutoff": 6.0, "radial_order": 8, "angular_cutoff": angular_cutoff, "angular_order": angular_order}
    model, paths = write_random_potential(tmp_path, descriptor, {"hidden": [5]})
    h = _handle(model)
    n, ld = s.natoms, h.row_length()
    ref = _torch_descriptors(model, s)
    G, D = np.zeros((n, ld)), np.zeros((n * ld, n * 3))
    h.features_dense(s, G, D)
    assert np.abs(G - ref).max() <= 1e-12 * np.abs(ref).max()
    np.testing.assert_array_equal(h.features(s).G, G)  # with and without derivatives
    assert _worst_against_autograd(model, s, D, ld, row_step=5, feature_step=1) <= 1e-10
    from trainer.native import NativeHandle

    native = NativeHandle.from_files([str(p) for p in paths])
    _, _, f, _ = native.compute(s)
    h2, k = 1e-5, 0
    for atom, d in [(0, 0), (3, 2), (n - 1, 1)]:
        e = []
        for sign in (1, -1):
            moved = s.positions.copy()
            moved[atom, d] += sign * h2
            from trainer.structures import Structure

            e.append(native.compute(Structure(positions=moved, species=s.species, cell=s.cell, pbc=s.pbc))[0])
        assert abs(-(e[0] - e[1]) / (2 * h2) - f[atom, d]) <= 1e-7 * max(1.0, abs(f[atom, d]))
        k += 1


def test_features_many_equals_one_call_per_structure(models, structures):
    """One call for a mixed list (periodic cells, an isolated cluster, a slab) = one call
    each; an error names the structure."""
    from trainer.native import NativeError
    from trainer.structures import Structure

    h = _handle(models["aenet_tio2"])
    s = structures[0]
    cluster = Structure(positions=s.positions[:5].copy(), species=s.species[:5])
    slab = Structure(positions=s.positions.copy(), species=s.species, cell=s.cell, pbc=(True, True, False))
    mixed = [structures[2], cluster, structures[0], slab, structures[3]]
    G = h.features_many(mixed)
    np.testing.assert_array_equal(G, np.concatenate([h.features(x).G for x in mixed]))
    broken = Structure(positions=np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 2e6]]), species=["Ti", "O"])
    with pytest.raises(NativeError, match=r"structure 2: .*atom 1: coordinate z"):
        h.features_many([cluster, structures[1], broken])


def test_threads_give_identical_features(models, structures):
    from trainer.featurize import model_handles

    model = models["aenet_tio2"]
    one = model_handles(model, 1).map(lambda h, s: h.features(s, True), structures)
    two = model_handles(model, 2).map(lambda h, s: h.features(s, True), structures)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.G, b.G)
        np.testing.assert_array_equal(a.values, b.values)


def test_generic_and_avx2_copies_agree(structures):
    """Both compiled copies of the evaluator (plain x86-64 and x86-64-v3), forced in turn."""
    code = (
        "import json, sys; from trainer.native import NativeHandle; from trainer.readers import read_structures; "
        f"h = NativeHandle.from_files({[str(p) for p in POTENTIAL]!r}); "
        f"s = read_structures({str(TIO2 / 'structure-002.xsf')!r})[0]; e, ea, f, w = h.compute(s); "
        "print(json.dumps({'backend': h.backend, 'G': h.features(s).G.tolist(), 'f': f.tolist(), 'e': e}))"
    )
    runs = {}
    for isa in ("generic", ""):
        env = dict(os.environ, TAYLORANN_ISA=isa, PYTHONPATH=str(ROOT))
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[isa or "default"] = json.loads(proc.stdout)
    assert runs["generic"]["backend"] == "generic"
    if runs["default"]["backend"] == "generic":
        pytest.skip("this CPU has no AVX2/FMA: only the generic copy can run")
    assert runs["default"]["backend"] == "x86_64_v3"
    g0, g1 = np.array(runs["generic"]["G"]), np.array(runs["default"]["G"])
    assert np.abs(g0 - g1).max() <= 1e-12 * np.abs(g0).max()
    np.testing.assert_allclose(runs["generic"]["f"], runs["default"]["f"], rtol=0, atol=1e-10)
    assert abs(runs["generic"]["e"] - runs["default"]["e"]) <= 1e-9


def test_cached_jacobian_forces_and_loss_gradient_equal_autograd(tmp_path, structures):
    """Direct force training from cached Jacobians = autograd through the torch descriptor."""
    from trainer.batch import batch_energies_and_forces
    from trainer.contract import collate, to_graph
    from trainer.featurize import energies_and_forces, force_data, model_handles

    model, _ = write_random_potential(tmp_path, {"radial_cutoff": 6.0, "radial_order": 10, "angular_cutoff": 4.0, "angular_order": 4}, {"hidden": [6, 5]})
    data = force_data(model, structures, model_handles(model))
    energies, forces = energies_and_forces(model, data, create_graph=True)
    loss_new = sum((f**2).sum() for f in forces) + (energies**2).sum() * 1e-6
    grads_new = torch.autograd.grad(loss_new, list(model.parameters()))
    ordered = [structures[k] for k in data.order]
    ref_e, ref_f = batch_energies_and_forces(model, collate([to_graph(s, model.species, model.cutoff) for s in ordered]), create_graph=True)
    np.testing.assert_allclose(energies.detach().numpy(), ref_e.detach().numpy(), rtol=1e-13, atol=0)
    flat = torch.cat([f.reshape(-1) for f in forces])
    assert float((flat - ref_f.reshape(-1)).abs().max()) <= 1e-11
    loss_ref = (ref_f**2).sum() + (ref_e**2).sum() * 1e-6
    grads_ref = torch.autograd.grad(loss_ref, list(model.parameters()))
    for a, b in zip(grads_new, grads_ref):
        assert float((a - b).abs().max()) <= 1e-9 * max(1.0, float(b.abs().max()))


def test_training_on_native_features_equals_torch_features(tmp_path, monkeypatch):
    """10 L-BFGS epochs (energy mode) reach the same weights with either feature path."""
    import trainer.loop as loop
    from trainer.batch import compute_features
    from trainer.contract import to_graph
    from trainer.config import config_from_dict

    def raw(out):
        return {
            "output": str(out),
            "seed": 3,
            "data": {"train": [str(TIO2 / "structure-0[0-4]*.xsf")], "test_fraction": 0.2, "reference_energies": {"Ti": -1604.604515075, "O": -432.503149303}},
            "descriptor": {"radial_cutoff": 6.0, "radial_order": 8, "angular_cutoff": 3.5, "angular_order": 3},
            "network": {"hidden": [5, 5]},
            "training": {"mode": "energy", "epochs": 10, "checkpoint_every": 10, "force_metrics_every": 10},
        }

    native = loop.Run(config_from_dict(raw(tmp_path / "native")), progress=False)
    native.run()

    def torch_featurize(model, structures, pool, chunk=512):
        return compute_features(model, [to_graph(s, model.species, model.cutoff) for s in structures])

    monkeypatch.setattr(loop, "featurize", torch_featurize)
    reference = loop.Run(config_from_dict(raw(tmp_path / "torch")), progress=False)
    reference.run()
    for (k, a), b in zip(native.model.state_dict().items(), reference.model.state_dict().values()):
        assert float((a - b).abs().max()) <= 1e-8 * max(1.0, float(b.abs().max())), k


def test_energy_loss_chunks_are_views_and_equal_one_pass(models, structures):
    """The energy loss over chunks of structure-ordered rows (views, the training path) gives
    the loss and gradient of one pass and of copied chunks; the folded normalization of the
    first layer equals normalizing the inputs."""
    from trainer.batch import concat_features, feature_energies
    from trainer.featurize import featurize, model_handles
    from trainer.objective import energy_loss_backward

    model = copy.deepcopy(models["aenet_tio2"])
    structures = [copy.deepcopy(s) for s in structures]
    for s in structures:
        s.energy = -1.0 * s.natoms
    pool = model_handles(model)
    feats = concat_features([featurize(model, structures, pool), featurize(model, structures[::-1], pool)])
    assert feats.rows_in_structure_order
    part = feats.structures(2, 6)
    for t, g in enumerate(part.descriptors):
        assert g.data_ptr() == feats.descriptors[t][int((feats.structure_of_row[t] < 2).sum())].data_ptr()  # a view
    ref = feature_energies(model, feats.subset(torch.arange(2, 6)))
    torch.testing.assert_close(feature_energies(model, part), ref, rtol=0, atol=1e-12)

    def loss_and_grad(**kw):
        model.zero_grad()
        value = energy_loss_backward(model, feats, **kw)
        return value, torch.cat([p.grad.flatten() for p in model.parameters()])

    one, g_one = loss_and_grad()
    chunked, g_chunked = loss_and_grad(chunk=3)
    shuffled = feats.subset(torch.tensor([5, 0, 3, 7, 1, 6, 2, 4]))
    assert not shuffled.rows_in_structure_order
    model.zero_grad()
    copied = energy_loss_backward(model, shuffled, chunk=3)
    g_copied = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert abs(chunked - one) <= 1e-12 * one and abs(copied - one) <= 1e-12 * one
    torch.testing.assert_close(g_chunked, g_one, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(g_copied, g_one, rtol=1e-10, atol=1e-14)

    m = model.species_models[0]
    x = feats.descriptors[0]
    folded = m.network.forward_normalized(x, m.feature_mean, m.feature_scale)
    torch.testing.assert_close(folded, m.network((x - m.feature_mean) * m.feature_scale), rtol=1e-12, atol=1e-12)
