"""Physical sanity of a structure before anything is computed from it: no two atoms (or an
atom and a periodic image) closer than a threshold, and a density that no solid reaches.

All guard against input that would otherwise turn into a wrong but finite number (two atoms
on one site; a coordinate of 1e11 Å, whose periodic image counts overflow), or into gigabytes
of neighbour list (a cell of 0.5 Å).
"""

from __future__ import annotations

import numpy as np

from .errors import InputFileError
from .structures import Structure

MIN_DISTANCE = 0.1  # Å, default closest allowed approach
MAX_DENSITY = 1.0  # atoms/Å³; the densest elemental solids hold ~0.2
MAX_COORDINATE = 1e6  # Å; farther out float64 positions lose the precision an energy needs
# The overlap search runs with at least this cut-off and keeps the pairs below min_distance:
# vesin's cell list bins space at the cut-off, and 0.1 Å bins made the check of a 10 Å cell
# (a million empty bins) cost 15 ms, most of the time of reading a training set.
OVERLAP_SEARCH = 1.0  # Å


def check_structure(structure: Structure, min_distance: float = MIN_DISTANCE, where: str = "atoms") -> None:
    """Raise ``InputFileError`` naming both atoms (1-based, with species) or the density."""
    if structure.natoms == 0:
        raise InputFileError(structure.name, where, "at least one atom", "none")
    if not np.isfinite(structure.positions).all():
        raise InputFileError(structure.name, where, "finite coordinates", "NaN or infinity")
    far = np.abs(structure.positions) > MAX_COORDINATE
    if far.any():
        a, k = (int(v) for v in np.argwhere(far)[0])
        raise InputFileError(
            structure.name,
            where,
            f"coordinates within ±{MAX_COORDINATE:g} Å (wrap positions into the cell)",
            f"atom {a + 1} ({structure.species[a]}) at {'xyz'[k]} = {structure.positions[a, k]:.6g} Å",
        )
    if structure.periodic:
        lengths = np.linalg.norm(structure.cell, axis=1)
        if not np.all(lengths <= MAX_COORDINATE):  # a shear of 1e11 Å keeps the volume but hangs the neighbour search
            k = int(np.argmax(lengths))
            raise InputFileError(
                structure.name,
                "cell",
                f"lattice vectors at most {MAX_COORDINATE:g} Å long",
                f"vector {k + 1} of length {lengths[k]:.6g} Å",
            )
        volume = abs(float(np.linalg.det(structure.cell)))
        density = structure.natoms / volume if volume > 0 else np.inf
        if density > MAX_DENSITY:
            raise InputFileError(
                structure.name,
                "cell",
                f"at most {MAX_DENSITY:g} atoms/Å³ (a physical density)",
                f"{structure.natoms} atoms in {volume:.4g} Å³ = {density:.4g} atoms/Å³",
            )
    if min_distance <= 0:
        return
    from .neighbours import pairs

    i, j, s, d = pairs(structure, max(float(min_distance), OVERLAP_SEARCH), "ijSd")
    close = d < min_distance
    i, j, s, d = i[close], j[close], s[close], d[close]
    if len(d):
        k = int(np.argmin(d))
        a, b = int(i[k]), int(j[k])
        image = "" if not np.any(s[k]) else f" (periodic image {tuple(int(v) for v in s[k])})"
        raise InputFileError(
            structure.name,
            where,
            f"atoms at least {min_distance:g} Å apart",
            f"atom {a + 1} ({structure.species[a]}) and atom {b + 1} ({structure.species[b]}){image} {float(d[k]):.4g} Å apart",
        )
