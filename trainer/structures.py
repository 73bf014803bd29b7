"""The one structure type every part of taylorann passes around."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass
class Structure:
    """Atoms with optional labels.

    positions: (N, 3) Cartesian Å; species: element symbols; cell: (3, 3) lattice vectors
    as rows (Å) or None for isolated systems; pbc: periodic directions; energy: total
    energy (eV) or None; forces: (N, 3) eV/Å or None; name: where it came from.
    """

    positions: np.ndarray
    species: list[str]
    cell: np.ndarray | None = None
    pbc: tuple[bool, bool, bool] = (False, False, False)
    energy: float | None = None
    forces: np.ndarray | None = None
    name: str = ""
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        self.positions = np.ascontiguousarray(self.positions, dtype=np.float64).reshape(-1, 3)
        self.species = [str(s) for s in self.species]
        if len(self.species) != len(self.positions):
            raise ValueError(f"{self.name or 'structure'}: {len(self.species)} species for {len(self.positions)} positions")
        if self.cell is not None:
            self.cell = np.ascontiguousarray(self.cell, dtype=np.float64).reshape(3, 3)
        self.pbc = tuple(bool(p) for p in self.pbc)
        if any(self.pbc) and self.cell is None:
            raise ValueError(f"{self.name or 'structure'}: periodic but no cell")
        if self.forces is not None:
            self.forces = np.ascontiguousarray(self.forces, dtype=np.float64).reshape(-1, 3)
            if len(self.forces) != len(self.positions):
                raise ValueError(f"{self.name or 'structure'}: forces/positions length mismatch")
        if self.energy is not None:
            self.energy = float(self.energy)

    @property
    def natoms(self) -> int:
        return len(self.species)

    @property
    def periodic(self) -> bool:
        return any(self.pbc)

    def copy(self, **changes) -> "Structure":
        """A deep copy with some fields replaced."""
        fields = dict(
            positions=self.positions.copy(),
            species=list(self.species),
            cell=None if self.cell is None else self.cell.copy(),
            forces=None if self.forces is None else self.forces.copy(),
            info=dict(self.info),
        )
        fields.update(changes)
        return replace(self, **fields)

    def to_ase(self):
        """An ``ase.Atoms`` with a single-point calculator holding the labels."""
        from ase import Atoms
        from ase.calculators.singlepoint import SinglePointCalculator

        atoms = Atoms(
            symbols=self.species,
            positions=self.positions,
            cell=self.cell if self.cell is not None else np.zeros((3, 3)),
            pbc=self.pbc,
        )
        if self.energy is not None or self.forces is not None:
            atoms.calc = SinglePointCalculator(atoms, energy=self.energy, forces=self.forces)
        return atoms

    @classmethod
    def from_ase(cls, atoms, name: str = "") -> "Structure":
        """Labels are taken from the attached calculator when it has them."""
        energy = forces = None
        if atoms.calc is not None:
            results = getattr(atoms.calc, "results", {})
            if "energy" in results:
                energy = float(results["energy"])
            elif "free_energy" in results:
                energy = float(results["free_energy"])
            if "forces" in results:
                forces = np.array(results["forces"], dtype=np.float64)
        pbc = tuple(bool(p) for p in atoms.pbc)
        cell = np.array(atoms.cell[:], dtype=np.float64) if any(pbc) else None
        return cls(
            positions=atoms.get_positions(),
            species=atoms.get_chemical_symbols(),
            cell=cell,
            pbc=pbc,
            energy=energy,
            forces=forces,
            name=name,
            info=dict(atoms.info),
        )
