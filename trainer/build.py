"""A fresh model from a config, and ænet's normalization from the training set."""

from __future__ import annotations

import numpy as np
import torch

from .batch import Features
from .chebyshev import ChebyshevDescriptor
from .config import Config
from .model import AenetModel, SpeciesModel
from .network import ACTIVATION_CODES, AtomicNetwork


def build_model(config: Config) -> AenetModel:
    species = config.species
    d = config.descriptor
    generator = torch.Generator().manual_seed(int(config.seed))
    models = []
    for s in species:
        descriptor = ChebyshevDescriptor(d.radial_cutoff, d.radial_order, d.angular_cutoff, d.angular_order,
                                         list(range(len(species))), len(species))
        nnodes = [descriptor.size] + list(config.network.hidden) + [1]
        codes = [ACTIVATION_CODES[config.network.activation]] * len(config.network.hidden) + [0]
        network = AtomicNetwork(nnodes, codes)
        network.reset(generator)
        zeros = torch.zeros(descriptor.size, dtype=torch.float64)
        models.append(SpeciesModel(s, descriptor, network, species, zeros, zeros, 1.0, 0.0,
                                   config.data.reference_energies[s]))
    cutoff = max(m.descriptor.cutoff for m in models)
    return AenetModel(species, models, cutoff)


def normalize(model: AenetModel, features: Features, cohesive_per_atom: np.ndarray) -> None:
    """Feature statistics per species over the training atoms (§4.3) and the energy
    scale/shift of ænet's train.x (§5): scale = 2/(E_max − E_min), shift = (E_max + E_min)/2."""
    e_min, e_max = float(cohesive_per_atom.min()), float(cohesive_per_atom.max())
    scale = 2.0 / (e_max - e_min) if e_max - e_min > 1e-8 else 1.0
    shift = 0.5 * (e_max + e_min)
    for t, m in enumerate(model.species_models):
        g = features.descriptors[t]
        if g.shape[0] == 0:
            raise ValueError(f"no training atoms of species {m.species}")
        with torch.no_grad():
            m.feature_mean.copy_(g.mean(dim=0))
            m.feature_meansq.copy_((g * g).mean(dim=0))
        m.update_normalization()
        m.scale = scale
        m.shift = shift
        m.file_info = {
            "sfval_min": g.min(dim=0).values.numpy().copy(),
            "sfval_max": g.max(dim=0).values.numpy().copy(),
            "neval": int(g.shape[0]),
            "natomtot": int(features.natoms.sum()),
            "nstrucs": int(features.nstructures),
            "e_stats": [e_min, e_max, float(cohesive_per_atom.mean())],
        }
