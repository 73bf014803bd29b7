"""LAMMPS data files (atom_style atomic, units metal) that keep every digit of the cell.

ase's lammps-data writer drops small tilt factors; this writer rotates the cell into
LAMMPS's frame (a along x, b in the xy plane) exactly and returns that rotation.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from ase.data import atomic_masses, atomic_numbers

from trainer.atomic_io import atomic_write_text
from trainer.checks import check_structure
from trainer.structures import Structure


def right_handed(cell: np.ndarray) -> np.ndarray:
    """The same lattice with right-handed vectors: a left-handed (a, b, c) becomes (-a, -b, -c),
    which spans the same lattice points (LAMMPS and Tinker boxes must be right-handed)."""
    cell = np.asarray(cell, dtype=float)
    return -cell if np.linalg.det(cell) < 0 else cell


def lammps_cell(cell: np.ndarray) -> np.ndarray:
    """Lower-triangular cell with the same lengths and angles (rows a, b, c)."""
    a, b, c = np.asarray(cell, dtype=float)
    if np.linalg.det(cell) <= 0:
        raise ValueError("the cell must be right-handed (positive determinant) for LAMMPS")
    ax = np.linalg.norm(a)
    ahat = a / ax
    bx = b @ ahat
    by = np.linalg.norm(np.cross(ahat, b))
    cx = c @ ahat
    cy = (b @ c - bx * cx) / by
    cz = np.sqrt(c @ c - cx * cx - cy * cy)
    return np.array([[ax, 0.0, 0.0], [bx, by, 0.0], [cx, cy, cz]])


def write_lammps_data(structure: Structure, path: str | os.PathLike, species: Sequence[str], velocities: np.ndarray | None = None) -> np.ndarray:
    """Write ``path``; atom type k+1 = ``species[k]``.  Returns R with x_lammps = x @ R."""
    species = list(species)
    check_structure(structure)  # overlapping atoms or an unphysical density would break LAMMPS
    missing = sorted(set(structure.species) - set(species))
    if missing:
        raise ValueError(f"{structure.name}: species {', '.join(missing)} not in the type list {species}")
    if not structure.periodic:
        raise ValueError(f"{structure.name}: LAMMPS data needs a periodic cell (put the cluster in a large box)")
    cell = right_handed(structure.cell)
    new = lammps_cell(cell)
    rotation = np.linalg.solve(cell, new)
    frac = np.linalg.solve(cell.T, structure.positions.T).T
    frac -= np.floor(frac)
    frac[frac >= 1.0] -= 1.0
    x = frac @ new
    lines = [
        f"taylorann data file from {structure.name or 'a structure'}",
        "",
        f"{structure.natoms} atoms",
        f"{len(species)} atom types",
        "",
        f"0.0 {new[0, 0]:.17g} xlo xhi",
        f"0.0 {new[1, 1]:.17g} ylo yhi",
        f"0.0 {new[2, 2]:.17g} zlo zhi",
        f"{new[1, 0]:.17g} {new[2, 0]:.17g} {new[2, 1]:.17g} xy xz yz",
        "",
        "Masses",
        "",
    ]
    lines += [f"{t + 1} {atomic_masses[atomic_numbers[s]]:.6f}  # {s}" for t, s in enumerate(species)]
    lines += ["", "Atoms # atomic", ""]
    lines += [f"{i + 1} {species.index(s) + 1} {p[0]:.17g} {p[1]:.17g} {p[2]:.17g}" for i, (s, p) in enumerate(zip(structure.species, x))]
    if velocities is not None:
        v = np.asarray(velocities) @ rotation
        lines += ["", "Velocities", ""]
        lines += [f"{i + 1} {p[0]:.17g} {p[1]:.17g} {p[2]:.17g}" for i, p in enumerate(v)]
    atomic_write_text(path, "\n".join(lines) + "\n")
    return rotation
