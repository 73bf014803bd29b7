"""Iterative refinement of LMNTO potentials by committee disagreement (issue #10 item 4),
the way practitioners grow a "preliminary" potential into a production one (the paper's
word for its Fig. 10 potentials; n2p2's and DeePMD-kit's active-learning loops).

One round:
  1. MD: LAMMPS runs the first committee member (Langevin NVT at ``--temperature`` on the
     224-atom cell, ``--md-ps`` after ``--equilibrate-ps``), a frame every ``--dump-fs``.
     A run that fails (atoms lost, a blow-up) still gives the frames it dumped.
  2. Committee: ``python -m trainer committee`` over those frames with every member: the
     force spread sigma_F per atom. At most ``--select`` frames are labelled: those of
     largest max sigma_F above ``--threshold``, then those with atoms outside the members'
     descriptor range (most such atoms first).
  3. Labelling: CHGNet (``--labeller chgnet``, the project's LMNTO reference) or a
     taylorann potential (``--labeller potential:DIR``: distillation, and the CI check).
  4. Retraining: ``--members`` potentials (seeds 1..M) on the base training set plus every
     frame labelled so far, with the Fig. 10 recipe (48-20-20-1, Taylor δ_max 0.015 Å,
     a = 20; ``--mode``, ``--hidden``, ``--epochs`` change it; ``--mode forces`` caches
     float32 Jacobians, as md_potentials.py does).
The loop stops when no frame's max sigma_F exceeds ``--threshold`` and no atom leaves the
members' descriptor range (converged), or after ``--rounds``.

    python examples/lmnto/refine.py --out runs/refine --committee A/potential B/potential C/potential \\
        --train data/md_train.extxyz --test data/md_test.extxyz --rounds 5

Resumable: every step writes its file atomically into ``OUT/round_<r>/`` and is skipped
when the file exists; ``OUT/refine.json`` holds, per round, the MD frames, the committee's
max and mean sigma_F, extrapolating atoms, frames selected and labelled, and the retrained
members' validation numbers.

Across sessions and machines: ``--archive DIR`` keeps the committable record of every
finished step in ``DIR/round_<r>/`` (MD frames, committee.json and the labelled frames
gzipped; each finished member's .nn.ascii, summary.json, config.yaml with paths relative
to OUT or the repository and every 10th metrics row) and ``DIR/refine.json``; a run whose OUT lacks them
restores them from DIR first, so it goes on where the archive stops. ``--keep`` copies what
OUT holds into DIR and stops (for a run started without ``--archive``, or before a session
ends): a member still training goes in as its last checkpoint (``DIR/round_<r>/members/
m<k>/partial/``), from which a later run resumes it, as long as ``--out`` names the same
absolute path (the checkpoint holds the run's configuration, data paths included; another
path makes the trainer refuse to resume and say why).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

from nve import SPECIES, START, lammps_input  # noqa: E402
from splits import REFERENCE_ENERGIES  # noqa: E402
from train import FORCES_FLOAT32, config_dict, run_or_load  # noqa: E402

from trainer.atomic_io import atomic_write_extxyz as atomic_write  # noqa: E402
from trainer.archive import PARTIAL, PARTIAL_FILES, keep_partial  # noqa: E402
from trainer.checkpoint import CHECKPOINT  # noqa: E402


def lammps_md(potential: list[str], workdir: Path, args, seed: int, repulsion) -> Path:
    """NVT frames of the first member as extxyz (positions, cell, species; no labels)."""
    import ase.io

    from export.lammps_data import write_lammps_data
    from trainer.readers import read_structures

    workdir.mkdir(parents=True, exist_ok=True)
    write_lammps_data(read_structures(args.start)[0], workdir / "start.data", SPECIES)
    eq = int(round(args.equilibrate_ps * 1000.0))
    steps = int(round(args.md_ps * 1000.0))
    potential = [str(Path(p).resolve()) for p in potential]
    (workdir / "in.md").write_text(
        lammps_input(potential, args.temperature, eq, steps, 1.0, 100, seed, repulsion, keep_thermostat=True, dump_every=max(1, int(args.dump_fs)))
    )
    proc = subprocess.run(
        ["lmp", "-in", "in.md", "-log", "log.lammps"], cwd=workdir, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    (workdir / "lammps.out").write_text(proc.stdout[-20000:] + proc.stderr[-5000:])
    dump = workdir / "dump.txt"
    if not dump.exists():
        raise RuntimeError(f"LAMMPS wrote no frames in {workdir} (exit {proc.returncode}); see lammps.out")
    try:
        frames = ase.io.read(dump, format="lammps-dump-text", index=":", specorder=SPECIES)
    except Exception:  # a run killed mid-frame: keep the complete frames
        text = dump.read_text()
        cut = text.rfind("ITEM: TIMESTEP")
        dump.write_text(text[:cut])
        frames = ase.io.read(dump, format="lammps-dump-text", index=":", specorder=SPECIES)
    for k, f in enumerate(frames):
        f.calc = None
        f.info = {"refine_md_frame": k, "lammps_exit": proc.returncode}
    out = workdir.parent / "frames.extxyz"
    atomic_write(out, frames)
    return out


def committee(members: list[Path], frames: Path, rnd: Path) -> dict:
    """``python -m trainer committee`` over the MD frames: per frame and atom the force spread."""
    cmd = [sys.executable, "-m", "trainer", "committee", "--structures", str(frames), "--json", str(rnd / "committee.json")]
    for m in members:
        cmd += ["--member", str(m)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"committee failed:\n{proc.stderr[-3000:]}")
    return json.loads((rnd / "committee.json").read_text())


def choose(per_frame: list[dict], count: int, threshold: float) -> list[int]:
    """Frames to label: max sigma_F above ``threshold``, largest first; then frames with
    atoms outside the descriptor range, most such atoms first; at most ``count``."""
    spread = sorted((k for k, f in enumerate(per_frame) if f["force_std_max"] > threshold), key=lambda k: (-per_frame[k]["force_std_max"], k))
    taken = set(spread)
    outside = sorted(
        (k for k, f in enumerate(per_frame) if f["extrapolating_atoms"] > 0 and k not in taken), key=lambda k: (-per_frame[k]["extrapolating_atoms"], k)
    )
    return (spread + outside)[: max(0, count)]


def labeller(spec: str):
    """An ASE calculator giving reference energies and forces."""
    if spec == "chgnet":
        from generate_md_set import chgnet_calculator

        return chgnet_calculator()
    if spec.startswith("potential:"):
        from export.calculator import TaylorannCalculator
        from trainer.committee import member_files

        return TaylorannCalculator(potential=member_files(spec.split(":", 1)[1]), extrapolation="ignore")
    raise SystemExit(f"--labeller: expected 'chgnet' or 'potential:DIR', got {spec!r}")


def label(frames: list, out: Path, calc, rnd_index: int) -> int:
    from ase.calculators.singlepoint import SinglePointCalculator

    done = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = calc
        e, f = probe.get_potential_energy(), probe.get_forces()
        atoms.calc = SinglePointCalculator(atoms, energy=e, forces=f)
        atoms.info["refine_round"] = rnd_index
        done.append(atoms)
    atomic_write(out, done)
    return len(done)


def train_members(rnd: Path, labelled: list[Path], args) -> list[dict]:
    splits = {"train": Path(args.train[0]), "test": Path(args.test), "validation": Path(args.validation or args.test)}
    out = []
    for k in range(args.members):
        name = f"m{k + 1}"
        raw = config_dict(rnd / "members", name, splits, args.mode, args.epochs, k + 1, args.delta, args.multiple, "fixed", args.selection, tuple(args.hidden))
        raw["data"]["train"] = [str(Path(p).resolve()) for p in args.train] + [str(p.resolve()) for p in labelled if p.stat().st_size > 0]
        raw["data"]["reference_energies"] = REFERENCE_ENERGIES
        raw["training"]["threads"] = 1
        if args.mode == "forces":
            raw["forces"] = dict(FORCES_FLOAT32)
        summary = run_or_load(raw)
        out.append({"member": name, "validation": summary["validation"], "best_epoch": summary["best_epoch"]})
    return out


ROUND_FILES = ("frames.extxyz", "committee.json", "labelled.extxyz")  # selected.extxyz: in labelled


def keep(out: Path, archive: Path) -> None:
    """Copy every finished step in ``out`` that ``archive`` lacks into it (module docstring)."""
    from trainer.archive import keep_run
    from trainer.atomic_io import atomic_write_bytes, atomic_write_text

    for rnd in sorted(out.glob("round_*")):
        target = archive / rnd.name
        for name in ROUND_FILES:
            if (rnd / name).exists() and not (target / f"{name}.gz").exists():
                target.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(target / f"{name}.gz", gzip.compress((rnd / name).read_bytes(), mtime=0))
        for run in sorted((rnd / "members").glob("m*")):
            kept = target / "members" / run.name
            if (run / "summary.json").exists() and not (kept / "summary.json").exists():
                keep_run(run, kept, files=("summary.json",), config_roots=(out, ROOT))
            if (run / "summary.json").exists() or (kept / "summary.json").exists():
                shutil.rmtree(kept / PARTIAL, ignore_errors=True)
            elif (run / CHECKPOINT).exists():
                keep_partial(run, kept)
    if (out / "refine.json").exists():
        archive.mkdir(parents=True, exist_ok=True)
        atomic_write_text(archive / "refine.json", (out / "refine.json").read_text())


def restore(out: Path, archive: Path) -> None:
    """Give ``out`` the archived steps it lacks: round files, finished members (their
    potential and summary, which is what makes a member count as trained), an unfinished
    member's last checkpoint (the trainer resumes from it), refine.json."""
    from trainer.atomic_io import atomic_write_bytes

    for target in sorted(archive.glob("round_*")):
        rnd = out / target.name
        rnd.mkdir(parents=True, exist_ok=True)
        for name in ROUND_FILES:
            if (target / f"{name}.gz").exists() and not (rnd / name).exists():
                atomic_write_bytes(rnd / name, gzip.decompress((target / f"{name}.gz").read_bytes()))
        for kept in sorted((target / "members").glob("m*")):
            run = rnd / "members" / kept.name
            if (kept / "summary.json").exists() and not (run / "summary.json").exists():
                (run / "potential").mkdir(parents=True, exist_ok=True)
                for f in kept.glob("*.nn.ascii"):
                    shutil.copy2(f, run / "potential" / f.name)
                shutil.copy2(kept / "summary.json", run / "summary.json")  # last: marks the member finished
            elif (kept / PARTIAL / CHECKPOINT).exists() and not (run / "summary.json").exists() and not (run / CHECKPOINT).exists():
                run.mkdir(parents=True, exist_ok=True)
                for name in reversed(PARTIAL_FILES):  # the checkpoint last: it is what the trainer looks for
                    if (kept / PARTIAL / name).exists():
                        shutil.copy2(kept / PARTIAL / name, run / name)
    if (archive / "refine.json").exists() and not (out / "refine.json").exists():
        shutil.copy2(archive / "refine.json", out / "refine.json")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--committee", nargs="+", help="round-0 members: potential folders (>= 2)")
    parser.add_argument("--train", nargs="+", help="base training set files (labelled)")
    parser.add_argument("--test", help="test set (epoch selection)")
    parser.add_argument("--validation", help="validation set (reported only; default the test set)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--members", type=int, default=3, help="potentials retrained per round")
    parser.add_argument("--start", default=str(START), help="MD start structure (default the 224-atom cell)")
    parser.add_argument("--temperature", type=float, default=500.0, help="K; above the 400 K production runs, for a margin")
    parser.add_argument("--equilibrate-ps", type=float, default=1.0)
    parser.add_argument("--md-ps", type=float, default=10.0)
    parser.add_argument("--dump-fs", type=float, default=50.0)
    parser.add_argument("--select", type=int, default=50, help="frames labelled per round at most")
    parser.add_argument("--threshold", type=float, default=0.1, help="eV/Å: max sigma_F above which a frame is labelled")
    parser.add_argument("--labeller", default="chgnet", help="'chgnet' or 'potential:DIR'")
    parser.add_argument("--repulsion", help="ZBL core file for the MD (default none)")
    parser.add_argument("--mode", default="taylor", choices=["energy", "taylor", "forces"])
    parser.add_argument("--delta", type=float, default=0.015)
    parser.add_argument("--multiple", type=int, default=20)
    parser.add_argument("--hidden", type=int, nargs="+", default=[20, 20])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--selection", default="test_energy", choices=["test_energy", "last"])
    parser.add_argument("--archive", help="folder for the committable record of every finished step (module docstring)")
    parser.add_argument("--keep", action="store_true", help="copy the finished steps in OUT (and unfinished members' checkpoints) into --archive and stop")
    args = parser.parse_args(argv)
    archive = Path(args.archive).resolve() if args.archive else None
    if args.keep:
        if archive is None:
            parser.error("--keep needs --archive")
        keep(Path(args.out).resolve(), archive)
        return json.loads((archive / "refine.json").read_text()) if (archive / "refine.json").exists() else {"rounds": []}
    for name in ("committee", "train", "test"):
        if not getattr(args, name):
            parser.error(f"--{name} is required (except with --keep)")
    if len(args.committee) < 2:
        parser.error("--committee needs at least two members")

    from trainer.atomic_io import atomic_write_text
    from trainer.committee import member_files
    from trainer.repulsion import Repulsion

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if archive:
        restore(out, archive)
    state_path = out / "refine.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {"rounds": []}
    members = [Path(m).resolve() for m in args.committee]
    labelled: list[Path] = []
    repulsion = Repulsion.from_json(args.repulsion) if args.repulsion else None
    calc = None
    for r in range(args.rounds):
        rnd = out / f"round_{r}"
        rnd.mkdir(exist_ok=True)
        row = state["rounds"][r] if r < len(state["rounds"]) else {"round": r}
        frames = rnd / "frames.extxyz"
        if not frames.exists():
            lammps_md(member_files(members[0]), rnd / "md", args, 4928 + r, repulsion)
        spread = committee(members, frames, rnd) if not (rnd / "committee.json").exists() else json.loads((rnd / "committee.json").read_text())
        per_frame = spread["frames"]
        chosen = choose(per_frame, args.select, args.threshold)
        row.update(
            {
                "md_frames": len(per_frame),
                "force_std_max": max(f["force_std_max"] for f in per_frame) if per_frame else None,
                "force_std_mean": float(np.mean([f["force_std_mean"] for f in per_frame])) if per_frame else None,
                "extrapolating_atoms_max": max(f["extrapolating_atoms"] for f in per_frame) if per_frame else None,
                "selected": len(chosen),
            }
        )
        converged = bool(per_frame) and row["force_std_max"] <= args.threshold and row["extrapolating_atoms_max"] == 0
        row["converged"] = converged
        if not converged:
            target = rnd / "labelled.extxyz"
            if not target.exists():
                import ase.io

                md = ase.io.read(frames, ":")
                selected = [md[k] for k in chosen]
                atomic_write(rnd / "selected.extxyz", selected)  # the record of what was sent for labelling
                calc = calc or labeller(args.labeller)
                row["labelled"] = label(selected, target, calc, r)
                if archive:
                    keep(out, archive)  # the labels first: they are the costly part
            if "labelled" not in row:  # labelled in an earlier, unfinished invocation
                import ase.io

                row["labelled"] = len(ase.io.read(target, ":")) if target.stat().st_size > 0 else 0
            labelled.append(target)
            row["labelled_total"] = sum(x.get("labelled", 0) for x in state["rounds"][:r]) + row.get("labelled", 0)
            row["members"] = train_members(rnd, labelled, args)
            members = [rnd / "members" / m["member"] / "potential" for m in row["members"]]
        state["rounds"][r:] = [row]
        state["converged"] = converged
        atomic_write_text(state_path, json.dumps(state, indent=1))
        if archive:
            keep(out, archive)
        print(json.dumps(row), flush=True)
        if converged:
            break
    return state


if __name__ == "__main__":
    main()
