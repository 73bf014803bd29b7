"""Typed training configuration, validated before any work starts.

Every section is a dataclass; unknown or misspelt keys are named together with the
valid ones, and types and ranges are checked with the key's full dotted name.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union


class ConfigError(ValueError):
    pass


@dataclass
class DataConfig:
    train: list[str]  # files or glob patterns of reference structures (energies + forces)
    reference_energies: dict[str, float]  # free-atom energies (eV) per species; also fixes the species order
    test: list[str] = field(default_factory=list)  # explicit test files; else test_fraction of train
    test_fraction: float = 0.1
    validation: list[str] = field(default_factory=list)  # never used for model selection
    max_structures: Optional[int] = None  # use only the first N training structures (after shuffling)
    min_distance: float = 0.1  # Å: closer atoms (periodic images too) make a structure an error; 0 = off


@dataclass
class SymmetryFunction:
    """One Behler2011 function of ænet (AENET_FORMAT.md §4.5); lengths in Å."""

    kind: Literal["G1", "G2", "G3", "G4", "G5"]
    neighbours: list[str]  # one species (G1-G3) or two (G4, G5)
    cutoff: float
    eta: float = 0.0  # Å^-2 (G2, G4, G5)
    rs: float = 0.0  # Å (G2)
    kappa: float = 0.0  # Å^-1 (G3)
    lam: float = 1.0  # lambda, +1 or -1 (G4, G5)
    zeta: float = 1.0  # >= 1 (G4, G5)


@dataclass
class DescriptorConfig:
    type: Literal["chebyshev", "behler2011"] = "chebyshev"
    radial_cutoff: float = 6.5  # chebyshev keys
    radial_order: int = 20
    angular_cutoff: float = 3.5
    angular_order: int = 2
    preset: Optional[Literal["morawietz_water"]] = None  # behler2011: a published set (trainer/presets.py)
    functions: dict[str, list[SymmetryFunction]] = field(default_factory=dict)  # behler2011: per species


@dataclass
class NetworkConfig:
    hidden: list[int] = field(default_factory=lambda: [20, 20])
    activation: Literal["tanh", "sigmoid", "mtanh", "twist", "linear"] = "tanh"


@dataclass
class TaylorConfig:
    strategy: Literal["random", "cartesian"] = "random"
    delta: float = 0.02  # Å: δ (cartesian) or δ_max (random)
    delta_per_species: dict[str, float] = field(default_factory=dict)
    multiple: int = 10  # random: displaced structures per reference structure
    atoms_per_structure: Optional[int] = None  # cartesian: atoms displaced per reference (None = all eligible)
    displacements: Optional[int] = None  # cartesian: (atom, axis, ±) moves drawn per reference (paper's a)
    axes: list[Literal["x", "y", "z"]] = field(default_factory=lambda: ["x", "y", "z"])
    force_threshold: float = 0.0  # eV/Å: only atoms with |F| above are displaced
    skip_below: float = 0.0  # eV/Å: skip references whose largest |F| is below (geometry optimisations)
    sampling: Literal["fixed", "resample"] = "fixed"


@dataclass
class ForcesConfig:
    weight: float = 0.1  # loss = mean (dE/N)^2 [eV^2] + weight * mean dF^2 [(eV/Å)^2]
    fraction: float = 1.0  # random fraction of force components in the loss each epoch
    jacobian_memory_gb: float = 4.0  # cache dG/dR up to this size; beyond it recompute chunk by chunk
    jacobian_dtype: Literal["float64", "float32"] = "float64"  # storage of the cached dG/dR


@dataclass
class TrainingConfig:
    mode: Literal["energy", "taylor", "forces"] = "energy"
    optimizer: Literal["lbfgs", "adam"] = "lbfgs"
    epochs: int = 100
    learning_rate: float = 1e-3  # adam
    batch_size: int = 32  # adam: structures per mini-batch
    checkpoint_every: int = 10
    force_metrics_every: int = 10  # epochs between force metrics (they cost a force evaluation)
    threads: int = 1
    max_seconds: Optional[float] = None  # stop after this much training time (s, summed over epochs)
    selection: Literal["test_energy", "last"] = "test_energy"  # which epoch is exported


@dataclass
class Config:
    data: DataConfig
    output: str = "runs/run"
    seed: int = 1
    descriptor: DescriptorConfig = field(default_factory=DescriptorConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    taylor: TaylorConfig = field(default_factory=TaylorConfig)
    forces: ForcesConfig = field(default_factory=ForcesConfig)

    @property
    def species(self) -> list[str]:
        return list(self.data.reference_energies)


RANGES = {
    "data.test_fraction": (0.0, 0.9),
    "data.max_structures": (1, None),
    "data.min_distance": (0.0, None),
    "descriptor.radial_cutoff": (0.5, 20.0),
    "descriptor.radial_order": (0, 100),
    "descriptor.angular_cutoff": (0.5, 20.0),
    "descriptor.angular_order": (-1, 100),
    "taylor.delta": (1e-6, 0.5),
    "taylor.multiple": (1, 10000),
    "taylor.atoms_per_structure": (1, None),
    "taylor.displacements": (1, None),
    "taylor.force_threshold": (0.0, None),
    "taylor.skip_below": (0.0, None),
    "forces.weight": (0.0, None),
    "forces.fraction": (1e-6, 1.0),
    "forces.jacobian_memory_gb": (0.0, None),
    "training.epochs": (1, None),
    "training.learning_rate": (1e-12, 10.0),
    "training.batch_size": (1, None),
    "training.checkpoint_every": (1, None),
    "training.force_metrics_every": (1, None),
    "training.threads": (1, 256),
    "training.max_seconds": (0.0, None),
}


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(value: Any, tp, key: str):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union:  # Optional[X]
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{key}: expected one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin is list:
        if isinstance(value, (str, int, float)) and args[0] is str:
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_convert(v, args[0], f"{key}[{k}]") for k, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {str(k): _convert(v, args[1], f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, key)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{key}: unsupported type {_type_name(tp)}")


def from_mapping(cls, raw: Any, prefix: str):
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping of keys, got {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            where = f"{prefix}.{key}" if prefix else str(key)
            raise ConfigError(f"unknown key '{where}'{hint}; valid keys{' in ' + prefix if prefix else ''}: {', '.join(fields)}")
    values = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name in raw:
            values[name] = _convert(raw[name], hints[name], key)
            lo_hi = RANGES.get(key)
            if lo_hi and values[name] is not None:
                lo, hi = lo_hi
                v = values[name]
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    raise ConfigError(f"{key}: {v} is outside the allowed range [{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required key '{key}'")
    return cls(**values)


def _check_behler(d: DescriptorConfig, species: list[str]) -> None:
    if (d.preset is None) == (not d.functions):
        raise ConfigError("descriptor: type behler2011 needs exactly one of 'preset' or 'functions'")
    if d.preset is not None:
        return
    missing = [s for s in species if s not in d.functions]
    extra = [s for s in d.functions if s not in species]
    if missing or extra:
        raise ConfigError(
            f"descriptor.functions: one list per species of data.reference_energies "
            f"({', '.join(species)}); missing: {', '.join(missing) or '-'}, unknown: {', '.join(extra) or '-'}"
        )
    for sp, funcs in d.functions.items():
        if not funcs:
            raise ConfigError(f"descriptor.functions.{sp}: needs at least one function")
        for k, f in enumerate(funcs):
            key = f"descriptor.functions.{sp}[{k}]"
            want = 1 if f.kind in ("G1", "G2", "G3") else 2
            if len(f.neighbours) != want or any(n not in species for n in f.neighbours):
                raise ConfigError(f"{key}.neighbours: {f.kind} takes {want} species of {', '.join(species)}, got {f.neighbours}")
            if not (f.cutoff > 0.0 and f.eta >= 0.0 and f.zeta >= 1.0 and f.lam in (-1.0, 1.0)):
                raise ConfigError(
                    f"{key}: expected cutoff > 0, eta >= 0, zeta >= 1 and lam = +1 or -1; got cutoff {f.cutoff}, eta {f.eta}, zeta {f.zeta}, lam {f.lam}"
                )


MAX_NODES = 10000  # per hidden layer: larger is a typo, not a network (a 1e11 layer would try to allocate TBs)


def _check(config: Config) -> None:
    if not config.data.reference_energies:
        raise ConfigError("data.reference_energies: give the free-atom energy of every species")
    d = config.descriptor
    if d.type == "behler2011":
        _check_behler(d, config.species)
    elif d.preset is not None or d.functions:
        raise ConfigError("descriptor: 'preset' and 'functions' belong to type behler2011")
    if d.type == "chebyshev" and d.angular_order >= 0 and d.angular_cutoff > d.radial_cutoff:
        raise ConfigError(
            "descriptor.angular_cutoff must not exceed descriptor.radial_cutoff (ænet uses a stale species weight otherwise, AENET_FORMAT.md §7.5)"
        )
    if not config.network.hidden or min(config.network.hidden) < 1 or max(config.network.hidden) > MAX_NODES:
        raise ConfigError(f"network.hidden: expected a non-empty list of layer sizes 1..{MAX_NODES}, got {config.network.hidden}")
    for sp in config.taylor.delta_per_species:
        if sp not in config.data.reference_energies:
            raise ConfigError(f"taylor.delta_per_species: unknown species '{sp}' (species: {', '.join(config.species)})")
    if not config.data.test and config.data.test_fraction <= 0:
        raise ConfigError("data: give test files or a test_fraction > 0 (the test set selects the best epoch)")


def config_from_dict(raw: dict) -> Config:
    config = from_mapping(Config, raw, "")
    _check(config)
    return config


def _yaml_problem(exc) -> str:
    """PyYAML's multi-line report as one line: where it noticed the problem, and what."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    what = " ".join(str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part)
    return f"{where}expected valid YAML, found an error ({what or type(exc).__name__})"


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate a YAML config; relative data paths are taken relative to the file."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {_yaml_problem(exc)}") from None
    try:
        config = config_from_dict(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    base = path.resolve().parent
    resolve = lambda items: [str(base / p) if not os.path.isabs(p) else p for p in items]
    config.data.train = resolve(config.data.train)
    config.data.test = resolve(config.data.test)
    config.data.validation = resolve(config.data.validation)
    if not os.path.isabs(config.output):
        config.output = str(base / config.output)
    return config


def config_to_dict(config: Config) -> dict:
    return dataclasses.asdict(config)


# keys that may change when a run is resumed: they steer the schedule, not the result so far
RESUMABLE_CHANGES = {
    ("output",),
    ("training", "epochs"),
    ("training", "max_seconds"),
    ("training", "selection"),
    ("training", "checkpoint_every"),
    ("training", "force_metrics_every"),
    ("training", "threads"),
    ("forces", "jacobian_memory_gb"),
}


_MISSING = object()


def _default_of(path: tuple):
    """The declared default of the config key at ``path`` (a tuple of names), or _MISSING."""
    cls = Config
    for depth, name in enumerate(path):
        if not (dataclasses.is_dataclass(cls) and name in {f.name for f in dataclasses.fields(cls)}):
            return _MISSING
        f = next(f for f in dataclasses.fields(cls) if f.name == name)
        if depth == len(path) - 1:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
                return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
            return _MISSING
        cls = typing.get_type_hints(cls)[name]
    return _MISSING


def resume_conflicts(saved: dict, current: dict, prefix: tuple = ()) -> list[str]:
    """Dotted keys whose values differ between a checkpoint's config and the current one.

    A key the checkpoint does not have (written by a version before the key existed) is no
    conflict while the current value is that key's default: the older run behaved that way."""
    out = []
    for key in sorted(set(saved) | set(current)):
        path = prefix + (key,)
        a, b = saved.get(key, _MISSING), current.get(key)
        if a is _MISSING and b == _default_of(path):
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += resume_conflicts(a, b, path)
        elif a != b and path not in RESUMABLE_CHANGES:
            out.append(".".join(path))
    return out
