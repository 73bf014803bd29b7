"""Seeded fuzzing of every input reader (#15): damaged `.nn.ascii`, XSF and YAML files through
`predict` (C++ and Python readers), `lammps-data`, `lmp` and `python -m trainer train`.

Each mutant is one small edit of a valid file (a line deleted, duplicated, swapped or
inserted, the file truncated, a token deleted, replaced by garbage or changed by a digit, a
byte replaced). Every program runs in a forked child (or, for `lmp`, a subprocess) with a
time limit, so a crash, hang or traceback is seen, never suffered. The verdict per mutant:

- ``refused``: every program exits 2 (LAMMPS: ERROR) with one line naming the file and the
  line, record, key or atoms;
- ``accepted-same``: every program accepts it and the result equals the original's (the edit
  had no meaning: blank line, whitespace, a metadata record);
- ``accepted-valid``: every program accepts it and the result differs, but provably as the
  file now says: both independent `.nn.ascii` readers (C++ and Python) and LAMMPS agree on
  the energy; ase's independent XSF reader reads the same structure; the trained run's
  config holds every key of the YAML with its value;

and the failures: ``unclear`` (refused without naming file and place), ``disagree`` (one
program accepts what another refuses), ``accepted-wrong``, ``traceback``, ``crash``, ``hang``.

    python tests/fuzz_inputs.py --mutants 10000 --seed 1 --out fuzz-report.json

prints the counts per target and verdict and exits 1 if any failure class is non-empty
(the failing mutants are written to --keep for replay). tests/test_fuzz.py runs a seeded
short version in CI.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # noqa: E402  (conftest_lammps: the test data locator)
from conftest_lammps import POTENTIAL, SPECIES, TIO2  # noqa: E402

XSF = TIO2 / "structure-001.xsf"
TRAIN_FILES = [TIO2 / f"structure-{k:03d}.xsf" for k in range(1, 7)]
FAILURES = ("unclear", "disagree", "accepted-wrong", "traceback", "crash", "hang")
GARBAGE_TOKENS = [
    "x",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "-1",
    "0",
    "1.0.0",
    "\x00",
    "é",
    "99999999999",
    "--",
    "#",
    "3.5e",
    "0x10",
    "1,5",
    "[",
    "{",
    ":",
    "null",
    "True",
    "-0",
    "1e-999",
    "NaN",
]
GARBAGE_LINES = [
    "",
    "garbage",
    "1 2 3",
    "nan nan nan",
    "\x00\x01\x02",
    "PRIMVEC",
    "PRIMCOORD",
    "ATOMS",
    "-1",
    "Ti 0 0 0",
    "O 1e999 0 0",
    "   ",
    "#",
    "CRYSTAL",
    "0",
    "2 1",
    "epochs: 0",
    "data:",
    "- x",
    "{",
    "seed: nan",
    "\t",
]
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
LOCATION = re.compile(r"line \d+|record|atoms? \d+|[a-z_]+\.[a-z_]+:|PRIMVEC|PRIMCOORD|binary|empty|no structures")


# ----------------------------------------------------------------------------------- mutations
def _tokens(line: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\s,\[\]{}:]+", line)]


def mutate(text: str, rng: random.Random, yaml_target: bool = False) -> tuple[str, str]:
    """One random edit of ``text``; returns (mutant, description)."""
    lines = text.split("\n")
    ops = ["delete_line", "duplicate_line", "swap_lines", "insert_line", "truncate", "delete_token", "replace_token", "digit", "digit", "byte", "empty"]
    if not yaml_target:
        ops += ["scale"]
    op = rng.choice(ops)
    k = rng.randrange(len(lines))
    if op == "empty":
        return "", "empty file"
    if op == "truncate":
        cut = rng.randrange(len(text))
        return text[:cut], f"truncated at char {cut}"
    if op == "byte":
        cut = rng.randrange(len(text))
        ch = chr(rng.randrange(0, 256))
        return text[:cut] + ch + text[cut + 1 :], f"char {cut} -> {ch!r}"
    if op == "delete_line":
        return "\n".join(lines[:k] + lines[k + 1 :]), f"line {k + 1} deleted"
    if op == "duplicate_line":
        return "\n".join(lines[: k + 1] + [lines[k]] + lines[k + 1 :]), f"line {k + 1} duplicated"
    if op == "swap_lines":
        j = min(k + 1, len(lines) - 1)
        lines[k], lines[j] = lines[j], lines[k]
        return "\n".join(lines), f"lines {k + 1} and {j + 1} swapped"
    if op == "insert_line":
        garbage = rng.choice(GARBAGE_LINES)
        return "\n".join(lines[:k] + [garbage] + lines[k:]), f"{garbage!r} inserted before line {k + 1}"
    candidates = [(i, span) for i, line in enumerate(lines) for span in _tokens(line)]
    if op in ("digit", "scale"):
        candidates = [(i, s) for i, s in candidates if NUMBER.match(lines[i][s[0] : s[1]])]
    if not candidates:
        return "", "empty file"
    i, (a, b) = rng.choice(candidates)
    token = lines[i][a:b]
    if op == "delete_token":
        new = ""
    elif op == "replace_token":
        new = rng.choice(GARBAGE_TOKENS)
    elif op == "scale":
        new = repr(float(token) * rng.choice([10.0, -1.0, 0.5, 1e3]))
    else:  # digit
        digits = [p for p, ch in enumerate(token) if ch.isdigit()]
        p = rng.choice(digits)
        new = token[:p] + rng.choice([d for d in "0123456789" if d != token[p]]) + token[p + 1 :]
    lines[i] = lines[i][:a] + new + lines[i][b:]
    return "\n".join(lines), f"line {i + 1}: token {token!r} -> {new!r} ({op})"


# ----------------------------------------------------------------------------------- running
class Result:
    def __init__(self, code: int | None, out: str, err: str, status: str):
        self.code, self.out, self.err, self.status = code, out, err, status


def run_forked(fn, argv: list[str], workdir: Path, timeout: float) -> Result:
    """fn(argv) -> exit code, in a forked child with stdout/stderr in files and a time limit."""
    out, err = workdir / "stdout", workdir / "stderr"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 98
        try:
            fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fo, 1)
            os.dup2(fe, 2)
            # sys.stdout/err may be a capture object (pytest): write to the files, line-buffered
            sys.stdout = open(1, "w", closefd=False, buffering=1)
            sys.stderr = open(2, "w", closefd=False, buffering=1)
            os.chdir(workdir)
            code = fn(argv)
            code = code if isinstance(code, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 99
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Result(None, out.read_text(errors="replace"), err.read_text(errors="replace"), "hang")
        time.sleep(0.002)
    text_out, text_err = out.read_text(errors="replace"), err.read_text(errors="replace")
    if os.WIFSIGNALED(status):
        return Result(None, text_out, text_err, f"crash (signal {os.WTERMSIG(status)})")
    code = os.WEXITSTATUS(status)
    return Result(code, text_out, text_err, "traceback" if code == 99 or "Traceback" in text_err else "ran")


def classify_cli(result: Result, files: list[Path]) -> str:
    """refused / unclear / accepted / traceback / crash / hang for a python -m export|trainer run."""
    if result.status != "ran":
        return result.status.split(" ")[0]
    if result.code == 0:
        return "accepted"
    if result.code == 2:
        message = result.err.strip()
        named = any(str(f) in message for f in files)
        one_line = len(message.splitlines()) == 1 and message.startswith("error: ")
        printable = all(ch.isprintable() for ch in message)
        return "refused" if named and one_line and printable and LOCATION.search(message) else "unclear"
    return "crash"


def run_lmp(data: Path, potentials: list[Path], workdir: Path, timeout: float) -> tuple[str, float | None, str]:
    """(verdict, potential energy, message) of `lmp` with pair_style taylorann on ``potentials``."""
    script = (
        f"units metal\natom_style atomic\nboundary p p p\nread_data {data}\npair_style taylorann\n"
        f"pair_coeff * * {' '.join(map(str, potentials))} {' '.join(SPECIES)}\n"
        "thermo_style custom step pe\nthermo_modify format float %.12f\nrun 0\n"
        'print "FUZZ_PE $(pe:%.12f)"\n'
    )
    (workdir / "in.lmp").write_text(script)
    try:
        proc = subprocess.run(
            [shutil.which("lmp"), "-in", "in.lmp", "-log", "none", "-nocite"],
            cwd=workdir,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=dict(os.environ, OMP_NUM_THREADS="1"),
        )
    except subprocess.TimeoutExpired:
        return "hang", None, ""
    output = proc.stdout + proc.stderr
    if proc.returncode < 0 or proc.returncode > 128 or "Segmentation" in output:
        return "crash", None, output[-500:]
    match = re.search(r"FUZZ_PE (\S+)", output)
    if proc.returncode == 0 and match:
        return "accepted", float(match.group(1)), ""
    errors = [ln for ln in output.splitlines() if "ERROR" in ln]
    ok = (
        errors
        and any(str(p) in errors[0] or str(data) in errors[0] for p in potentials)
        and all(ch.isprintable() for ch in errors[0])
        and LOCATION.search(errors[0])
    )
    return ("refused" if ok else "unclear"), None, (errors[0] if errors else output[-500:])


def _predict_energy(result: Result) -> float | None:
    try:
        return float(json.loads(result.out)[0]["energy"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# ----------------------------------------------------------------------------------- targets
class Harness:
    def __init__(self, workdir: Path, lmp_fraction: float):
        from export.__main__ import main as export_main
        from export.lammps_data import write_lammps_data
        from trainer.cli import main as trainer_main
        from trainer.readers import read_structures

        self.export_main, self.trainer_main = export_main, trainer_main
        self.read_structures = read_structures
        self.workdir, self.lmp_fraction = workdir, lmp_fraction
        self.data = workdir / "structure-001.data"
        write_lammps_data(read_structures(XSF)[0], self.data, SPECIES)
        self.sources = {
            "Ti.nn.ascii": POTENTIAL[0].read_text(),
            "O.nn.ascii": POTENTIAL[1].read_text(),
            "structure.xsf": XSF.read_text(),
            "config.yaml": self._yaml(),
        }
        self.reference = self._energy(POTENTIAL, XSF)
        assert self.reference is not None, "the unmutated potential must evaluate"

    @staticmethod
    def _yaml() -> str:
        files = ", ".join(str(p) for p in TRAIN_FILES)
        return (
            f"output: run\nseed: 1\ndata:\n  train: [{files}]\n"
            "  reference_energies: {Ti: -1604.604515075, O: -432.503149303}\n  test_fraction: 0.34\n"
            "descriptor:\n  radial_cutoff: 4.0\n  radial_order: 4\n  angular_cutoff: 3.0\n  angular_order: 2\n"
            "network:\n  hidden: [3]\n  activation: tanh\ntraining:\n  mode: energy\n  epochs: 2\n"
            "  max_seconds: 5\n  checkpoint_every: 1\n"
        )

    def _energy(self, potentials, structure, backend="native", workdir=None) -> float | None:
        r = run_forked(
            self.export_main,
            ["predict", "--json", "--backend", backend, "--potential", *map(str, potentials), "--structures", str(structure)],
            workdir or self.workdir,
            120,
        )
        return _predict_energy(r) if r.status == "ran" and r.code == 0 else None

    def run(self, target: str, mutant: str, rng: random.Random, workdir: Path) -> tuple[str, dict]:
        path = workdir / target
        path.write_bytes(mutant.encode("utf-8", errors="surrogateescape"))
        if target.endswith(".nn.ascii"):
            return self._potential(path, target, rng, workdir)
        if target.endswith(".xsf"):
            return self._structure(path, rng, workdir)
        return self._config(path, mutant, workdir)

    def _potential(self, path, target, rng, workdir):
        potentials = [path if p.name == target else p for p in POTENTIAL]
        argv = ["predict", "--json", "--potential", *map(str, potentials), "--structures", str(XSF)]
        native = run_forked(self.export_main, argv[:1] + ["--backend", "native"] + argv[1:], workdir, 60)
        torch_ = run_forked(self.export_main, argv[:1] + ["--backend", "torch"] + argv[1:], workdir, 120)
        verdicts = {"predict": classify_cli(native, [path]), "predict-torch": classify_cli(torch_, [path])}
        messages = {"predict": native.err.strip()[-300:], "predict-torch": torch_.err.strip()[-300:]}
        energies = {"predict": _predict_energy(native), "predict-torch": _predict_energy(torch_)}
        if rng.random() < self.lmp_fraction:
            verdicts["lmp"], energies["lmp"], messages["lmp"] = run_lmp(self.data, potentials, workdir, 60)
        return self._combine(verdicts, energies, messages)

    def _combine(self, verdicts, energies, messages):
        info = {"verdicts": verdicts, "messages": {k: v for k, v in messages.items() if verdicts[k] != "accepted"}}
        for bad in ("traceback", "crash", "hang", "unclear"):
            if bad in verdicts.values():
                return bad, info
        if set(verdicts.values()) == {"refused"}:
            return "refused", info
        if "refused" in verdicts.values():
            return "disagree", info
        values = [energies.get(k) for k in verdicts]
        info["energies"] = values
        if any(v is None or not math.isfinite(v) for v in values):
            return "accepted-wrong", info
        if max(values) - min(values) > 1e-7 * max(1.0, abs(values[0])):
            return "accepted-wrong", info
        return ("accepted-same" if abs(values[0] - self.reference) <= 1e-9 * max(1.0, abs(self.reference)) else "accepted-valid"), info

    def _structure(self, path, rng, workdir):
        native = run_forked(self.export_main, ["predict", "--json", "--potential", *map(str, POTENTIAL), "--structures", str(path)], workdir, 60)
        data = workdir / "out.data"
        written = run_forked(self.export_main, ["lammps-data", str(path), "-o", str(data), "--species", *SPECIES], workdir, 60)
        verdicts = {"predict": classify_cli(native, [path]), "lammps-data": classify_cli(written, [path])}
        messages = {"predict": native.err.strip()[-300:], "lammps-data": written.err.strip()[-300:]}
        energies = {"predict": _predict_energy(native)}
        if verdicts["lammps-data"] == "accepted" and rng.random() < self.lmp_fraction:
            verdicts["lmp"], energies["lmp"], messages["lmp"] = run_lmp(data, POTENTIAL, workdir, 60)
        if verdicts["lammps-data"] == "refused" and data.exists():
            verdicts["lammps-data"] = "accepted-wrong"  # refused, but left a file behind
        verdict, info = self._combine(verdicts, {**energies, "lammps-data": energies["predict"]}, messages)
        if verdict.startswith("accepted") and verdict != "accepted-wrong" and not self._same_as_ase(path):
            verdict = "accepted-wrong"
            info["ase"] = "ase's XSF reader reads a different structure (or none)"
        return verdict, info

    def _same_as_ase(self, path) -> bool:
        import ase.io
        import numpy as np

        ours = self.read_structures(path)[0]
        try:
            theirs = ase.io.read(path, format="xsf")
        except Exception:
            return False
        if len(theirs) != ours.natoms or list(theirs.get_chemical_symbols()) != list(ours.species):
            return False
        if not np.allclose(theirs.positions, ours.positions, atol=1e-8, rtol=0):
            return False
        periodic = ours.cell is not None
        return (not periodic and not theirs.pbc.any()) or (periodic and bool(theirs.pbc.all()) and np.allclose(theirs.cell[:], ours.cell, atol=1e-8, rtol=0))

    def _config(self, path, mutant, workdir):
        import yaml

        from trainer.config import load_config

        result = run_forked(self.trainer_main, ["train", str(path), "--no-progress"], workdir, 120)
        verdict = classify_cli(result, [path])
        info = {"verdicts": {"train": verdict}}
        if verdict != "accepted":
            info["messages"] = {"train": result.err.strip()[-300:]}
            if verdict == "refused" and any(workdir.rglob("potential")):
                return "accepted-wrong", {**info, "why": "refused but exported a potential"}
            return verdict, info
        run = Path(load_config(path).output)  # the mutant may have changed or dropped 'output'
        if not (run / "config.yaml").exists():
            return "accepted-wrong", {**info, "why": f"exit 0 but no run in {run}"}
        saved = yaml.safe_load((run / "config.yaml").read_text())
        given = yaml.safe_load(mutant)
        missing = [k for k, v in _leaves(given) if not _holds(saved, k, v, workdir)]
        summary = json.loads((run / "summary.json").read_text())
        if missing or summary["epochs"] < 1 or not (run / "potential").exists():
            return "accepted-wrong", {**info, "not in the run's config": missing[:5]}
        original = dict(_leaves(yaml.safe_load(self.sources["config.yaml"])))
        return ("accepted-same" if dict(_leaves(given)) == original else "accepted-valid"), info


def _leaves(tree, prefix=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _leaves(v, prefix + (k,))
    else:
        yield prefix, tree


def _holds(saved, key, value, workdir) -> bool:
    node = saved
    for k in key:
        if not isinstance(node, dict) or k not in node:
            return False
        node = node[k]
    if value is None and isinstance(node, dict):  # an empty section: its defaults (as the YAML says)
        return True
    if key == ("output",):
        return Path(node) == (workdir / str(value)).resolve() or Path(node) == Path(str(value))
    if isinstance(value, list) and isinstance(node, list) and key[-1] in ("train", "test", "validation"):
        return len(value) == len(node)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(node, (int, float)):
        return float(value) == float(node)
    return value == node


# ----------------------------------------------------------------------------------- driver
def fuzz(
    mutants: int,
    seed: int,
    lmp_fraction: float = 0.25,
    keep: Path | None = None,
    weights=(("Ti.nn.ascii", 2), ("O.nn.ascii", 2), ("structure.xsf", 4), ("config.yaml", 2)),
    progress: bool = False,
) -> dict:
    import torch

    torch.set_num_threads(1)
    rng = random.Random(seed)
    names = [n for n, w in weights for _ in range(w)]
    counts: dict[str, Counter] = {n: Counter() for n, _ in weights}
    failures = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="taylorann-fuzz-") as tmp:
        harness = Harness(Path(tmp), lmp_fraction)
        for k in range(mutants):
            target = rng.choice(names)
            mutant, what = mutate(harness.sources[target], rng, yaml_target=target.endswith(".yaml"))
            workdir = Path(tmp) / "m"
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir()
            verdict, info = harness.run(target, mutant, rng, workdir)
            counts[target][verdict] += 1
            if verdict in FAILURES:
                record = json.dumps({"mutant": k, "target": target, "edit": what, "verdict": verdict, **info})
                # no machine paths in the report: the scratch folder and the checkout by name
                record = record.replace(str(workdir), "<mutant>").replace(str(HERE.parent), "<repo>")
                failures.append(json.loads(record))
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / f"{k:05d}-{target}").write_bytes(mutant.encode("utf-8", errors="surrogateescape"))
            if progress and (k + 1) % 100 == 0:
                total = sum(counts.values(), Counter())
                print(f"{k + 1}/{mutants} mutants, {time.time() - started:.0f} s: {dict(total)}", flush=True)
    total = sum(counts.values(), Counter())
    return {
        "mutants": mutants,
        "seed": seed,
        "lmp_fraction": lmp_fraction,
        "seconds": round(time.time() - started, 1),
        "counts": {t: dict(c) for t, c in counts.items()},
        "total": dict(total),
        "failures": failures,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lmp-fraction", type=float, default=0.25, help="share of mutants also run through lmp")
    parser.add_argument("--out", help="write the report (JSON) here")
    parser.add_argument("--keep", help="folder for the failing mutants")
    args = parser.parse_args(argv)
    report = fuzz(args.mutants, args.seed, args.lmp_fraction, Path(args.keep) if args.keep else None, progress=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("mutants", "seed", "seconds", "counts", "total")}, indent=1))
    for f in report["failures"][:20]:
        print(json.dumps(f))
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
