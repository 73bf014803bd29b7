"""ASE calculator over the same evaluator as ``predict``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from trainer.evaluate import predict
from trainer.repulsion import Repulsion
from trainer.structures import Structure

from .loading import load_evaluator


class TaylorannCalculator(Calculator):
    """``TaylorannCalculator(potential=["Ti.nn.ascii", "O.nn.ascii"])`` or ``potential=["model.pt"]``
    (evaluated by the C++ core, as in LAMMPS), or ``model=`` an already loaded torch model.  Energies in eV, forces eV/Å, stress eV/Å³ (ASE sign)."""

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, potential=None, model=None, legacy_angular: bool = False, extrapolation: str = "warn", repulsion=None, **kwargs):
        """extrapolation: what to do when an atom's descriptor leaves the potential's training
        range (native backend with .nn.ascii/.nn files): "warn" (default; a RuntimeWarning for
        the first 10 such calls, then every 1000th), "error" (raise ExtrapolationError) or
        "ignore". Either way ``results["extrapolating_atoms"]`` lists them and
        ``extrapolation_count`` counts atom evaluations outside the range.
        repulsion: a ZBL core file (``repulsion.json``, trainer.repulsion) or a ``Repulsion``,
        added to every result as LAMMPS's ``pair_style hybrid/overlay taylorann zbl`` adds it."""
        super().__init__(**kwargs)
        if (potential is None) == (model is None):
            raise ValueError("give exactly one of potential= (file paths) or model=")
        if extrapolation not in ("warn", "error", "ignore"):
            raise ValueError(f"extrapolation: expected 'warn', 'error' or 'ignore', got {extrapolation!r}")
        self.extrapolation = extrapolation
        self.extrapolation_count = 0  # atoms outside the range, summed over calls
        self._extrapolating_calls = 0
        if isinstance(repulsion, (str, Path)):
            repulsion = Repulsion.from_json(repulsion)
        self.repulsion = repulsion
        self.model = model if model is not None else load_evaluator([potential] if isinstance(potential, str) else potential, legacy_angular=legacy_angular)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        structure = Structure.from_ase(self.atoms)
        structure.energy = structure.forces = None
        want_stress = "stress" in properties
        if want_stress and not structure.periodic:
            raise ValueError("stress needs a periodic structure")
        p = predict(self.model, structure, forces=True, virial=want_stress)
        if self.repulsion is not None:
            e, ea, f, w = self.repulsion.energy_forces(structure)
            p.energy += e
            p.atomic_energies = p.atomic_energies + ea
            p.forces = p.forces + f
            if want_stress:
                p.virial = p.virial + w
        self.results["energy"] = p.energy
        self.results["free_energy"] = p.energy
        self.results["energies"] = p.atomic_energies.copy()
        self.results["forces"] = p.forces
        self._check_range(p.extrapolating)
        if want_stress:
            volume = self.atoms.get_volume()
            sigma = -p.virial / volume  # stress = -virial / V (ASE: positive = tensile)
            self.results["stress"] = np.array([sigma[0, 0], sigma[1, 1], sigma[2, 2], sigma[1, 2], sigma[0, 2], sigma[0, 1]])

    def _check_range(self, atoms) -> None:
        self.results["extrapolating_atoms"] = np.zeros(0, dtype=np.int64) if atoms is None else atoms
        if atoms is None or len(atoms) == 0:
            return
        self.extrapolation_count += len(atoms)
        self._extrapolating_calls += 1
        message = (
            f"taylorann: {len(atoms)} atoms outside the training range of the potential's descriptors "
            f"(0-based indices {', '.join(map(str, atoms[:8]))}{', ...' if len(atoms) > 8 else ''}): the "
            "energy and forces are an extrapolation"
        )
        if self.extrapolation == "error":
            raise ExtrapolationError(message)
        if self.extrapolation == "warn" and (self._extrapolating_calls <= 10 or self._extrapolating_calls % 1000 == 0):
            warnings.warn(message + f" [{self._extrapolating_calls} such calls so far]", RuntimeWarning, stacklevel=3)


class ExtrapolationError(RuntimeError):
    """An atom's descriptor left the potential's training range (extrapolation="error")."""
