"""ænet's XSF dialect (AENET_FORMAT.md §11): one frame, optional energy comment and forces."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
from ase.data import chemical_symbols

from .errors import InputFileError, read_text_file, text_lines
from .records import REAL_SYNTAX, parse_real, split_ascii
from .structures import Structure

_ELEMENTS = frozenset(chemical_symbols[1:])
_ENERGY = re.compile(r"(total|cohesive) energy\s*=\s*(\S+)")


def _number(path, lineno: int, token: str, what: str) -> float:
    try:
        value = parse_real(token)
    except ValueError:
        raise InputFileError(path, f"line {lineno}", what, repr(token)) from None
    if not math.isfinite(value):
        raise InputFileError(path, f"line {lineno}", what + " (finite)", repr(token))
    return value


def _atom_lines(path, lines, start: int, count: int | None):
    """Atom lines from ``start`` until a blank line/EOF (ænet ignores the count line)."""
    rows = []
    i = start
    while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith("#"):
        rows.append((i + 1, split_ascii(lines[i])))
        i += 1
    if not rows:
        raise InputFileError(path, f"line {start + 1}", "atom lines 'Sym x y z [Fx Fy Fz]'", "none")
    if count is not None and count != len(rows):
        raise InputFileError(path, f"line {start}", f"{count} atom lines as announced", str(len(rows)))
    has_forces = len(rows[-1][1]) > 5
    species, pos, frc = [], [], []
    for lineno, tok in rows:
        want = 7 if has_forces else 4
        if len(tok) != want:
            raise InputFileError(
                path,
                f"line {lineno}",
                f"{want} columns (symbol, x y z{', Fx Fy Fz' if has_forces else ''})",
                f"{len(tok)}",
            )
        symbol = tok[0]
        if symbol.isdigit() and 1 <= int(symbol) < len(chemical_symbols):  # XSF allows atomic numbers
            symbol = chemical_symbols[int(symbol)]
        if symbol not in _ELEMENTS:
            raise InputFileError(path, f"line {lineno}", "an element symbol or atomic number in column 1", ascii(tok[0][:12]))
        species.append(symbol)
    values = _all_numbers([tok[1:] for _, tok in rows])
    if values is None:  # a token that is no finite Fortran real: the slow path names it
        for lineno, tok in rows:
            pos.append([_number(path, lineno, t, "a coordinate (Å)") for t in tok[1:4]])
            if has_forces:
                frc.append([_number(path, lineno, t, "a force component (eV/Å)") for t in tok[4:7]])
        values = np.hstack([np.array(pos), np.array(frc)]) if has_forces else np.array(pos)
    return species, values[:, :3].copy(), (values[:, 3:6].copy() if has_forces else None)


_REALS = re.compile(f"(?:{REAL_SYNTAX} )*{REAL_SYNTAX}")  # space-separated Fortran reals


def _all_numbers(columns: list[list[str]]) -> np.ndarray | None:
    """The number columns of all atom lines at once when every token is a finite Fortran
    real (records.parse_real's syntax, checked by one regex over the block), else None."""
    text = " ".join(" ".join(c) for c in columns)
    if not _REALS.fullmatch(text):
        return None
    values = np.array(text.replace("D", "E").replace("d", "e").split(), dtype=np.float64)
    if not np.isfinite(values).all():
        return None
    return values.reshape(len(columns), -1)


DIMENSIONS = ("CRYSTAL", "SLAB", "POLYMER", "MOLECULE")
KEYWORDS = DIMENSIONS + ("PRIMVEC", "CONVVEC", "PRIMCOORD", "ATOMS")


def _vectors(path, lines, i: int, word: str) -> np.ndarray:
    """The three lattice-vector lines after PRIMVEC/CONVVEC at line index ``i``."""
    if i + 3 >= len(lines):
        raise InputFileError(path, f"line {i + 1}", f"three lattice-vector lines after {word}", "end of file")
    rows = []
    for k in range(1, 4):
        tok = split_ascii(lines[i + k].split("#", 1)[0])
        if len(tok) != 3:
            raise InputFileError(path, f"line {i + k + 1}", "3 numbers (a lattice vector, Å)", f"{len(tok)} tokens")
        rows.append([_number(path, i + k + 1, t, "a lattice-vector component") for t in tok])
    cell = np.array(rows)
    if abs(np.linalg.det(cell)) < 1e-8:
        raise InputFileError(path, f"line {i + 2}", "a non-singular cell")
    return cell


def read_xsf(path: str | os.PathLike) -> Structure:
    """Read one ænet XSF file; errors name the file and line.

    Every line is a comment (``#``; the first ``total energy = E`` comment gives the energy), a
    blank line, a keyword of KEYWORDS (each at most once, nothing after it) or a line of the
    block the keyword opens; anything else is an error, so a damaged file is never read as a
    different structure."""
    path = Path(path)
    text = read_text_file(path, "XSF file")
    lines = text_lines(text)
    energy = energy_line = None
    cell = None
    block = None
    seen: dict[str, int] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _ENERGY.search(line)
        if m and line.lstrip().startswith("#"):
            value = _number(path, i + 1, m.group(2), "a number after 'total energy ='")
            if m.group(1) == "cohesive":
                raise InputFileError(path, f"line {i + 1}", "a total energy (cohesive-only XSF is not supported)")
            if energy is not None and value != energy:
                raise InputFileError(path, f"line {i + 1}", f"one total energy (line {energy_line} gives {energy!r})", repr(value))
            energy, energy_line = value, i + 1
        content = line.split("#", 1)[0].strip()
        if not content:
            i += 1
            continue
        word = split_ascii(content)[0].upper()
        if word not in KEYWORDS:
            raise InputFileError(path, f"line {i + 1}", "a comment, a blank line or an XSF keyword (" + ", ".join(KEYWORDS) + ")", repr(content[:40]))
        if content.upper() != word:
            raise InputFileError(path, f"line {i + 1}", f"'{word}' alone on its line (animated XSF is not supported)", repr(content[:40]))
        first = next((seen[w] for w in ((word,) if word not in DIMENSIONS else DIMENSIONS) if w in seen), None)
        if first is not None:
            raise InputFileError(
                path, f"line {i + 1}", f"one {word if word not in DIMENSIONS else 'dimension'} keyword", f"a second one (the first is on line {first})"
            )
        if word in ("PRIMCOORD", "ATOMS") and ({"PRIMCOORD", "ATOMS"} & set(seen)):
            other = "PRIMCOORD" if "PRIMCOORD" in seen else "ATOMS"
            raise InputFileError(path, f"line {i + 1}", "one coordinate block", f"{word} after {other} on line {seen[other]}")
        seen[word] = i + 1
        if word in ("PRIMVEC", "CONVVEC"):
            vectors = _vectors(path, lines, i, word)
            if word == "PRIMVEC":
                cell = vectors
            i += 4
        elif word == "PRIMCOORD":
            if i + 1 >= len(lines):
                raise InputFileError(path, f"line {i + 1}", "'N 1' after PRIMCOORD", "end of file")
            tok = split_ascii(lines[i + 1].split("#", 1)[0])
            if len(tok) != 2 or not all(t.isdigit() for t in tok) or int(tok[0]) < 1 or int(tok[1]) != 1:
                raise InputFileError(path, f"line {i + 2}", "'N 1' after PRIMCOORD (a positive atom count, then 1)", repr(lines[i + 1].strip()[:60]))
            block = _atom_lines(path, lines, i + 2, int(tok[0]))
            i += 2 + int(tok[0])
        elif word == "ATOMS":
            block = _atom_lines(path, lines, i + 1, None)
            i += 1 + len(block[0])
        else:
            i += 1
    if block is None:
        raise InputFileError(path, "whole file", "a PRIMCOORD or ATOMS block")
    dimension = next((w for w in DIMENSIONS if w in seen), None)
    if dimension in ("CRYSTAL", "SLAB", "POLYMER") and cell is None:
        raise InputFileError(path, f"line {seen[dimension]}", f"a PRIMVEC block (3 lattice vectors) for {dimension}", "none: the cell is missing")
    if dimension == "MOLECULE" and cell is not None:
        raise InputFileError(path, f"line {seen['PRIMVEC']}", "no PRIMVEC for a MOLECULE", "a cell")
    if dimension is None and cell is not None:  # XSF: PRIMVEC belongs to a periodic structure
        raise InputFileError(path, f"line {seen['PRIMVEC']}", "CRYSTAL, SLAB or POLYMER before PRIMVEC", "no dimension keyword")
    periodic = cell is not None
    if periodic and "PRIMCOORD" not in seen:
        raise InputFileError(path, "whole file", "PRIMCOORD after PRIMVEC")
    species, positions, forces = block
    return Structure(
        positions=positions,
        species=species,
        cell=cell,
        pbc=(periodic,) * 3,
        energy=energy,
        forces=forces,
        name=str(path),
    )


def write_xsf(path: str | os.PathLike, structure: Structure) -> None:
    """Write ænet XSF (7 columns when forces are known); written atomically."""
    out = []
    if structure.energy is not None:
        out.append(f"# total energy = {structure.energy:.10f} eV")
        out.append("")
    if structure.periodic:
        out.append("CRYSTAL")
        out.append("PRIMVEC")
        for row in structure.cell:
            out.append("  " + "  ".join(f"{v:18.12f}" for v in row))
        out.append("PRIMCOORD")
        out.append(f"{structure.natoms} 1")
    else:
        out.append("ATOMS")
    for k, (sym, r) in enumerate(zip(structure.species, structure.positions)):
        line = f"{sym:<3s}" + "".join(f"{v:18.12f}" for v in r)
        if structure.forces is not None:
            line += "".join(f"{v:18.12f}" for v in structure.forces[k])
        out.append(line)
    from .atomic_io import atomic_write_text

    atomic_write_text(path, "\n".join(out) + "\n")
