"""How far a potential is from CHGNet on frames it never saw (issue #10): the frames of the
MD set (``data/md_set``: other decorations, 300-1200 K, strained cells) evaluated with the
potential and its ZBL core, as MD runs them, against their CHGNet labels.

    python examples/lmnto/validate.py                                    # the shipped potential
    python examples/lmnto/validate.py --potential DIR/{Li,Mo,Ni,Ti,O}.nn.ascii --repulsion none --out v.json
    python examples/lmnto/validate.py --frames A.extxyz B.extxyz.gz --out unseen.json   # any labelled frames

Per segment and over all frames: energy RMSE and MAE (meV/atom), the mean energy offset
(meV/atom: a constant shift per decoration is invisible to MD but shows here), force MAE
and RMSE (eV/Å), CHGNet's own mean |F| (the scale the force error is read against),
and the share of atoms whose descriptor left the training range. Written to ``--out``
(default ``examples/lmnto/validation.json``); ``--table`` prints its Markdown table.

With ``--frames``, the same numbers per given file of CHGNet-labelled frames instead of the
MD set (e.g. the refinement loop's labelled frames from the potential's own MD, or the
Fig. 10 validation split), under ``sets`` in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SPECIES = ("Li", "Mo", "Ni", "Ti", "O")
SHIPPED = [str(HERE / "potential" / f"{e}.nn.ascii") for e in SPECIES]
REPULSION = HERE / "potential" / "repulsion.json"
MD_SET = HERE / "data" / "md_set"


def evaluate(frames, calc) -> list[dict]:
    """Per frame, once: energy error (meV/atom), force errors, CHGNet's |F| per atom and the
    number of atoms outside the descriptor range."""
    out = []
    for atoms in frames:
        ref_e, ref_f = atoms.get_potential_energy(), atoms.get_forces()
        probe = atoms.copy()
        probe.calc = calc
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            e, f = probe.get_potential_energy(), probe.get_forces()
        out.append(
            {
                "de": (e - ref_e) / len(atoms) * 1000.0,
                "df": (f - ref_f).ravel(),
                "fabs": np.linalg.norm(ref_f, axis=1),
                "extrapolating": len(calc.results.get("extrapolating_atoms", ())),
            }
        )
    return out


def errors(records: list[dict]) -> dict:
    de, df = np.array([r["de"] for r in records]), np.concatenate([r["df"] for r in records])
    natoms = sum(len(r["fabs"]) for r in records)
    return {
        "frames": len(records),
        "energy_rmse": float(np.sqrt(np.mean(de**2))),
        "energy_mae": float(np.mean(np.abs(de))),
        "energy_offset": float(np.mean(de)),
        "force_mae": float(np.mean(np.abs(df))),
        "force_rmse": float(np.sqrt(np.mean(df**2))),
        "reference_mean_abs_force": float(np.mean(np.concatenate([r["fabs"] for r in records]))),
        "extrapolating_atom_share": sum(r["extrapolating"] for r in records) / max(natoms, 1),
    }


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


ERROR_HEADER = ["energy RMSE (meV/atom)", "mean offset (meV/atom)", "force MAE (eV/Å)"]


def table(result: dict) -> str:
    header = ["frames", "T (K)", "strain", "decorations", *ERROR_HEADER, "CHGNet mean abs(F) (eV/Å)", "atoms extrapolating"]
    rows = [
        [
            f"{row['frames']}",
            f"{row['temperature_K']:g}",
            f"{row['strain']:+.0%}",
            f"{row['decorations']}",
            f"{row['energy_rmse']:.2f}",
            f"{row['energy_offset']:+.2f}",
            f"{row['force_mae']:.3f}",
            f"{row['reference_mean_abs_force']:.3f}",
            f"{row['extrapolating_atom_share']:.1%}",
        ]
        for row in result["conditions"].values()
    ]
    a = result["all"]
    rows.append(
        [
            f"**{a['frames']}**",
            "all",
            "",
            "",
            f"**{a['energy_rmse']:.2f}**",
            f"{a['energy_offset']:+.2f}",
            f"**{a['force_mae']:.3f}**",
            f"{a['reference_mean_abs_force']:.3f}",
            f"{a['extrapolating_atom_share']:.1%}",
        ]
    )
    return markdown(header, rows)


def frames_table(result: dict) -> str:
    header = ["frames (file)", "atoms/frame", *ERROR_HEADER, "force RMSE (eV/Å)", "CHGNet mean abs(F) (eV/Å)", "atoms extrapolating"]
    rows = [
        [
            f"{row['frames']} ({name})",
            f"{row['atoms_per_frame']:g}",
            f"{row['energy_rmse']:.2f}",
            f"{row['energy_offset']:+.2f}",
            f"{row['force_mae']:.3f}",
            f"{row['force_rmse']:.3f}",
            f"{row['reference_mean_abs_force']:.3f}",
            f"{row['extrapolating_atom_share']:.2%}",
        ]
        for name, row in result["sets"].items()
    ]
    return markdown(header, rows)


def relative(path) -> str:
    p = Path(path).resolve()
    return str(p.relative_to(HERE.parents[1])) if p.is_relative_to(HERE.parents[1]) else str(path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--potential", nargs="+", default=SHIPPED, help="potential files (default: the shipped .nn.ascii)")
    parser.add_argument("--repulsion", default=str(REPULSION), help="ZBL core file, or 'none'")
    parser.add_argument("--data", default=str(MD_SET), help="folder of seg_*.extxyz.gz (CHGNet-labelled)")
    parser.add_argument("--frames", nargs="+", help="labelled frame files (extxyz, .gz) evaluated one by one instead of --data")
    parser.add_argument("--out", default=str(HERE / "validation.json"))
    parser.add_argument("--table", action="store_true", help="print the table of --out and stop")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.table:
        result = json.loads(out.read_text())
        print(frames_table(result) if "sets" in result else table(result))
        return

    from export.calculator import TaylorannCalculator
    from trainer.atomic_io import atomic_write_text
    from trainer.readers import read_atoms

    calc = TaylorannCalculator(potential=args.potential, repulsion=None if args.repulsion == "none" else args.repulsion, extrapolation="ignore")
    if args.frames:
        sets = {}
        for path in args.frames:
            frames = read_atoms(path, ":")
            records = evaluate(frames, calc)
            sets[relative(path)] = {**errors(records), "atoms_per_frame": float(np.mean([len(a) for a in frames]))}
            print(path, json.dumps(sets[relative(path)]), flush=True)
        result = {
            "potential": [relative(p) for p in args.potential],
            "repulsion": args.repulsion if args.repulsion == "none" else Path(args.repulsion).name,
            "reference": "the CHGNet labels in each file",
            "sets": sets,
        }
        atomic_write_text(out, json.dumps(result, indent=1))
        print(frames_table(result))
        return
    provenance = json.loads((Path(args.data) / "provenance.json").read_text())["segments"]
    segments, groups, everything = {}, defaultdict(list), []
    for path in sorted(Path(args.data).glob("seg_*.extxyz.gz")):
        records = evaluate(read_atoms(path, ":"), calc)
        meta = provenance[path.name]
        conditions_of = {k: meta[k] for k in ("temperature_K", "strain", "decoration_seed")}
        segments[path.name] = {**errors(records), **conditions_of}
        groups[(meta["temperature_K"], meta["strain"])].append((meta["decoration_seed"], records))
        everything += records
        print(path.name, json.dumps(segments[path.name]), flush=True)
    conditions = {}
    for (temperature, strain), parts in sorted(groups.items()):
        records = [r for _, rs in parts for r in rs]
        decorations = len({d for d, _ in parts})
        conditions[f"{temperature:g}K_{strain:+g}"] = {**errors(records), "temperature_K": temperature, "strain": strain, "decorations": decorations}
    result = {
        "potential": [relative(p) for p in args.potential],
        "repulsion": args.repulsion if args.repulsion == "none" else Path(args.repulsion).name,
        "reference": "CHGNet 0.4.2 labels of data/md_set (frames no shipped potential was trained on)",
        "all": errors(everything),
        "conditions": conditions,
        "segments": segments,
    }
    atomic_write_text(out, json.dumps(result, indent=1))
    print(table(result))


if __name__ == "__main__":
    main()
