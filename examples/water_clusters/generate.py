"""Generate (H2O)6 reference data by GFN2-xTB molecular dynamics (optional extra: pip install ".[xtb]").

A water hexamer (six molecules on a ring, relaxed with GFN2-xTB) is run with Langevin MD
(ASE, 0.5 fs step, friction 0.01/fs) at 300 K and at 800 K.  A soft spherical restraint
keeps the cluster together: a flat-bottom harmonic wall on the O atoms,

    E_wall = ½ k Σ_O max(0, |r_O − c| − R)²,   c = centroid of the O atoms,

(R = 4.0 Å, k = 2.0 eV/Å² by default; translation-invariant, so it exerts no net force).
The wall only steers the dynamics: every stored frame is labelled with the *pure* GFN2-xTB
energy (eV) and forces (eV/Å), never with the wall's share.  After an equilibration block
a frame is written every --every steps (default 30 steps = 15 fs).

Four independent trajectories (own seeds, own Maxwell-Boltzmann velocities):
``pool_300K``/``pool_800K`` (training pool: training sets and the test set come from it)
and ``validation_300K``/``validation_800K`` (the independent validation set).  Output:

    data/pool.extxyz.gz        2 × --pool-frames frames (300 K block, then 800 K block)
    data/validation.extxyz.gz  2 × --validation-frames frames
    data/provenance.json       method, tblite version, temperatures, step, spacing, wall, seeds

    OMP_NUM_THREADS=1 python examples/water_clusters/generate.py --out examples/water_clusters/data

Always set OMP_NUM_THREADS=1: tblite with threads is far slower on small machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

RADIUS = 4.0  # Å, flat-bottom radius of the O wall around the O centroid
K_WALL = 2.0  # eV/Å²
TIMESTEP_FS = 0.5
FRICTION_PER_FS = 0.01
EVERY = 30  # steps between frames (15 fs)
EQUILIBRATION_STEPS = 4000  # 2 ps
METHOD = "GFN2-xTB"


# ---------------------------------------------------------------------------- the restraint
def wall_energy_forces(positions: np.ndarray, restrained: np.ndarray, radius: float = RADIUS, k: float = K_WALL) -> tuple[float, np.ndarray]:
    """Flat-bottom harmonic wall ½k Σ max(0, d_i − R)² on the ``restrained`` atoms (indices),
    d_i = distance of atom i from the centroid of the restrained atoms.  Returns the energy (eV)
    and the forces (eV/Å) on all atoms (zero on unrestrained atoms; they sum to zero)."""
    forces = np.zeros_like(positions, dtype=float)
    r = positions[restrained]
    centre = r.mean(axis=0)
    vec = r - centre
    dist = np.linalg.norm(vec, axis=1)
    excess = np.clip(dist - radius, 0.0, None)
    energy = 0.5 * k * float(np.sum(excess**2))
    if energy == 0.0:
        return 0.0, forces
    unit = vec / np.where(dist > 0, dist, 1.0)[:, None]
    g = (k * excess)[:, None] * unit  # dE/dr_i through d_i directly
    grad = g - g.sum(axis=0) / len(restrained)  # plus the centroid's dependence on every r_j
    forces[restrained] = -grad
    return energy, forces


def make_restrained_calculator(base, radius: float = RADIUS, k: float = K_WALL, species: str = "O"):
    """An ASE calculator = ``base`` + the O wall.  The pure ``base`` results of the last call
    are kept in ``.label_energy`` / ``.label_forces`` (these are the labels; the wall never is)."""
    from ase.calculators.calculator import Calculator, all_changes

    class RestrainedCalculator(Calculator):
        implemented_properties = ["energy", "forces"]

        def __init__(self):
            super().__init__()
            self.base = base
            self.radius, self.k, self.species = radius, k, species
            self.label_energy = None
            self.label_forces = None
            self.wall_energy = 0.0

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            probe = self.atoms.copy()
            probe.calc = self.base
            e = probe.get_potential_energy()
            f = probe.get_forces()
            restrained = np.array([i for i, s in enumerate(self.atoms.get_chemical_symbols()) if s == self.species])
            ew, fw = wall_energy_forces(self.atoms.get_positions(), restrained, self.radius, self.k)
            self.label_energy, self.label_forces, self.wall_energy = float(e), f.copy(), ew
            self.results = {"energy": e + ew, "forces": f + fw}

    return RestrainedCalculator()


# ---------------------------------------------------------------------------- structures
def initial_hexamer(rng: np.random.Generator, ring_radius: float = 2.75):
    """Six water molecules with O on a hexagon (O–O ≈ 2.75 Å), random orientations."""
    from ase import Atoms
    from ase.build import molecule
    from scipy.spatial.transform import Rotation

    water = molecule("H2O")
    water.positions -= water.positions[0]  # O at the origin
    atoms = Atoms()
    for k in range(6):
        phi = 2 * np.pi * k / 6
        centre = ring_radius * np.array([np.cos(phi), np.sin(phi), 0.3 * (-1) ** k])
        w = water.copy()
        w.positions = Rotation.random(random_state=int(rng.integers(2**31))).apply(w.positions) + centre
        atoms += w
    return atoms


def xtb_calculator():
    from tblite.ase import TBLite

    return TBLite(method=METHOD, verbosity=0)


def free_atom_energies() -> dict[str, float]:
    """GFN2-xTB energies (eV) of the free H (doublet) and O (triplet) atoms."""
    from ase import Atoms
    from tblite.ase import TBLite

    out = {}
    for symbol, multiplicity in (("O", 3), ("H", 2)):
        a = Atoms(symbol, positions=[[0, 0, 0]])
        a.calc = TBLite(method=METHOD, verbosity=0, multiplicity=multiplicity)
        out[symbol] = float(a.get_potential_energy())
    return out


def relax(atoms, fmax: float = 0.02):
    from ase.optimize import BFGS

    atoms = atoms.copy()
    atoms.calc = make_restrained_calculator(xtb_calculator())
    BFGS(atoms, logfile=None).run(fmax=fmax, steps=1000)
    return atoms


def trajectory(start, temperature: float, seed: int, frames: int, every: int, equilibration: int, label: str, bar_position: int = 0):
    """Langevin MD from ``start``; returns ``frames`` frames (pure GFN2-xTB labels)."""
    from ase import units
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary, ZeroRotation
    from tqdm import tqdm

    atoms = start.copy()
    calc = make_restrained_calculator(xtb_calculator())
    atoms.calc = calc
    rng = np.random.default_rng(seed)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
    Stationary(atoms)
    ZeroRotation(atoms)
    dyn = Langevin(atoms, timestep=TIMESTEP_FS * units.fs, temperature_K=temperature, friction=FRICTION_PER_FS / units.fs, rng=rng)
    out = []
    wall_hits = 0
    with tqdm(total=equilibration + frames * every, desc=f"{label} ({temperature:g} K)", unit="step", position=bar_position, mininterval=2.0) as bar:
        for _ in range(equilibration // 100):
            dyn.run(100)
            bar.update(100)
        for n in range(frames):
            dyn.run(every)
            bar.update(every)
            calc.get_potential_energy(atoms)  # current step's labels (cached: no new call)
            frame = atoms.copy()
            frame.calc = SinglePointCalculator(frame, energy=calc.label_energy, forces=calc.label_forces)
            t_fs = (equilibration + (n + 1) * every) * TIMESTEP_FS
            frame.info.update({"trajectory": label, "temperature_K": float(temperature), "time_fs": t_fs, "seed": int(seed), "method": METHOD})
            wall_hits += calc.wall_energy > 0
            out.append(frame)
    return out, wall_hits


def tblite_version() -> str:
    from importlib.metadata import version

    return version("tblite")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--pool-frames", type=int, default=1100, help="frames per training-pool trajectory")
    parser.add_argument("--validation-frames", type=int, default=1000, help="frames per validation trajectory")
    parser.add_argument("--every", type=int, default=EVERY, help="MD steps between frames")
    parser.add_argument("--equilibration", type=int, default=EQUILIBRATION_STEPS, help="MD steps discarded first")
    args = parser.parse_args(argv)
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("warning: set OMP_NUM_THREADS=1 (tblite is much slower with threads on small machines)")

    import ase.io

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    start = relax(initial_hexamer(rng))
    ase.io.write(out / "hexamer_relaxed.extxyz", start)
    runs = [
        ("pool", 300.0, args.pool_frames),
        ("pool", 800.0, args.pool_frames),
        ("validation", 300.0, args.validation_frames),
        ("validation", 800.0, args.validation_frames),
    ]
    frames = {"pool": [], "validation": []}
    seeds = {}
    hits = {}
    for k, (purpose, temperature, n) in enumerate(runs):
        seed = args.seed * 100 + k + 1
        label = f"{purpose}_{temperature:g}K"
        seeds[label] = seed
        traj, hits[label] = trajectory(start, temperature, seed, n, args.every, args.equilibration, label)
        frames[purpose].extend(traj)
    for purpose, fr in frames.items():
        ase.io.write(out / f"{purpose}.extxyz.gz", fr, format="extxyz")
    provenance = {
        "method": METHOD,
        "code": f"tblite {tblite_version()} (ASE calculator tblite.ase.TBLite)",
        "labels": "pure GFN2-xTB total energy (eV) and forces (eV/Å); the wall restraint is not included",
        "free_atom_energies_eV": free_atom_energies(),
        "system": "(H2O)6, isolated (no cell, no periodic boundaries)",
        "start": "six H2O with O on a hexagon (radius 2.75 Å), random orientations (seed), BFGS-relaxed with "
        "GFN2-xTB + wall to fmax 0.02 eV/Å (hexamer_relaxed.extxyz)",
        "md": {
            "integrator": "ASE Langevin",
            "timestep_fs": TIMESTEP_FS,
            "friction_per_fs": FRICTION_PER_FS,
            "equilibration_steps": args.equilibration,
            "frame_every_steps": args.every,
            "frame_spacing_fs": args.every * TIMESTEP_FS,
            "initial_velocities": "Maxwell-Boltzmann, zero momentum and angular momentum",
        },
        "restraint": {
            "form": "0.5*k*sum_O max(0, |r_O - c| - R)^2, c = centroid of the O atoms",
            "R_angstrom": RADIUS,
            "k_eV_per_A2": K_WALL,
            "frames_with_wall_active": hits,
        },
        "trajectories": [{"name": f"{p}_{t:g}K", "purpose": p, "temperature_K": t, "frames": n, "seed": seeds[f"{p}_{t:g}K"]} for p, t, n in runs],
        "files": {"pool.extxyz.gz": len(frames["pool"]), "validation.extxyz.gz": len(frames["validation"])},
        "seed": args.seed,
        "wall_seconds": round(time.time() - t0, 1),
        "python": platform.python_version(),
        "command": "OMP_NUM_THREADS=1 python examples/water_clusters/generate.py " + " ".join(argv or []),
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=1))
    print(json.dumps(provenance["files"]))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
