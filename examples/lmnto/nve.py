"""NVE energy conservation of the 224-atom LMNTO cell in LAMMPS (the paper's Fig. 10 test).

The 2×2×1 cell (Li32Mo8Ni28Ti28O128) is equilibrated at 400 K (Langevin, 2 ps by
default), then run in NVE with a 1 fs step.  The total energy's linear drift
(meV/atom/ps) and fluctuation (standard deviation, meV/atom) are measured.

    python examples/lmnto/nve.py --ps 100 --out DIR [--potential FILES... --label NAME]...

Without --potential the shipped potential (examples/lmnto/potential/: Fig. 10 forces_s1,
direct force training) is used; --repulsion FILE adds a ZBL core (LAMMPS only).  Give --potential several times (each with its --label) to compare potentials in
one figure.  Writes DIR/nve.json (keys drift_meV_per_atom_per_ps, fluctuation_meV_per_atom,
natoms, timestep_fs, steps, plus per-potential entries when comparing) and DIR/nve.png.
With --tinker-dynamic PATH (a Tinker `dynamic` executable linked with taylorann's hooks,
see tinker_interface/README.md) the same protocol also runs in Tinker: Bussi NVT at 400 K
for the equilibration, then velocity-Verlet NVE; its numbers land under
"tinker: <label>" in nve.json.  Without it Tinker is skipped (no Tinker executable is
part of the project, and none can be installed in CI).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

SPECIES = ["Li", "Mo", "Ni", "Ti", "O"]
START = HERE / "data" / "lmnto224_start.extxyz"
SHIPPED = [str(HERE / "potential" / f"{s}.nn.ascii") for s in SPECIES]


def lammps_input(
    potential: list[str],
    temperature: float,
    equilibration_steps: int,
    steps: int,
    timestep_fs: float,
    thermo_every: int,
    seed: int,
    repulsion=None,
    keep_thermostat: bool = False,
    dump_every: int = 0,
) -> str:
    """Langevin equilibration at ``temperature``, then ``steps`` of NVE (or, with
    ``keep_thermostat``, of the same Langevin NVT); ``dump_every`` > 0 writes ``dump.txt``
    (id type x y z, sorted) every that many production steps."""
    from trainer.repulsion import Repulsion

    # the ZBL core under hybrid/overlay (trainer.repulsion); none: plain pair_style taylorann
    pair = "\n".join((repulsion or Repulsion()).lammps_commands(SPECIES, " ".join(potential)))
    return f"""units           metal
atom_style      atomic
boundary        p p p
atom_modify     map array
read_data       start.data
{pair}
neighbor        1.0 bin
timestep        {timestep_fs / 1000.0}
velocity        all create {temperature} {seed} mom yes rot yes dist gaussian
fix             nve all nve
fix             bath all langevin {temperature} {temperature} 0.1 {seed + 1} zero yes
thermo          {max(equilibration_steps // 10, 1)}
run             {equilibration_steps}
{"" if keep_thermostat else "unfix           bath"}
reset_timestep  0
{f"dump            frames all custom {dump_every} dump.txt id type x y z" if dump_every > 0 else ""}
{"dump_modify     frames sort id format float %.10f" if dump_every > 0 else ""}
thermo_style    custom step time temp pe ke etotal
thermo_modify   format float %.10f
thermo          {thermo_every}
run             {steps}
"""


def parse_thermo(output: str) -> np.ndarray:
    """Rows (step, time ps, temp, pe, ke, etotal) of the NVE part."""
    part = output.split("Step          Time")[-1] if "Step          Time" in output else output
    rows = re.findall(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", part, re.M)
    return np.array([[float(v) for v in r] for r in rows])


def analyse(table: np.ndarray, natoms: int) -> dict:
    t = table[:, 1]
    e = table[:, 5] / natoms * 1000.0  # meV/atom
    slope, intercept = np.polyfit(t, e, 1)
    return {
        "drift_meV_per_atom_per_ps": float(slope),
        "fluctuation_meV_per_atom": float(np.std(e)),
        "detrended_fluctuation_meV_per_atom": float(np.std(e - (slope * t + intercept))),
        "mean_temperature_K": float(np.mean(table[:, 2])),
    }


def run_nve(
    potential: list[str],
    workdir: Path,
    ps: float,
    timestep_fs: float = 1.0,
    temperature: float = 400.0,
    equilibration_ps: float = 2.0,
    thermo_every: int = 10,
    seed: int = 4928,
    repulsion: str | None = None,
) -> tuple[dict, np.ndarray]:
    from export.lammps_data import write_lammps_data
    from trainer.readers import read_structures

    workdir.mkdir(parents=True, exist_ok=True)
    structure = read_structures(START)[0]
    write_lammps_data(structure, workdir / "start.data", SPECIES)
    steps = int(round(ps * 1000.0 / timestep_fs))
    eq = int(round(equilibration_ps * 1000.0 / timestep_fs))
    potential = [str(Path(p).resolve()) for p in potential]
    core = None
    if repulsion:
        from trainer.repulsion import Repulsion

        core = Repulsion.from_json(repulsion)
    (workdir / "in.nve").write_text(lammps_input(potential, temperature, eq, steps, timestep_fs, thermo_every, seed, core))
    proc = subprocess.run(
        ["lmp", "-in", "in.nve", "-log", "log.lammps"], cwd=workdir, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    if proc.returncode != 0:
        raise RuntimeError(f"LAMMPS failed in {workdir}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    table = parse_thermo(proc.stdout)
    if len(table) < 2 or not np.all(np.isfinite(table)):
        raise RuntimeError(f"{workdir}: no usable thermo output")
    result = analyse(table, structure.natoms)
    result.update(
        {
            "natoms": structure.natoms,
            "timestep_fs": timestep_fs,
            "steps": steps,
            "equilibration_steps": eq,
            "temperature_K": temperature,
            "potential": potential,
            "repulsion": str(Path(repulsion).resolve()) if repulsion else None,
        }
    )
    loop = re.findall(r"Loop time of (\S+) on (\d+) procs for (\d+) steps", proc.stdout)
    if loop:
        result["seconds"] = float(loop[-1][0])
    return result, table


KCAL_PER_EV = 23.0605478


def tinker_files(potential: list[str], workdir: Path) -> None:
    """lmnto.xyz/.prm/.key for Tinker through ``python -m export tinker-input``'s writer, plus the
    harness's run keywords (Bussi thermostat for the NVT part, thermo every 10 steps)."""
    from export.tinker_input import write_tinker_input
    from trainer.readers import read_structures

    _, key, _ = write_tinker_input(read_structures(START)[0], potential, workdir / "lmnto")
    key.write_text(key.read_text() + "thermostat bussi\nverbose\nprintout 10\narchive\n")


def run_tinker(
    dynamic: str, potential: list[str], workdir: Path, ps: float, timestep_fs: float = 1.0, temperature: float = 400.0, equilibration_ps: float = 2.0
) -> tuple[dict, np.ndarray]:
    """Equilibrate (NVT, Bussi) and run NVE with Tinker's dynamic; rows as parse_thermo's, in eV."""
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("lmnto.*"):
        stale.unlink()
    tinker_files([str(Path(p).resolve()) for p in potential], workdir)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    eq_steps = int(round(equilibration_ps * 1000.0 / timestep_fs))
    steps = int(round(ps * 1000.0 / timestep_fs))
    runs = [(eq_steps, "2", f" {temperature}"), (steps, "1", "")]
    output = ""
    for nsteps, ensemble, temp in runs:
        args = f"lmnto.xyz {nsteps} {timestep_fs} {max(nsteps * timestep_fs / 1000.0, 0.001)} {ensemble}{temp}"
        proc = subprocess.run([dynamic, *args.split()], cwd=workdir, capture_output=True, text=True, env=env)
        if proc.returncode != 0 or "TINKER is Unable to Continue" in proc.stdout:
            raise RuntimeError(f"Tinker dynamic failed in {workdir}:\n{proc.stdout[-3000:]}")
        output = proc.stdout
    (workdir / "nve.out").write_text(output)
    rows = re.findall(r"^\s+(\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+\S+\s*$", output, re.M)
    data = np.array([[float(v) for v in r] for r in rows])
    table = np.column_stack(
        [data[:, 0], data[:, 0] * timestep_fs / 1000.0, data[:, 4], data[:, 2] / KCAL_PER_EV, data[:, 3] / KCAL_PER_EV, data[:, 1] / KCAL_PER_EV]
    )
    result = analyse(table, 224)
    result.update(
        {
            "natoms": 224,
            "timestep_fs": timestep_fs,
            "steps": steps,
            "equilibration_steps": eq_steps,
            "temperature_K": temperature,
            "potential": potential,
            "host": "tinker",
        }
    )
    return result, table


def plot(path: Path, traces: dict[str, np.ndarray], natoms: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, table in traces.items():
        e = table[:, 5] / natoms * 1000.0
        ax.plot(table[:, 1], e - e[0], label=label, lw=0.8)
    ax.set(xlabel="time (ps)", ylabel="E_total − E_total(0) (meV/atom)", title=f"NVE, {natoms}-atom LMNTO cell, 400 K start")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ps", type=float, default=100.0, help="NVE length (ps)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--timestep", type=float, default=1.0, help="fs")
    parser.add_argument("--equilibration", type=float, default=2.0, help="ps of Langevin at 400 K before NVE")
    parser.add_argument("--potential", nargs="+", action="append", help=".nn.ascii files (Li Mo Ni Ti O order) or one .pt")
    parser.add_argument("--label", action="append", help="label of each --potential")
    parser.add_argument("--seed", type=int, default=4928, help="velocity and thermostat seed")
    parser.add_argument("--tinker-dynamic", help="Tinker dynamic executable linked with taylorann's hooks")
    parser.add_argument("--repulsion", help="ZBL core file (python -m export repulsion; e.g. potential/repulsion.json) added under hybrid/overlay")
    args = parser.parse_args(argv)
    potentials = args.potential or [SHIPPED]
    labels = args.label or ["shipped"] * (1 if not args.potential else 0)
    if len(labels) != len(potentials):
        labels = [f"potential {k + 1}" for k in range(len(potentials))]
    out = Path(args.out)
    results, traces = {}, {}
    for label, pot in zip(labels, potentials):
        slug = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
        results[label], traces[label] = run_nve(
            pot, out / slug, args.ps, args.timestep, equilibration_ps=args.equilibration, seed=args.seed, repulsion=args.repulsion
        )
        print(f"{label}: " + json.dumps({k: v for k, v in results[label].items() if k != "potential"}))
        if args.tinker_dynamic:
            tlabel = f"tinker: {label}"
            results[tlabel], traces[tlabel] = run_tinker(
                args.tinker_dynamic, pot, out / f"tinker_{slug}", args.ps, args.timestep, equilibration_ps=args.equilibration
            )
            print(f"{tlabel}: " + json.dumps({k: v for k, v in results[tlabel].items() if k != "potential"}))
    if not args.tinker_dynamic:
        print("Tinker: skipped (no --tinker-dynamic executable given)")
    first = results[labels[0]]
    summary = {k: first[k] for k in ("drift_meV_per_atom_per_ps", "fluctuation_meV_per_atom", "natoms", "timestep_fs", "steps")}
    summary["potentials"] = results
    (out / "nve.json").write_text(json.dumps(summary, indent=1))
    plot(out / "nve.png", traces, first["natoms"])
    return summary


if __name__ == "__main__":
    main()
