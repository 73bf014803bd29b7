"""``python -m export``: predict with, convert and locate taylorann potentials.

Sub-commands: predict, nnascii, nnbinary, torchscript, lammps-data, tinker-input, tinker-info,
repulsion
(``python -m export -h``).
"""

from __future__ import annotations

import argparse
import sys

from trainer.errors import InputFileError
from trainer.native import NativeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m export", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="energies (and forces) of structures")
    p.add_argument(
        "--potential",
        nargs="+",
        required=True,
        help="one potential file per species (.nn.ascii or ænet binary .nn, told apart by content; species order = file order), or one .pt model",
    )
    p.add_argument("--structures", nargs="+", required=True, help="XSF or any ase.io-readable files")
    p.add_argument("--forces", action="store_true", help="also compute forces (eV/Å)")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    p.add_argument("--legacy-angular", action="store_true", help="pre-2019 ænet angular domain [0, pi] (potentials trained with ænet <= 2.0.3)")
    p.add_argument(
        "--backend",
        choices=("native", "torch"),
        default="native",
        help="native: the C++ core that LAMMPS and Tinker run (default); torch: the independent PyTorch evaluator (differentiable reference, slow)",
    )

    n = sub.add_parser("nnascii", help="write one <El>.nn.ascii per species from a run, checkpoint or binary .nn files")
    n.add_argument("source", nargs="+", help="training run folder or checkpoint file, or potential files (binary .nn or .nn.ascii, one per species)")
    n.add_argument("-o", "--output", required=True, help="output folder")

    b = sub.add_parser("nnbinary", help="write one ænet binary <El>.nn per species (for ænet's own tools)")
    b.add_argument("source", nargs="+", help="training run folder or checkpoint file, or .nn.ascii files (one per species)")
    b.add_argument("-o", "--output", required=True, help="output folder")

    t = sub.add_parser("torchscript", help="write a self-describing TorchScript model")
    t.add_argument("source", nargs="+", help="training run folder, checkpoint file, or .nn.ascii files (one per species)")
    t.add_argument("-o", "--output", required=True, help="output .pt file")
    t.add_argument("--legacy-angular", action="store_true", help="with .nn.ascii sources: pre-2019 angular domain")

    d = sub.add_parser("lammps-data", help="write a LAMMPS data file (atom_style atomic) from a structure file")
    d.add_argument("structure", help="XSF or any ase.io-readable file (first frame)")
    d.add_argument("-o", "--output", required=True, help="output data file")
    d.add_argument("--species", nargs="+", required=True, help="species of atom types 1, 2, ... (as in pair_coeff)")

    t = sub.add_parser("tinker-input", help="Tinker PREFIX.xyz, PREFIX.key, PREFIX.prm for a structure and potential")
    t.add_argument("structure", help="XSF or any ase.io-readable file (its first structure)")
    t.add_argument("--potential", nargs="+", required=True, help="one .nn.ascii per species, or one .pt model")
    t.add_argument("-o", "--output", required=True, help="prefix of the three files")
    sub.add_parser("tinker-info", help="where the Tinker interface and core library are, and the link line")
    r = sub.add_parser("repulsion", help="a ZBL repulsive core below the training data's shortest distances (JSON + LAMMPS lines)")
    r.add_argument("--structures", nargs="+", required=True, help="the training structures (XSF, extxyz, ... any ase.io-readable files)")
    r.add_argument("--species", nargs="+", required=True, help="species of LAMMPS atom types 1, 2, ... (as in pair_coeff)")
    r.add_argument("--width", type=float, default=0.5, help="Å between the switching's inner and outer radius (default 0.5)")
    r.add_argument("--potential", nargs="+", default=["FILES..."], help="potential files for the printed pair_coeff line")
    r.add_argument("-o", "--output", required=True, help="output JSON (for TaylorannCalculator(repulsion=...))")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "predict":
            from .predict import run_predict

            run_predict(args.potential, args.structures, args.forces, args.json, args.legacy_angular, backend=args.backend)
        elif args.command == "nnascii":
            from .commands import export_nnascii

            export_nnascii(args.source, args.output)
        elif args.command == "nnbinary":
            from .commands import export_nnbinary

            export_nnbinary(args.source, args.output)
        elif args.command == "torchscript":
            from .commands import export_torchscript

            export_torchscript(args.source, args.output, args.legacy_angular)
        elif args.command == "lammps-data":
            from trainer.readers import read_structures

            from .lammps_data import write_lammps_data

            structure = read_structures(args.structure)[0]
            write_lammps_data(structure, args.output, args.species)
            print(f"wrote {args.output}: {structure.natoms} atoms, types " + " ".join(f"{k + 1}={s}" for k, s in enumerate(args.species)))
        elif args.command == "tinker-input":
            from trainer.readers import read_structures

            from .tinker_input import write_tinker_input

            structure = read_structures(args.structure)[0]
            for path in write_tinker_input(structure, args.potential, args.output):
                print(f"wrote {path}")
        elif args.command == "repulsion":
            import json

            from trainer.readers import read_structures
            from trainer.repulsion import from_training_data

            if not args.width > 0:
                raise ValueError(f"--width: expected a positive length in Å, got {args.width}")
            structures = [s for path in args.structures for s in read_structures(path)]
            core = from_training_data(structures, args.species, width=args.width)
            with open(args.output, "w") as fh:
                fh.write(json.dumps(core.to_json(), indent=1) + "\n")
            print(f"wrote {args.output}; in LAMMPS:")
            print("\n".join(core.lammps_commands(args.species, " ".join(args.potential))))
        elif args.command == "tinker-info":
            from .commands import tinker_info

            tinker_info()
    except (InputFileError, NativeError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
