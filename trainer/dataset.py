"""Training data: read, check, split into train / test (selection) / validation (report only)."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

from .config import Config, ConfigError
from .readers import read_structures
from .structures import Structure


@dataclass
class Splits:
    train: list[Structure]
    test: list[Structure]
    validation: list[Structure]


def expand(patterns: list[str], key: str) -> list[str]:
    files: list[str] = []
    for p in patterns:
        matches = sorted(glob.glob(p)) if any(c in p for c in "*?[") else [p]
        if not matches or not all(os.path.exists(m) for m in matches):
            raise ConfigError(f"{key}: no file matches '{p}'")
        files.extend(matches)
    return files


def load(patterns: list[str], key: str, species: list[str], need_forces: bool, min_distance: float = 0.1) -> list[Structure]:
    out: list[Structure] = []
    for path in expand(patterns, key):
        for s in read_structures(path, min_distance=min_distance):
            if s.energy is None:
                raise ConfigError(f"{key}: {s.name} has no energy")
            if need_forces and s.forces is None:
                raise ConfigError(f"{key}: {s.name} has no forces (needed by this training mode)")
            unknown = sorted(set(s.species) - set(species))
            if unknown:
                raise ConfigError(f"{key}: {s.name} contains {', '.join(unknown)} which has no entry in data.reference_energies ({', '.join(species)})")
            out.append(s)
    return out


def load_splits(config: Config) -> Splits:
    species = config.species
    need_forces = config.training.mode != "energy"
    dmin = config.data.min_distance
    train = load(config.data.train, "data.train", species, need_forces, dmin)
    rng = np.random.default_rng([config.seed, 101])
    order = rng.permutation(len(train))
    train = [train[k] for k in order]
    if config.data.test:
        test = load(config.data.test, "data.test", species, False, dmin)
    else:
        ntest = max(1, int(round(config.data.test_fraction * len(train))))
        if ntest >= len(train):
            raise ConfigError(f"data.test_fraction leaves no training structures ({len(train)} in all)")
        test, train = train[:ntest], train[ntest:]
    if config.data.max_structures is not None:
        train = train[: config.data.max_structures]
    validation = load(config.data.validation, "data.validation", species, False, dmin) if config.data.validation else []
    return Splits(train, test, validation)


def cohesive_per_atom(structures: list[Structure], reference_energies: dict[str, float]) -> np.ndarray:
    return np.array([(s.energy - sum(reference_energies[x] for x in s.species)) / s.natoms for s in structures])
