"""Read structures from any file: ænet XSF natively, everything else through ``ase.io``."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InputFileError
from .structures import Structure
from .xsf import read_xsf


def read_structures(path: str | os.PathLike, index: str = ":") -> list[Structure]:
    """All frames of ``path`` as structures (energies/forces when the file has them)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "open", "an existing structure file", "no such file")
    if path.suffix.lower() == ".xsf":
        return [read_xsf(path)]
    import ase.io

    try:
        frames = ase.io.read(str(path), index=index)
    except Exception as exc:  # ase raises many types; report them uniformly
        raise InputFileError(path, "parse", "a structure file ase.io can read", f"{type(exc).__name__}: {exc}") from None
    if not isinstance(frames, list):
        frames = [frames]
    many = len(frames) > 1
    return [Structure.from_ase(a, name=f"{path}@{k}" if many else str(path)) for k, a in enumerate(frames)]


def read_many(paths) -> list[Structure]:
    out: list[Structure] = []
    for p in paths:
        out.extend(read_structures(p))
    return out
