"""Read structures from any file: ænet XSF natively, everything else through ``ase.io``."""

from __future__ import annotations

import os
from pathlib import Path

from .checks import MIN_DISTANCE, check_structure
from .errors import InputFileError
from .structures import Structure
from .xsf import read_xsf


def read_atoms(path: str | os.PathLike, index: str = ":"):
    """``ase.io.read(path, index)``, except that a gzipped file is decompressed in one go and
    then parsed from memory (ASE reads through ``gzip`` line by line: ~80 s instead of ~2 s
    for the two 6,000-frame LMNTO runs).  The format comes from the name (``.gz`` stripped)
    or, failing that, from the content."""
    import ase.io

    path = Path(path)
    if path.suffix.lower() != ".gz":
        return ase.io.read(str(path), index=index)
    import gzip
    import io

    from ase.io.formats import filetype

    fmt = filetype(str(path))
    with gzip.open(path, "rt") as handle:
        text = handle.read()
    return ase.io.read(io.StringIO(text), index=index, format=fmt)


def read_structures(path: str | os.PathLike, index: str = ":", min_distance: float = MIN_DISTANCE) -> list[Structure]:
    """All frames of ``path`` as structures (energies/forces when the file has them), each
    checked by ``trainer.checks.check_structure`` (``min_distance`` 0 switches the distance
    check off)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "open", "an existing structure file", "no such file")
    if path.suffix.lower() == ".xsf":
        structure = read_xsf(path)
        check_structure(structure, min_distance)
        return [structure]
    try:
        frames = read_atoms(path, index=index)
    except Exception as exc:  # ase raises many types; report them uniformly
        raise InputFileError(path, "parse", "a structure file ase.io can read", f"{type(exc).__name__}: {exc}") from None
    if not isinstance(frames, list):
        frames = [frames]
    many = len(frames) > 1
    out = [Structure.from_ase(a, name=f"{path}@{k}" if many else str(path)) for k, a in enumerate(frames)]
    for k, structure in enumerate(out):
        check_structure(structure, min_distance, where=f"frame {k}" if many else "atoms")
    return out


def read_many(paths, min_distance: float = MIN_DISTANCE) -> list[Structure]:
    out: list[Structure] = []
    for p in paths:
        out.extend(read_structures(p, min_distance=min_distance))
    return out
