"""``python -m trainer``: train, init (example config), evaluate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXAMPLE_CONFIG = """\
# taylorann training configuration (python -m trainer train THIS_FILE)
# Paths are relative to this file. Every key is optional unless marked (required).
output: runs/tio2-taylor          # run folder: checkpoint.pt, metrics.csv, potential/, model.pt, figures/
seed: 1                           # fixes split, initial weights and displacements
data:
  train: [data/*.xsf]             # (required) files or glob patterns: XSF or any ase.io format with energies (+ forces)
  reference_energies: {Ti: -1604.604515075, O: -432.503149303}  # (required) free-atom eV; fixes species order
  test: []                        # explicit test files; otherwise test_fraction of train
  test_fraction: 0.1              # picks the best epoch (as in the paper)
  validation: []                  # reported only, never used for selection
  min_distance: 0.1               # Å: atoms closer than this (periodic images too) are an input error; 0 = off
  max_structures: null            # cap on training structures
descriptor:
  type: chebyshev                 # chebyshev (Artrith-Urban-Ceder, as aenet) | behler2011
  radial_cutoff: 6.5              # Å
  radial_order: 20
  angular_cutoff: 3.5             # Å (<= radial_cutoff)
  angular_order: 2                # -1: no angular part
  # behler2011 instead:  preset: morawietz_water    (27 H / 30 O functions of Morawietz et al.)
  # or functions: {O: [{kind: G2, neighbours: [H], cutoff: 6.35, eta: 0.036, rs: 0.0}, ...], H: [...]}
network:
  hidden: [20, 20]                # hidden layer sizes; input = descriptor size, output = 1
  activation: tanh                # tanh | sigmoid | mtanh | twist | linear
training:
  mode: taylor                    # energy | taylor | forces
  optimizer: lbfgs                # lbfgs (full batch, as aenet) | adam (mini-batch)
  epochs: 100
  learning_rate: 0.001            # adam only
  batch_size: 32                  # adam only: structures per mini-batch
  checkpoint_every: 10            # epochs between checkpoints (always at the end)
  force_metrics_every: 10         # epochs between force metrics
  threads: 1                      # torch intra-op threads
  max_seconds: null               # stop once the epochs' training time adds up to this (s)
  selection: test_energy          # exported epoch: test_energy (lowest test energy RMSE, as aenet) | last
taylor:
  strategy: random                # random (paper's B) | cartesian (paper's A)
  delta: 0.02                     # Å: delta_max (random) or delta (cartesian)
  delta_per_species: {}           # e.g. {O: 0.01}
  multiple: 10                    # random: displaced structures per reference ("a")
  atoms_per_structure: null       # cartesian: atoms displaced per reference (null = all)
  displacements: null             # cartesian: single-atom moves (atom, axis, +/-) drawn per reference, the paper's a (null = all)
  axes: [x, y, z]                 # cartesian: directions (each gives +delta and -delta)
  force_threshold: 0.0            # eV/Å: displace only atoms with |F| above
  skip_below: 0.0                 # eV/Å: skip references whose max |F| is below
  sampling: fixed                 # fixed (drawn once, paper) | resample (every epoch)
forces:
  weight: 0.1                     # loss = E term + weight * F term (normalized units)
  fraction: 1.0                   # random fraction of force components per epoch
  jacobian_memory_gb: 4.0         # cached descriptor derivatives up to this size; beyond: recomputed per chunk
  jacobian_dtype: float64         # float64 | float32 (half the memory and traffic; forces in the loss to ~1e-7)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a potential from a YAML config")
    t.add_argument("config", help="YAML configuration (python -m trainer init writes an example)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR (same config)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    i = sub.add_parser("init", help="write a commented example configuration")
    i.add_argument("path", nargs="?", default="taylorann.yaml")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    e = sub.add_parser("evaluate", help="errors of a trained potential on structures")
    e.add_argument("run", help="run folder or checkpoint file")
    e.add_argument("--structures", nargs="+", required=True, help="files with reference energies (and forces)")
    e.add_argument("--json", action="store_true", help="print JSON")
    c = sub.add_parser("committee", help="committee disagreement (energy and force spread) on structures, e.g. MD frames")
    c.add_argument("--member", action="append", required=True, metavar="PATH", help="a potential folder (*.nn.ascii) or file (.pt); give it twice or more")
    c.add_argument("--structures", nargs="+", required=True, help="structure files (XSF, extxyz, LAMMPS dump, any ase.io format)")
    c.add_argument("--select", type=int, default=0, metavar="K", help="write the K frames of largest maximum force spread to --write")
    c.add_argument("--threshold", type=float, default=0.0, metavar="EV_PER_A", help="select only frames whose maximum force spread exceeds this")
    c.add_argument("--write", metavar="FILE", help="the selected frames (extxyz), to be labelled (e.g. by DFT) and added to the training set")
    c.add_argument("--json", metavar="FILE", help="write every frame's spread (with the per-atom force spread) as JSON")
    c.add_argument("--legacy-angular", action="store_true", help="members written by aenet <= 2.0.3")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from .config import ConfigError
    from .errors import InputFileError
    from .native import NativeError

    try:
        if args.command == "init":
            path = Path(args.path)
            if path.exists() and not args.force:
                raise ConfigError(f"{path} exists; use --force to overwrite")
            path.write_text(EXAMPLE_CONFIG)
            print(f"wrote {path}")
        elif args.command == "train":
            return _train(args)
        elif args.command == "evaluate":
            _evaluate(args)
        elif args.command == "committee":
            _committee(args)
    except (ConfigError, InputFileError, NativeError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _train(args) -> int:
    from .config import load_config
    from .loop import Run

    from .config import ConfigError

    config = load_config(args.config)
    if args.resume:
        config.output = str(Path(args.resume).resolve())
    try:
        summary = Run(config, resume=bool(args.resume), progress=False if args.no_progress else None).run()
    except ConfigError as exc:  # found while reading the data the config names: name the config too
        raise ConfigError(f"{args.config}: {exc}") from None
    if summary:  # under torchrun only rank 0 reports
        print(json.dumps(summary, indent=1))
    return 0


def _evaluate(args) -> None:
    from .checkpoint import load_model_from_run
    from .metrics import predict_structures, summarize
    from .readers import read_many

    model = load_model_from_run(args.run)
    structures = read_many(args.structures)
    result = summarize(predict_structures(model, structures, forces=all(s.forces is not None for s in structures)))
    result["n_structures"] = len(structures)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for k, v in result.items():
            print(f"{k:24s} {v}")


def _committee(args) -> None:
    from .atomic_io import atomic_write_extxyz, atomic_write_text
    from .committee import Committee, select
    from .readers import read_many

    if args.select and not args.write:
        raise ValueError("--select needs --write FILE")
    committee = Committee(args.member, legacy_angular=args.legacy_angular)
    structures = read_many(args.structures)
    spreads = committee.evaluate(structures)
    print(f"# {len(committee.members)} members, {len(structures)} frames")
    print(f"# {'frame':<40s} {'natoms':>6s} {'E std meV/atom':>14s} {'max sigma_F':>11s} {'mean sigma_F':>12s} {'extrap.':>7s}")
    for s in spreads:
        print(f"  {s.name[-40:]:<40s} {s.natoms:6d} {s.energy_std:14.4f} {s.force_std_max:11.4f} {s.force_std_mean:12.4f} {s.extrapolating_atoms:7d}")
    chosen = select(spreads, args.select, args.threshold) if args.select else []
    if args.write:
        atomic_write_extxyz(args.write, [structures[k].to_ase() for k in chosen])
        print(f"# selected {len(chosen)} frames (largest maximum force spread) -> {args.write}")
    if args.json:
        doc = {"members": committee.members, "frames": [s.to_json(per_atom=True) for s in spreads], "selected": chosen}
        atomic_write_text(args.json, json.dumps(doc, indent=1) + "\n")
