"""Load a potential from the files a user names: ``.nn.ascii`` (one per species) or a ``.pt``."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def load_potential(paths: Sequence[str], legacy_angular: bool = False):
    """An evaluator module following the MD contract, with ``species``, ``cutoff`` and
    per-species ``reference_energies`` available as attributes of the returned wrapper."""
    paths = [str(p) for p in paths]
    if len(paths) == 1 and Path(paths[0]).suffix == ".pt":
        from trainer.torchscript import load_torchscript

        module, meta = load_torchscript(paths[0])
        return ScriptedPotential(module, meta)
    from trainer.convert import model_from_potentials
    from trainer.nnascii import read_potential

    return model_from_potentials([read_potential(p) for p in paths], legacy_angular=legacy_angular)


def load_evaluator(paths: Sequence[str], legacy_angular: bool = False):
    """The C++ core's evaluator (what LAMMPS and Tinker run) for the same files."""
    from trainer.evaluate import NativeEvaluator

    return NativeEvaluator([str(p) for p in paths], legacy_angular=legacy_angular)


class ScriptedPotential:
    """A loaded TorchScript model that looks like an ``AenetModel`` to the evaluator."""

    def __init__(self, module, meta: dict):
        self.module = module
        self.meta = meta
        self.species = list(meta["species"])
        self.cutoff = float(meta["cutoff"])
        self.reference_energies = [float(meta["reference_energies"][s]) for s in self.species]

    def __call__(self, species, edge_index, edge_vec):
        return self.module(species, edge_index, edge_vec)
