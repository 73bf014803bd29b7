"""Generate LMNTO reference data with CHGNet (optional extra: pip install ".[chgnet]").

Li8Mo2Ni7Ti7O32: a 2×2×2 rock-salt cell (a0 = 4.15 Å, 32 cation + 32 anion sites); the
24 metals are placed at random on the 32 cation sites (8 vacancies).  The lowest-energy
of --decorations random decorations is relaxed (FIRE + cell filter), then Langevin MD
at --temperature K (1 fs step, friction 0.01/fs) writes a frame every --every steps with
CHGNet's energy (eV) and forces (eV/Å).  Provenance goes to <out>.provenance.json.

    python examples/lmnto/generate.py --out data/lmnto56_400K_new.extxyz --frames 700

This is how data/lmnto56_400K_run{A,B}.extxyz.gz were made (see data/README.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

COMPOSITION = {"Li": 8, "Mo": 2, "Ni": 7, "Ti": 7}
A0 = 4.15


def rocksalt_sites(a0: float = A0, repeat: int = 2):
    """Cation and anion positions of a repeat³ conventional rock-salt cell."""
    fcc = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    shifts = np.array([[i, j, k] for i in range(repeat) for j in range(repeat) for k in range(repeat)])
    cations = (fcc[None, :, :] + shifts[:, None, :]).reshape(-1, 3) * a0
    anions = cations + np.array([0.5, 0.0, 0.0]) * a0
    return cations, anions, np.eye(3) * a0 * repeat


def decoration(rng: np.random.Generator):
    from ase import Atoms

    cations, anions, cell = rocksalt_sites()
    metals = [el for el, n in COMPOSITION.items() for _ in range(n)]
    chosen = rng.choice(len(cations), size=len(metals), replace=False)
    symbols = [metals[k] for k in rng.permutation(len(metals))] + ["O"] * len(anions)
    positions = np.concatenate([cations[chosen], anions])
    return Atoms(symbols=symbols, positions=positions, cell=cell, pbc=True)


def relax(atoms, calc, fmax: float):
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    atoms = atoms.copy()
    atoms.calc = calc
    FIRE(FrechetCellFilter(atoms), logfile=None).run(fmax=fmax, steps=2000)
    return atoms


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output .extxyz (a .gz suffix compresses)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--decorations", type=int, default=20)
    parser.add_argument("--fmax", type=float, default=0.05, help="relaxation force criterion (eV/Å)")
    parser.add_argument("--temperature", type=float, default=400.0)
    parser.add_argument("--frames", type=int, default=700)
    parser.add_argument("--every", type=int, default=10, help="MD steps (1 fs) between frames")
    parser.add_argument("--start", help="start from this structure instead of searching decorations")
    args = parser.parse_args(argv)

    import ase.io
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from chgnet import __version__ as chgnet_version
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator
    from tqdm import tqdm

    rng = np.random.default_rng(args.seed)
    calc = CHGNetCalculator(model=CHGNet.load(), use_device="cpu")
    started = time.time()
    if args.start:
        atoms = ase.io.read(args.start)
        atoms.calc = calc
    else:
        best = None
        for _ in tqdm(range(args.decorations), desc="decorations"):
            candidate = decoration(rng)
            candidate.calc = calc
            energy = candidate.get_potential_energy()
            if best is None or energy < best[0]:
                best = (energy, candidate)
        atoms = relax(best[1], calc, args.fmax)
    atoms.calc = calc
    MaxwellBoltzmannDistribution(atoms, temperature_K=args.temperature, rng=rng)
    Stationary(atoms)
    dyn = Langevin(atoms, 1.0 * units.fs, temperature_K=args.temperature, friction=0.01 / units.fs, rng=rng)
    frames = []
    for k in tqdm(range(args.frames), desc="MD frames"):
        dyn.run(args.every)
        frame = atoms.copy()
        frame.calc = None
        frame.info.update(
            {"time_fs": (k + 1) * args.every, "temperature_K": args.temperature, "decoration_seed": args.seed, "method": f"CHGNet {chgnet_version}"}
        )
        from ase.calculators.singlepoint import SinglePointCalculator

        frame.calc = SinglePointCalculator(frame, energy=atoms.get_potential_energy(), forces=atoms.get_forces())
        frames.append(frame)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ase.io.write(out, frames)
    provenance = {
        "method": f"CHGNet {chgnet_version} (bundled pretrained weights)",
        "composition": "Li8Mo2Ni7Ti7O32",
        "lattice": f"2x2x2 rock salt, a0 = {A0} Å, random cation decoration with 8 vacancies",
        "seed": args.seed,
        "decorations_tried": 0 if args.start else args.decorations,
        "start": args.start,
        "relaxation": f"FIRE + FrechetCellFilter, fmax {args.fmax} eV/Å",
        "md": {
            "ensemble": "Langevin",
            "temperature_K": args.temperature,
            "timestep_fs": 1.0,
            "friction_per_fs": 0.01,
            "frame_spacing_fs": args.every,
            "frames": args.frames,
        },
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
        "seconds": round(time.time() - started, 1),
        "python": platform.python_version(),
    }
    Path(str(out) + ".provenance.json").write_text(json.dumps(provenance, indent=1))
    print(json.dumps(provenance, indent=1))


if __name__ == "__main__":
    main()
