"""A fresh model from a config, and ænet's normalization from the training set."""

from __future__ import annotations

import numpy as np
import torch

from .batch import Features
from .behler import BehlerDescriptor, output_order
from .chebyshev import ChebyshevDescriptor
from .config import Config, ConfigError, SymmetryFunction, from_mapping
from .presets import PRESETS
from .model import AenetModel, SpeciesModel
from .network import ACTIVATION_CODES, AtomicNetwork
from .nnascii import FileInfo


KIND_CODES = {"G1": 1, "G2": 2, "G3": 3, "G4": 4, "G5": 5}


def behler_functions(config: Config) -> dict:
    """Per species the configured (or preset) symmetry functions as config records."""
    d = config.descriptor
    if d.preset is not None:
        raw = PRESETS[d.preset]()
        missing = [s for s in config.species if s not in raw]
        if missing:
            raise ConfigError(f"descriptor.preset: {d.preset} has no functions for {', '.join(missing)} (it covers {', '.join(raw)})")
        return {s: [from_mapping(SymmetryFunction, f, f"descriptor.preset.{s}") for f in raw[s]] for s in config.species}
    return d.functions


def behler_descriptor(functions, species: list[str]) -> BehlerDescriptor:
    """ænet Behler2011 arrays (envtypes = the model's species) in ænet's output order."""
    kinds = [KIND_CODES[f.kind] for f in functions]
    params = []
    for f in functions:
        if f.kind == "G1":
            params.append([f.cutoff, 0.0, 0.0, 0.0])
        elif f.kind == "G2":
            params.append([f.cutoff, f.rs, f.eta, 0.0])
        elif f.kind == "G3":
            params.append([f.cutoff, f.kappa, 0.0, 0.0])
        else:
            params.append([f.cutoff, f.lam, f.zeta, f.eta])
    env = [[species.index(f.neighbours[0]) + 1, species.index(f.neighbours[1]) + 1 if len(f.neighbours) > 1 else 0] for f in functions]
    order = output_order(kinds, env, len(species))
    return BehlerDescriptor([kinds[k] for k in order], [params[k] for k in order], [env[k] for k in order], list(range(len(species))))


def build_model(config: Config) -> AenetModel:
    species = config.species
    d = config.descriptor
    generator = torch.Generator().manual_seed(int(config.seed))
    functions = behler_functions(config) if d.type == "behler2011" else None
    models = []
    for s in species:
        if functions is not None:
            descriptor = behler_descriptor(functions[s], species)
        else:
            descriptor = ChebyshevDescriptor(d.radial_cutoff, d.radial_order, d.angular_cutoff, d.angular_order, list(range(len(species))), len(species))
        nnodes = [descriptor.size] + list(config.network.hidden) + [1]
        codes = [ACTIVATION_CODES[config.network.activation]] * len(config.network.hidden) + [0]
        network = AtomicNetwork(nnodes, codes)
        network.reset(generator)
        zeros = torch.zeros(descriptor.size, dtype=torch.float64)
        models.append(SpeciesModel(s, descriptor, network, species, zeros, zeros, 1.0, 0.0, config.data.reference_energies[s]))
    cutoff = max(m.descriptor.cutoff for m in models)
    return AenetModel(species, models, cutoff)


def normalize(model: AenetModel, features: Features, cohesive_per_atom: np.ndarray, world=None) -> None:
    """Feature statistics per species over the training atoms (§4.3) and the energy
    scale/shift of ænet's train.x (§5): scale = 2/(E_max − E_min), shift = (E_max + E_min)/2.
    With a ``world`` of several ranks the statistics run over the atoms of all of them."""
    e_min, e_max = float(cohesive_per_atom.min()), float(cohesive_per_atom.max())
    scale = 2.0 / (e_max - e_min) if e_max - e_min > 1e-8 else 1.0
    shift = 0.5 * (e_max + e_min)
    spread = world is not None and world.active
    natomtot = int(world.sum(float(features.natoms.sum()))) if spread else int(features.natoms.sum())
    for t, m in enumerate(model.species_models):
        g = features.descriptors[t]
        if spread:
            count = world.sum(float(g.shape[0]))
            sums = world.reduce_(torch.stack([g.sum(dim=0), (g * g).sum(dim=0)]))
            big = torch.full((g.shape[1],), torch.finfo(torch.float64).max, dtype=torch.float64)
            low = world.reduce_(g.min(dim=0).values if g.shape[0] else big, "min")
            high = world.reduce_(g.max(dim=0).values if g.shape[0] else -big, "max")
        else:
            count = g.shape[0]
        if count == 0:
            raise ValueError(f"no training atoms of species {m.species}")
        with torch.no_grad():
            if spread:
                m.feature_mean.copy_(sums[0] / count)
                m.feature_meansq.copy_(sums[1] / count)
            else:
                m.feature_mean.copy_(g.mean(dim=0))
                m.feature_meansq.copy_((g * g).mean(dim=0))
                low, high = g.min(dim=0).values, g.max(dim=0).values
        m.update_normalization()
        m.scale = scale
        m.shift = shift
        m.file_info = FileInfo(
            sfval_min=low.numpy().copy(),
            sfval_max=high.numpy().copy(),
            neval=int(count),
            natomtot=natomtot,
            nstrucs=int(len(cohesive_per_atom)),
            e_stats=(e_min, e_max, float(cohesive_per_atom.mean())),
        )
