"""Committee evaluation of structures (issue #10, item 4): several potentials trained the
same way (other seeds, other data) evaluate every frame through the C++ evaluator, and
their disagreement says where none of them can be trusted.

Per frame: the committee's mean energy and its standard deviation (meV/atom), the force
spread of every atom, σ_F,i = sqrt(mean over members of |F_i,m − mean_m F_i,m|²) (eV/Å),
its maximum and mean over the atoms, and the number of atoms whose descriptors leave a
member's training range (the largest over the members). ``select`` returns the frames to
label next: largest maximum force spread first (the usual active-learning criterion, as in
n2p2's and DeePMD-kit's committee ("model deviation") workflows).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import InputFileError
from .native import NativeHandle
from .structures import Structure


def member_files(path: str | os.PathLike) -> list[str]:
    """The potential files of one member: a folder's ``*.nn.ascii`` (else its binary
    ``*.nn``), or one file (``.pt``, or a single-species potential)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(glob.glob(str(p / "*.nn.ascii"))) or sorted(glob.glob(str(p / "*.nn")))
        if not files:
            raise InputFileError(p, "folder", "a committee member: *.nn.ascii or *.nn files, one per species", "none")
        return files
    if not p.exists():
        raise InputFileError(p, "open", "a committee member (potential folder or file)", "no such file or folder")
    return [str(p)]


@dataclass
class FrameSpread:
    name: str
    natoms: int
    energy_mean: float  # eV
    energy_std: float  # meV/atom
    force_std_max: float  # eV/Å
    force_std_mean: float  # eV/Å
    extrapolating_atoms: int
    force_std_atoms: np.ndarray = field(repr=False)  # (natoms,) eV/Å

    def to_json(self, per_atom: bool = False) -> dict:
        out = {
            "name": self.name,
            "natoms": self.natoms,
            "energy_mean_eV": self.energy_mean,
            "energy_std_meV_per_atom": self.energy_std,
            "force_std_max": self.force_std_max,
            "force_std_mean": self.force_std_mean,
            "extrapolating_atoms": self.extrapolating_atoms,
        }
        if per_atom:
            out["force_std_atoms"] = [float(v) for v in self.force_std_atoms]
        return out


class Committee:
    """Members given as folders or files (see ``member_files``); at least two."""

    def __init__(self, members: Sequence[str | os.PathLike], legacy_angular: bool = False):
        if len(members) < 2:
            raise ValueError(f"a committee needs at least two members, got {len(members)}")
        self.members = [str(m) for m in members]
        self.handles = [NativeHandle.from_files(member_files(m), legacy_angular) for m in members]

    def spread(self, structure: Structure) -> FrameSpread:
        energies, forces, outside = [], [], 0
        for h in self.handles:
            e, _, f, _ = h.compute(structure)
            energies.append(e)
            forces.append(f)
            atoms = h.extrapolation()
            outside = max(outside, 0 if atoms is None else len(atoms))
        e = np.array(energies)
        f = np.stack(forces)  # (members, natoms, 3)
        dev = f - f.mean(axis=0)
        per_atom = np.sqrt((dev**2).sum(axis=2).mean(axis=0))
        n = structure.natoms
        return FrameSpread(
            name=structure.name,
            natoms=n,
            energy_mean=float(e.mean()),
            energy_std=float(e.std() / n * 1000.0),
            force_std_max=float(per_atom.max()) if n else 0.0,
            force_std_mean=float(per_atom.mean()) if n else 0.0,
            extrapolating_atoms=int(outside),
            force_std_atoms=per_atom,
        )

    def evaluate(self, structures: Sequence[Structure]) -> list[FrameSpread]:
        return [self.spread(s) for s in structures]


def select(spreads: Sequence[FrameSpread], count: int, threshold: float = 0.0) -> list[int]:
    """Indices of at most ``count`` frames with the largest maximum force spread above
    ``threshold`` eV/Å, largest first (ties: earlier frame first)."""
    order = sorted(range(len(spreads)), key=lambda k: (-spreads[k].force_std_max, k))
    return [k for k in order if spreads[k].force_std_max > threshold][: max(0, count)]
