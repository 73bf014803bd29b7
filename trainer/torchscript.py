"""Self-describing TorchScript models for MD hosts (the contract in ``trainer.model``).

Metadata travels in the extra file ``taylorann.json``: ``format_version``, ``species``,
``cutoff`` (Å), ``units`` ("metal": Å, eV), ``descriptor`` (per species) and
``reference_energies`` (eV).

Format 2 (written for Chebyshev models) adds the method ``energies_and_gradient(species,
edge_index, edge_vec) -> (energies[N], dE/d edge_vec [E, 3])``, computed without autograd
(``trainer.explicit``), and the metadata key ``gradient_method``; ``forward`` is the format-1
contract in both. Format 1 (Behler2011 models, and files written before) is still read.
"""

from __future__ import annotations

import io
import json
import os

import torch

from .atomic_io import atomic_write_bytes
from .chebyshev import ChebyshevDescriptor
from .explicit import ExplicitGradientModel, explicit_supported
from .model import AenetModel

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
GRADIENT_METHOD = "energies_and_gradient"
EXTRA_FILE = "taylorann.json"


def descriptor_metadata(descriptor: torch.nn.Module) -> dict:
    if isinstance(descriptor, ChebyshevDescriptor):
        return {
            "type": "chebyshev",
            "radial_cutoff": descriptor.radial_cutoff,
            "radial_order": descriptor.radial_order,
            "angular_cutoff": descriptor.angular_cutoff,
            "angular_order": descriptor.angular_order,
            "legacy_angular": descriptor.legacy_angular,
            "size": descriptor.size,
        }
    return {"type": "behler2011", "size": descriptor.size, "cutoff": descriptor.cutoff}


def metadata(model: AenetModel) -> dict:
    explicit = explicit_supported(model)
    out = {
        "format_version": 2 if explicit else 1,
        "species": list(model.species),
        "cutoff": model.cutoff,
        "units": "metal",
        "descriptor": {m.species: descriptor_metadata(m.descriptor) for m in model.species_models},
        "envtypes": {m.species: list(m.envtypes) for m in model.species_models},
        "reference_energies": {m.species: m.reference_energy for m in model.species_models},
        "networks": {m.species: {"nnodes": list(m.network.nnodes), "activations": list(m.network.codes)} for m in model.species_models},
    }
    if explicit:
        out["gradient_method"] = GRADIENT_METHOD
    return out


def script(model: AenetModel) -> torch.jit.ScriptModule:
    if explicit_supported(model):
        return torch.jit.script(ExplicitGradientModel(model.eval()).eval())
    return torch.jit.script(model.eval())


def save_torchscript(model: AenetModel, path: str | os.PathLike) -> dict:
    """Write ``path`` atomically; returns the metadata written."""
    meta = metadata(model)
    buffer = io.BytesIO()
    torch.jit.save(script(model), buffer, _extra_files={EXTRA_FILE: json.dumps(meta, indent=1)})
    atomic_write_bytes(path, buffer.getvalue())
    return meta


def load_torchscript(path: str | os.PathLike):
    """(scripted module, metadata dict); errors name the file."""
    extra = {EXTRA_FILE: ""}
    try:
        module = torch.jit.load(str(path), _extra_files=extra, map_location="cpu")
    except Exception as exc:
        raise ValueError(f"{path}: not a loadable TorchScript file ({type(exc).__name__}: {exc})") from None
    if not extra[EXTRA_FILE]:
        raise ValueError(f"{path}: TorchScript file lacks the '{EXTRA_FILE}' metadata of a taylorann model")
    meta = json.loads(extra[EXTRA_FILE])
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise ValueError(f"{path}: metadata format_version {meta.get('format_version')}, expected one of {', '.join(map(str, READABLE_VERSIONS))}")
    return module, meta
