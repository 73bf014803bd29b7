"""The MD training set of the LMNTO example (issue #10): >= 4,000 CHGNet-labelled frames of
the 56-atom Li8Mo2Ni7Ti7O32 cell that sample what 400 K NVE visits and a margin around it.

The set is a list of *segments*; each is one cation decoration (a seed), one temperature and
one isotropic strain of the relaxed cell. A segment relaxes its decoration's atoms in the
strained cell (FIRE, fixed cell), runs Langevin MD (1 fs, friction 0.01/fs), discards
``--equilibrate`` fs and then keeps a frame every ``--spacing`` fs (default 20 fs: frames
are decorrelated at >= 20 fs, see data/README.md). Hot (1,200 K) and compressed (-4 %)
segments add close cation-O and O-O contacts for the short-range wall.

Resumable and cheap to interrupt: every finished segment is written atomically as
``<out>/seg_<k>.extxyz.gz`` with its provenance in ``<out>/provenance.json``; a rerun skips
the segments already there. At most one core is used (``torch.set_num_threads(1)``); run it
under ``nice``:

    nice -n 19 python examples/lmnto/generate_md_set.py --out examples/lmnto/data/md_set

Several such processes may share one ``--out`` (one per free core): each segment is claimed
with an exclusive lock on ``seg_<k>.lock`` (released when its process ends, however it
ends), and ``provenance.json`` is re-read and updated under a lock, so the workers never run
the same segment nor drop each other's records.  A segment's frames depend only on its own
seed, not on which worker ran it.

Needs the optional extra: pip install ".[chgnet]".
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RELAXED = HERE / "data" / "lmnto56_relaxed.extxyz"

# (temperature K, isotropic strain) pairs; cycled over decorations.  400 K and its
# neighbourhood dominate (the NVE runs start at 400 K), the rest is the margin.
CONDITIONS = [
    (400.0, 0.0),
    (300.0, 0.0),
    (500.0, 0.0),
    (600.0, 0.0),
    (400.0, 0.02),
    (400.0, -0.02),
    (700.0, 0.0),
    (900.0, 0.0),
    (500.0, 0.02),
    (500.0, -0.02),
    (1200.0, 0.0),
    (600.0, -0.04),
]


def chgnet_calculator():
    """CHGNet (bundled weights, CPU) as an ASE calculator of energies and forces only: MD and
    labelling need no stress or magnetic moments, and skipping the stress backward pass
    halves the time per step (same energies and forces)."""
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    class EnergyForces(CHGNetCalculator):
        implemented_properties = ["energy", "free_energy", "forces"]

        def calculate(self, atoms=None, properties=None, system_changes=None):
            super().calculate(atoms, properties, system_changes, task="ef")

    return EnergyForces(model=CHGNet.load(verbose=False), use_device="cpu")


def segments(n_decorations: int, frames_per_segment: int, base_seed: int) -> list[dict]:
    out = []
    nc = len(CONDITIONS)
    for k in range(n_decorations * nc // 2):
        temperature, strain = CONDITIONS[k % nc]
        decoration = (k + 2 * (k // nc)) % n_decorations  # no (decoration, condition) pair twice
        out.append(
            {
                "index": k,
                "decoration_seed": base_seed + decoration,
                "temperature_K": temperature,
                "strain": strain,
                "frames": frames_per_segment,
                "md_seed": base_seed * 1000 + k,
            }
        )
    return out


def decorate(relaxed, seed: int):
    """The relaxed cell with its cation species permuted (seed 0 keeps the relaxed order)."""
    atoms = relaxed.copy()
    if seed % 1000 == 0:
        return atoms
    rng = np.random.default_rng(seed)
    symbols = np.array(atoms.get_chemical_symbols())
    cations = np.flatnonzero(symbols != "O")
    symbols[cations] = symbols[cations][rng.permutation(len(cations))]
    atoms.set_chemical_symbols(list(symbols))
    return atoms


def run_segment(seg: dict, relaxed, calc, equilibrate_fs: int, spacing_fs: int, progress: bool):
    from ase import units
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from ase.optimize import FIRE
    from tqdm import tqdm

    atoms = decorate(relaxed, seg["decoration_seed"])
    atoms.set_cell(atoms.cell * (1.0 + seg["strain"]), scale_atoms=True)
    atoms.calc = calc
    FIRE(atoms, logfile=None).run(fmax=0.1, steps=300)
    rng = np.random.default_rng(seg["md_seed"])
    MaxwellBoltzmannDistribution(atoms, temperature_K=seg["temperature_K"], rng=rng)
    Stationary(atoms)
    dyn = Langevin(atoms, 1.0 * units.fs, temperature_K=seg["temperature_K"], friction=0.01 / units.fs, rng=rng)
    dyn.run(equilibrate_fs)
    frames = []
    for k in tqdm(range(seg["frames"]), desc=f"segment {seg['index']}", disable=not progress):
        dyn.run(spacing_fs)
        frame = atoms.copy()
        frame.calc = SinglePointCalculator(frame, energy=atoms.get_potential_energy(), forces=atoms.get_forces())
        frame.info.update(
            {
                "segment": seg["index"],
                "time_fs": equilibrate_fs + (k + 1) * spacing_fs,
                "temperature_K": seg["temperature_K"],
                "strain": seg["strain"],
                "decoration_seed": seg["decoration_seed"],
            }
        )
        frames.append(frame)
    return frames


def write_atomic(path: Path, frames) -> None:
    import ase.io

    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".extxyz.gz")
    os.close(fd)
    ase.io.write(tmp, frames, format="extxyz")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def claim(path: Path):
    """An open lock file holding an exclusive lock on ``path``'s segment, or None when another
    process holds it."""
    handle = open(path.with_suffix("").with_suffix(".lock"), "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def record(prov_path: Path, fresh: dict, name: str, entry: dict) -> None:
    """Adds ``entry`` under ``segments[name]`` of provenance.json, re-read under a lock (other
    workers may have added theirs since), and rewrites it atomically."""
    with open(prov_path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        provenance = json.loads(prov_path.read_text()) if prov_path.exists() else fresh
        provenance["segments"][name] = entry
        tmp = prov_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(provenance, indent=1))
        os.replace(tmp, prov_path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for seg_<k>.extxyz.gz and provenance.json")
    parser.add_argument("--seed", type=int, default=4000)
    parser.add_argument("--decorations", type=int, default=8)
    parser.add_argument("--frames-per-segment", type=int, default=84)
    parser.add_argument("--equilibrate", type=int, default=300, help="fs discarded at the start of a segment")
    parser.add_argument("--spacing", type=int, default=20, help="fs between kept frames (>= 20)")
    parser.add_argument("--only", type=int, nargs="*", help="segment indices to run (default: all)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.spacing < 20:
        parser.error("--spacing must be >= 20 fs (frames closer than that are correlated)")

    import ase.io
    import torch
    from chgnet import __version__ as chgnet_version

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    relaxed = ase.io.read(RELAXED)

    calc = chgnet_calculator()
    plan = segments(args.decorations, args.frames_per_segment, args.seed)
    prov_path = out / "provenance.json"
    fresh = {
        "method": f"CHGNet {chgnet_version} (bundled pretrained weights)",
        "composition": "Li8Mo2Ni7Ti7O32",
        "start": "data/lmnto56_relaxed.extxyz, cations permuted per decoration_seed (seed % 1000 == 0: as relaxed)",
        "relaxation": "FIRE, fixed (strained) cell, fmax 0.1 eV/Å, <= 300 steps",
        "md": {"ensemble": "Langevin", "timestep_fs": 1.0, "friction_per_fs": 0.01, "equilibrate_fs": args.equilibrate, "frame_spacing_fs": args.spacing},
        "seed": args.seed,
        "python": platform.python_version(),
        "segments": {},
    }
    for seg in plan:
        if args.only is not None and seg["index"] not in args.only:
            continue
        path = out / f"seg_{seg['index']:03d}.extxyz.gz"
        if path.exists():
            continue
        lock = claim(path)
        if lock is None:  # another worker is on it
            continue
        try:
            if path.exists():  # finished by another worker since the check above
                continue
            started = time.time()
            frames = run_segment(seg, relaxed, calc, args.equilibrate, args.spacing, not args.no_progress)
            write_atomic(path, frames)
            entry = {**seg, "chgnet_task": "ef", "seconds": round(time.time() - started, 1), "generated": time.strftime("%Y-%m-%d %H:%M:%S")}
            record(prov_path, fresh, path.name, entry)
            print(f"{path.name}: {len(frames)} frames, {time.time() - started:.0f} s", flush=True)
        finally:
            lock.close()


if __name__ == "__main__":
    main()
