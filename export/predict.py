"""``python -m export predict``: energies (and forces) of structures, like ænet's predict.x."""

from __future__ import annotations

import json
import sys
import time

from trainer.evaluate import predict
from trainer.readers import read_structures

from .loading import load_evaluator, load_potential


def run_predict(potential_paths, structure_paths, forces: bool, as_json: bool, legacy_angular: bool, out=sys.stdout, backend: str = "native") -> list[dict]:
    load = load_evaluator if backend == "native" else load_potential
    model = load(potential_paths, legacy_angular=legacy_angular)
    results = []
    natoms_total = 0
    start = time.perf_counter()
    for path in structure_paths:
        for structure in read_structures(path):
            p = predict(model, structure, forces=forces)
            natoms_total += structure.natoms
            entry = {"file": structure.name, "natoms": structure.natoms, "energy": p.energy, "cohesive_energy": p.cohesive_energy}
            if forces:
                entry["forces"] = p.forces.tolist()
            if p.extrapolating is not None:  # native backend with potential files
                entry["extrapolating_atoms"] = [int(i) for i in p.extrapolating]
            results.append(entry)
            if not as_json:
                _print_text(entry, structure, out)
    elapsed = time.perf_counter() - start
    if as_json:
        json.dump(results, out, indent=1)
        out.write("\n")
    else:
        out.write(f"# {len(results)} structures, {natoms_total} atoms in {elapsed:.3f} s ({natoms_total / max(elapsed, 1e-12):.1f} atoms/s)\n")
    return results


def _print_text(entry: dict, structure, out) -> None:
    out.write(f"File name         : {entry['file']}\n")
    out.write(f"Number of atoms   : {entry['natoms']}\n")
    if "forces" in entry:
        out.write("  Species          x             y             z             Fx            Fy            Fz\n")
        for sym, r, f in zip(structure.species, structure.positions, entry["forces"]):
            out.write(f"  {sym:<3s}" + "".join(f"{v:14.8f}" for v in r) + "".join(f"{v:14.8f}" for v in f) + "\n")
    outside = entry.get("extrapolating_atoms")
    if outside:
        shown = " ".join(str(i + 1) for i in outside[:10]) + (" ..." if len(outside) > 10 else "")
        out.write(f"Extrapolation     : {len(outside)} atoms outside the training range of the descriptors (atoms {shown})\n")
    out.write(f"Cohesive energy   : {entry['cohesive_energy']:22.10f} eV\n")
    out.write(f"Total energy      : {entry['energy']:22.10f} eV\n\n")
