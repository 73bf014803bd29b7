"""Tinker input files for a structure and a taylorann potential, and their reader.

``write_tinker_input`` writes ``PREFIX.xyz`` (Tinker XYZ: one atom type per element, no
bonds), ``PREFIX.prm`` (one ``atom`` line per element with its atomic number and mass) and
``PREFIX.key`` (``parameters``, ``EXTRATERM ONLY``, the ``TAYLORANN-*`` keywords, the
periodic box as ``a-axis`` ... ``gamma``, ``digits 8``, ``integrator verlet``). Periodic
cells are rotated into Tinker's frame (a along x, b in the xy plane), exactly as for
LAMMPS; ``read_tinker_input`` reads the three files back into a ``Structure`` in that frame.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from ase.data import atomic_masses, atomic_numbers, chemical_symbols

from trainer.atomic_io import atomic_write_text
from trainer.errors import InputFileError
from trainer.structures import Structure

from .lammps_data import lammps_cell, right_handed


def cell_parameters(cell: np.ndarray) -> tuple[float, ...]:
    a, b, c = (np.linalg.norm(v) for v in cell)
    angle = lambda u, v: math.degrees(math.acos(float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))))
    return a, b, c, angle(cell[1], cell[2]), angle(cell[0], cell[2]), angle(cell[0], cell[1])


def tinker_cell(a: float, b: float, c: float, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """Lattice vectors as rows the way Tinker builds them (lattice.f): a along x, b in xy."""
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    sg = math.sin(math.radians(gamma))
    cy = (ca - cb * cg) / sg
    return np.array([[a, 0.0, 0.0], [b * cg, b * sg, 0.0], [c * cb, c * cy, c * math.sqrt(1.0 - cb * cb - cy * cy)]])


def potential_keywords(potentials: Sequence[str]) -> list[str]:
    paths = [str(Path(p).resolve()) for p in potentials]
    if len(paths) == 1 and paths[0].endswith((".pt", ".pth")):
        return [f"TAYLORANN-MODEL {paths[0]}"]
    from trainer.nnascii import read_potential

    return [f"TAYLORANN-POTENTIAL {read_potential(p).species} {p}" for p in paths]


def write_tinker_input(structure: Structure, potentials: Sequence[str], prefix: str | os.PathLike) -> list[Path]:
    """``PREFIX.xyz``, ``PREFIX.key``, ``PREFIX.prm``; returns their paths."""
    prefix = Path(prefix)
    elements = list(dict.fromkeys(structure.species))
    positions = np.asarray(structure.positions, dtype=float)
    box: list[str] = []
    if structure.periodic:
        if not all(structure.pbc):
            raise ValueError(f"{structure.name}: Tinker boxes are periodic in all three directions (pbc = {structure.pbc})")
        cell = right_handed(structure.cell)
        new = lammps_cell(cell)
        positions = positions @ np.linalg.solve(cell, new)
        a, b, c, alpha, beta, gamma = cell_parameters(new)
        box = [f"a-axis {a:.12f}", f"b-axis {b:.12f}", f"c-axis {c:.12f}", f"alpha {alpha:.12f}", f"beta {beta:.12f}", f"gamma {gamma:.12f}"]
    xyz = [f"{structure.natoms:6d}  {structure.name or 'taylorann structure'}"]
    xyz += [
        f"{i + 1:6d}  {s:<3s} {p[0]:18.10f} {p[1]:18.10f} {p[2]:18.10f} {elements.index(s) + 1:5d}"
        for i, (s, p) in enumerate(zip(structure.species, positions))
    ]
    prm = ["forcefield              TAYLORANN", ""]
    prm += [f'atom {k + 1:5d} {k + 1:5d}    {s:<3s} "{s}" {atomic_numbers[s]:5d} {atomic_masses[atomic_numbers[s]]:10.4f}    0' for k, s in enumerate(elements)]
    key = [f"parameters {prefix.name}.prm", "EXTRATERM ONLY", *potential_keywords(potentials), *box, "digits 8", "integrator verlet"]
    paths = [prefix.with_suffix(".xyz"), prefix.with_suffix(".key"), prefix.with_suffix(".prm")]
    for path, lines in zip(paths, (xyz, key, prm)):
        atomic_write_text(path, "\n".join(lines) + "\n")
    return paths


def read_tinker_input(prefix: str | os.PathLike) -> tuple[Structure, list[str]]:
    """The structure of ``PREFIX.xyz`` (species from ``PREFIX.prm``, box from ``PREFIX.key``)
    and the key file's ``TAYLORANN-*`` records."""
    prefix = Path(prefix)
    key_path, xyz_path = prefix.with_suffix(".key"), prefix.with_suffix(".xyz")
    box: dict[str, float] = {}
    records, prm_path = [], prefix.with_suffix(".prm")
    for k, line in enumerate(key_path.read_text().splitlines(), 1):
        tokens = line.split("#")[0].split()
        if not tokens:
            continue
        word = tokens[0].upper().replace("_", "-")
        if word in ("A-AXIS", "B-AXIS", "C-AXIS", "ALPHA", "BETA", "GAMMA"):
            try:
                box[word] = float(tokens[1])
            except (IndexError, ValueError):
                raise InputFileError(key_path, f"line {k}", f"a number after {tokens[0]}", line.strip()) from None
        elif word.startswith("TAYLORANN-"):
            records.append(line.strip())
        elif word == "PARAMETERS" and len(tokens) > 1:
            prm_path = key_path.parent / tokens[1]
    element_of_type = {}
    for k, line in enumerate(prm_path.read_text().splitlines(), 1):
        tokens = line.split()
        if tokens[:1] == ["atom"]:
            z = int(line.rsplit('"', 1)[1].split()[0])
            element_of_type[int(tokens[1])] = chemical_symbols[z]
    lines = xyz_path.read_text().splitlines()
    n = int(lines[0].split()[0])
    species, positions = [], []
    for k in range(1, n + 1):
        tokens = lines[k].split()
        try:
            positions.append([float(v) for v in tokens[2:5]])
            species.append(element_of_type[int(tokens[5])])
        except (IndexError, ValueError, KeyError):
            raise InputFileError(xyz_path, f"line {k + 1}", "index, name, x, y, z and a type of the .prm file", lines[k].strip()) from None
    cell = None
    if box:
        a = box["A-AXIS"]
        cell = tinker_cell(a, box.get("B-AXIS", a), box.get("C-AXIS", a), box.get("ALPHA", 90.0), box.get("BETA", 90.0), box.get("GAMMA", 90.0))
    structure = Structure(np.array(positions), species, cell=cell, pbc=(cell is not None,) * 3, name=str(xyz_path))
    return structure, records
