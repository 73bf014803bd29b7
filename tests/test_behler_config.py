"""Behler2011 set-ups from the YAML config (#12): the Morawietz water preset (27 H / 30 O
functions, n2p2's published parameters converted from bohr) against a brute-force
evaluation of the published formulas on a water hexamer; .nn.ascii round trip; the C++
core and LAMMPS against the torch evaluator; config errors."""

from __future__ import annotations

import itertools
import math

import ase
import ase.io
import numpy as np
import pytest
import torch

from conftest import ROOT
from conftest_lammps import lammps_header, run_lammps, thermo_table

HEXAMER = ROOT / "examples" / "water_clusters" / "data" / "hexamer_relaxed.extxyz"
REFS = {"O": -432.0, "H": -13.0}


def water_config(**descriptor):
    from trainer.config import config_from_dict

    return config_from_dict(
        {
            "data": {"train": ["unused"], "reference_energies": REFS},
            "descriptor": {"type": "behler2011", **descriptor},
            "network": {"hidden": [10, 10]},
            "seed": 5,
        }
    )


def fc(r, rc):
    return 0.5 * (math.cos(math.pi * r / rc) + 1.0) if r < rc else 0.0


def brute_force(positions, symbols, centre, kinds, params, env, envtypes):
    """ænet's Behler2011 formulas (AENET_FORMAT.md 4.5) by explicit loops, one function at a time."""
    out = []
    others = [j for j in range(len(symbols)) if j != centre]
    for kind, p, e in zip(kinds, params, env):
        total = 0.0
        if kind <= 3:
            for j in others:
                if symbols[j] != envtypes[e[0] - 1]:
                    continue
                r = np.linalg.norm(positions[j] - positions[centre])
                shape = 1.0 if kind == 1 else (math.exp(-p[2] * (r - p[1]) ** 2) if kind == 2 else math.cos(p[1] * r))
                total += shape * fc(r, p[0])
        else:
            want = sorted((envtypes[e[0] - 1], envtypes[e[1] - 1]))
            for j, k in itertools.combinations(others, 2):
                if sorted((symbols[j], symbols[k])) != want:
                    continue
                a, b = positions[j] - positions[centre], positions[k] - positions[centre]
                rij, rik, rjk = np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(b - a)
                cos = a @ b / (rij * rik)
                lam, zeta, eta = p[1], p[2], p[3]
                g = 2.0 ** (1 - zeta) * max(0.0, 1 + lam * cos) ** zeta * fc(rij, p[0]) * fc(rik, p[0])
                if kind == 4:
                    g *= math.exp(-eta * (rij**2 + rik**2 + rjk**2)) * fc(rjk, p[0])
                else:
                    g *= math.exp(-eta * (rij**2 + rik**2))
                total += g
        out.append(total)
    return np.array(out)


def test_morawietz_preset_counts_units_and_features_match_brute_force():
    from trainer.build import build_model
    from trainer.featurize import model_handles
    from trainer.structures import Structure

    model = build_model(water_config(preset="morawietz_water"))
    sizes = {m.species: m.descriptor.size for m in model.species_models}
    assert sizes == {"O": 30, "H": 27}
    d_h = model.species_models[1].descriptor
    assert abs(d_h.cutoff - 12.0 * 0.529177210903) < 1e-12  # 12 bohr
    atoms = ase.io.read(HEXAMER)
    structure = Structure.from_ase(atoms)
    G = model_handles(model)._handles[0].features(structure).G
    symbols = atoms.get_chemical_symbols()
    for i in range(len(atoms)):
        d = model.species_models[model.species.index(symbols[i])].descriptor
        ref = brute_force(atoms.positions, symbols, i, d.kinds, d.params, d.env, model.species)
        assert np.abs(G[i, : d.size] - ref).max() <= 1e-10 * np.abs(ref).max()


def test_behler_nnascii_round_trip_core_and_lammps(tmp_path):
    from trainer.build import build_model
    from trainer.convert import model_from_potentials, potentials_from_model
    from trainer.evaluate import NativeEvaluator, predict
    from trainer.nnascii import read_potential, write_potential
    from trainer.structures import Structure

    model = build_model(water_config(preset="morawietz_water"))
    with torch.no_grad():  # plausible normalisation so that the network sees O(1) inputs
        atoms = ase.io.read(HEXAMER)
        from trainer.featurize import featurize, model_handles

        feats = featurize(model, [Structure.from_ase(atoms)], model_handles(model))
        for t, m in enumerate(model.species_models):
            m.feature_mean.copy_(feats.descriptors[t].mean(0))
            m.feature_meansq.copy_((feats.descriptors[t] ** 2).mean(0) + 0.01)
            m.update_normalization()
    paths = []
    for pot in potentials_from_model(model):
        paths.append(tmp_path / f"{pot.species}.nn.ascii")
        write_potential(paths[-1], pot)
    again = [read_potential(p) for p in paths]
    assert again[0].setup.sftype.lower() == "behler2011" and again[0].setup.nsf == 30
    reloaded = model_from_potentials(again)
    structure = Structure.from_ase(atoms)
    ref = predict(model, structure, forces=True)
    back = predict(reloaded, structure, forces=True)
    assert abs(back.energy - ref.energy) <= 1e-12 * abs(ref.energy)
    np.testing.assert_allclose(back.forces, ref.forces, rtol=0, atol=1e-12)
    native = predict(NativeEvaluator([str(p) for p in paths]), structure, forces=True)
    assert abs(native.energy - ref.energy) <= 1e-8
    assert np.abs(ref.forces).max() > 1e-3
    np.testing.assert_allclose(native.forces, ref.forces, rtol=0, atol=1e-8)
    # LAMMPS: the cluster in a large box (no image within the 6.35 Å cut-off)
    box = atoms.copy()
    box.set_cell([30.0, 30.0, 30.0])
    box.center()
    box.pbc = True
    from conftest_lammps import write_data

    (tmp_path / "lmp").mkdir()
    write_data(box, tmp_path / "lmp" / "data.lmp", species=["O", "H"])
    script = lammps_header("data.lmp", f"{paths[0]} {paths[1]} O H") + ("thermo_style custom step pe\nthermo_modify format float %.17g\nrun 0\n")
    _, out = run_lammps(script, tmp_path / "lmp")
    assert abs(thermo_table(out)[-1]["PotEng"] - ref.energy) <= 1e-8


@pytest.mark.parametrize(
    "descriptor, fragment",
    [
        ({}, "exactly one of 'preset' or 'functions'"),
        ({"preset": "morawietz_water", "functions": {"O": [], "H": []}}, "exactly one of"),
        ({"functions": {"O": [{"kind": "G2", "neighbours": ["O"], "cutoff": 6.0, "eta": 0.1}]}}, "missing: H"),
        (
            {"functions": {"O": [{"kind": "G4", "neighbours": ["O"], "cutoff": 6.0}], "H": [{"kind": "G2", "neighbours": ["H"], "cutoff": 6.0}]}},
            "G4 takes 2 species",
        ),
        (
            {
                "functions": {
                    "O": [{"kind": "G4", "neighbours": ["O", "H"], "cutoff": 6.0, "lam": 0.5}],
                    "H": [{"kind": "G2", "neighbours": ["H"], "cutoff": 6.0}],
                }
            },
            "lam = +1 or -1",
        ),
        ({"functions": {"O": [{"kind": "G7", "neighbours": ["O"], "cutoff": 6.0}], "H": []}}, "descriptor.functions.O[0].kind"),
        ({"preset": "morawietz"}, "descriptor.preset"),
    ],
)
def test_behler_config_errors_name_the_key(descriptor, fragment):
    from trainer.config import ConfigError

    with pytest.raises(ConfigError, match=None) as info:
        water_config(**descriptor)
    assert fragment in str(info.value)


def test_chebyshev_keys_reject_behler_entries():
    from trainer.config import ConfigError, config_from_dict

    with pytest.raises(ConfigError, match="belong to type behler2011"):
        config_from_dict({"data": {"train": ["x"], "reference_energies": REFS}, "descriptor": {"preset": "morawietz_water"}})


def test_training_with_the_preset_in_every_mode(tmp_path):
    """Energy, Taylor and direct-force training run on Behler features (C++ Jacobians through
    the per-function derivative path); the exported potential reads back with the preset's sizes."""
    import gzip

    from trainer.config import config_from_dict
    from trainer.loop import Run
    from trainer.nnascii import read_potential

    with gzip.open(ROOT / "examples" / "water_clusters" / "data" / "pool.extxyz.gz", "rt") as fh:
        frames = ase.io.read(fh, ":24", format="extxyz")
    data = tmp_path / "water.extxyz"
    ase.io.write(data, frames)
    for mode in ("energy", "taylor", "forces"):
        summary = Run(
            config_from_dict(
                {
                    "output": str(tmp_path / mode),
                    "seed": 2,
                    "data": {"train": [str(data)], "test_fraction": 0.25, "reference_energies": REFS},
                    "descriptor": {"type": "behler2011", "preset": "morawietz_water"},
                    "network": {"hidden": [4, 4]},
                    "training": {"mode": mode, "epochs": 3, "checkpoint_every": 3, "force_metrics_every": 3},
                    "taylor": {"strategy": "random", "delta": 0.008, "multiple": 2},
                }
            ),
            progress=False,
        ).run()
        assert summary["epochs"] == 3 and np.isfinite(summary["test"]["force_mae"])
    assert read_potential(tmp_path / "forces" / "potential" / "H.nn.ascii").setup.nsf == 27
