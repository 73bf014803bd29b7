"""ASE calculator over the same evaluator as ``predict``."""

from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from trainer.evaluate import predict
from trainer.structures import Structure

from .loading import load_evaluator


class TaylorannCalculator(Calculator):
    """``TaylorannCalculator(potential=["Ti.nn.ascii", "O.nn.ascii"])`` or ``potential=["model.pt"]``
    (evaluated by the C++ core, as in LAMMPS), or ``model=`` an already loaded torch model.  Energies in eV, forces eV/Å, stress eV/Å³ (ASE sign)."""

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, potential=None, model=None, legacy_angular: bool = False, **kwargs):
        super().__init__(**kwargs)
        if (potential is None) == (model is None):
            raise ValueError("give exactly one of potential= (file paths) or model=")
        self.model = model if model is not None else load_evaluator(
            [potential] if isinstance(potential, str) else potential, legacy_angular=legacy_angular)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        structure = Structure.from_ase(self.atoms)
        structure.energy = structure.forces = None
        want_stress = "stress" in properties
        if want_stress and not structure.periodic:
            raise ValueError("stress needs a periodic structure")
        p = predict(self.model, structure, forces=True, virial=want_stress)
        self.results["energy"] = p.energy
        self.results["free_energy"] = p.energy
        self.results["energies"] = p.atomic_energies.copy()
        self.results["forces"] = p.forces
        if want_stress:
            volume = self.atoms.get_volume()
            sigma = -p.virial / volume  # stress = -virial / V (ASE: positive = tensile)
            self.results["stress"] = np.array(
                [sigma[0, 0], sigma[1, 1], sigma[2, 2], sigma[1, 2], sigma[0, 2], sigma[0, 1]])
