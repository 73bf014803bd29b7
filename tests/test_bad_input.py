"""Bad input never becomes a wrong number (#15): the damaged inputs a user fed to predict,
lammps-data, LAMMPS and the trainer, each answered with exit 2 (or LAMMPS's ERROR) and one
message naming the file and line or the atoms."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from conftest import POTENTIAL, ROOT, TIO2
from conftest_lammps import lammps_header, nnascii_args, run_lammps, write_data

SOURCE = (TIO2 / "structure-001.xsf").read_text().splitlines()


def _variant(tmp_path, name, edit):
    lines = list(SOURCE)
    edit(lines)
    path = tmp_path / f"{name}.xsf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _index(lines, word):
    return next(k for k, line in enumerate(lines) if word in line)


def _drop_primvec(lines):
    k = _index(lines, "PRIMVEC")
    del lines[k : k + 4]


def _count(text):
    def edit(lines):
        lines[_index(lines, "PRIMCOORD") + 1] = text

    return edit


def _duplicate_atom(lines):
    k = _index(lines, "PRIMCOORD")
    lines[k + 3] = lines[k + 2]


def _tiny_cell(lines):
    k = _index(lines, "PRIMVEC")
    lines[k + 1 : k + 4] = ["0.5 0 0", "0 0.5 0", "0 0 0.5"]


def _far_atom(lines):  # fuzz seed 10001, mutant 573: both readers agreed on a wrong energy
    k = _index(lines, "PRIMCOORD") + 3
    t = lines[k].split()
    t[3] = "99999999999"
    lines[k] = " ".join(t)


def _sheared_cell(lines):  # fuzz seed 10001 rerun, mutant 3953: predict and lammps-data hung
    k = _index(lines, "PRIMVEC")
    t = lines[k + 3].split()
    t[1] = "99999999999"
    lines[k + 3] = " ".join(t)


CASES = {
    "cell sheared by 1e11 Å": (_sheared_cell, "cell: expected lattice vectors at most 1e+06 Å long, found vector 3 of length 1e+11 Å"),
    "atom at z = 1e11 Å": (_far_atom, "expected coordinates within ±1e+06 Å (wrap positions into the cell), found atom 2 (Ti) at z = 1e+11 Å"),
    "no PRIMVEC": (_drop_primvec, "line 3: expected a PRIMVEC block (3 lattice vectors) for CRYSTAL"),
    "count '23 x'": (_count("23 x"), "expected 'N 1' after PRIMCOORD (a positive atom count, then 1), found '23 x'"),
    "count '-5 1'": (_count("-5 1"), "expected 'N 1' after PRIMCOORD (a positive atom count, then 1), found '-5 1'"),
    "two atoms on one site": (_duplicate_atom, "found atom 1 (Ti) and atom 2 (Ti) 0 Å apart"),
    "0.5 Å cell": (_tiny_cell, "expected at most 1 atoms/Å³ (a physical density), found 23 atoms in 0.125 Å³"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["predict", "lammps-data"])
def test_damaged_structures_are_refused(tmp_path, case, command):
    edit, fragment = CASES[case]
    path = _variant(tmp_path, "bad", edit)
    args = (
        ["predict", "--potential", *map(str, POTENTIAL), "--structures", str(path)]
        if command == "predict"
        else ["lammps-data", str(path), "-o", str(tmp_path / "out.data"), "--species", "Ti", "O"]
    )
    proc = subprocess.run([sys.executable, "-m", "export", *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"error: {path}") and fragment in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.data").exists()


def test_overlap_across_a_periodic_image(tmp_path):
    from trainer.checks import check_structure
    from trainer.errors import InputFileError
    from trainer.readers import read_structures

    s = read_structures(TIO2 / "structure-001.xsf")[0]
    s.positions[1] = s.positions[0] + s.cell[0] + [0.03, 0.0, 0.0]
    with pytest.raises(InputFileError, match=r"atom 1 \(Ti\) and atom 2 \(Ti\) \(periodic image"):
        check_structure(s)
    check_structure(s, min_distance=0.02)  # configurable


def test_lammps_refuses_overlapping_atoms(tmp_path):
    import ase.io

    atoms = ase.io.read(TIO2 / "structure-001.xsf")
    write_data(atoms, tmp_path / "data.lmp")
    lines = (tmp_path / "data.lmp").read_text().splitlines()
    first = next(k for k, line in enumerate(lines) if line.startswith("Atoms")) + 2
    x1 = lines[first].split()[2:]
    parts = lines[first + 1].split()
    lines[first + 1] = " ".join(parts[:2] + x1)
    (tmp_path / "data.lmp").write_text("\n".join(lines) + "\n")
    code, out = run_lammps(lammps_header("data.lmp", nnascii_args()) + "run 0\n", tmp_path, check=False)
    assert code != 0 and "ERROR" in out and "overlapping atoms" in out, out[-2000:]


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("training.epochs", 0, "training.epochs: 0 is outside the allowed range [1, inf]"),
        ("data.test_fraction", float("nan"), "data.test_fraction: expected a finite number, got nan"),
        ("forces.weight", float("inf"), "forces.weight: expected a finite number, got inf"),
        # found by the 10,000-mutant fuzz run: a traceback after trying to allocate 12.8 TB
        ("network.hidden", [99999999999], "network.hidden: expected a non-empty list of layer sizes 1..10000"),
        ("descriptor.radial_order", 99999, "descriptor.radial_order: 99999 is outside the allowed range [0, 100]"),
    ],
)
def test_config_values_that_would_train_nothing_or_nan(tmp_path, key, value, fragment):
    raw = {
        "output": str(tmp_path / "run"),
        "data": {"train": [str(TIO2 / "structure-00*.xsf")], "reference_energies": {"Ti": -1604.6, "O": -432.5}},
        "training": {"epochs": 3},
        "forces": {},
        "network": {},
        "descriptor": {},
    }
    section, name = key.split(".")
    raw[section][name] = value
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    proc = subprocess.run([sys.executable, "-m", "trainer", "train", str(cfg)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {cfg}: ") and fragment in proc.stderr
    assert not (tmp_path / "run" / "potential").exists()


def test_binary_garbage_as_a_potential(tmp_path):
    """No raw bytes in messages: the C++ reader (LAMMPS) and predict name the file and say binary."""
    import ase.io
    import numpy as np

    garbage = tmp_path / "Ti.nn.ascii"
    garbage.write_bytes(np.random.default_rng(3).integers(0, 256, 3000, dtype=np.uint8).tobytes())
    write_data(ase.io.read(TIO2 / "structure-001.xsf"), tmp_path / "data.lmp")
    code, out = run_lammps(lammps_header("data.lmp", f"{garbage} {POTENTIAL[1]} Ti O") + "run 0\n", tmp_path, check=False)
    line = next(ln for ln in out.splitlines() if "ERROR" in ln)
    assert code != 0 and "binary data" in line and str(garbage) in line
    assert all(ch.isprintable() for ch in line), repr(line)
    proc = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", str(garbage), str(POTENTIAL[1]), "--structures", str(TIO2 / "structure-001.xsf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and str(garbage) in proc.stderr and "binary" in proc.stderr
    assert all(ch.isprintable() or ch == "\n" for ch in proc.stderr)


def _predict(backend, potentials):
    """``python -m export predict`` of structure-001 with the reader of ``backend``."""
    args = ["predict", "--backend", backend, "--potential", *map(str, potentials), "--structures", str(TIO2 / "structure-001.xsf")]
    return subprocess.run([sys.executable, "-m", "export", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("backend", ["native", "torch"])
def test_trailing_record_in_a_potential(tmp_path, backend):
    """A repeated last line: both readers (C++ for native, Python for torch) name the record and line."""
    text = POTENTIAL[1].read_text()
    bad = tmp_path / "O.nn.ascii"
    bad.write_text(text + text.splitlines()[-1] + "\n")
    proc = _predict(backend, [POTENTIAL[0], bad])
    assert proc.returncode == 2
    assert (f"error: {bad}: record T10 E_min E_max E_av (line {len(text.splitlines()) + 1}): expected the end of the file after the last record") in proc.stderr


@pytest.mark.parametrize(
    "line, fragment",
    [
        (19, None),  # sf repeated: sfparam then starts with zeros -> a zero cut-off (each reader in its words)
        (21, "record S12 sfenv (line 21): expected 112 integers (2 x nsf), found 224"),
        (22, "record S12 sfenv (line 21): expected 112 integers (2 x nsf), found 113"),
    ],
)
@pytest.mark.parametrize("backend", ["native", "torch"])
def test_duplicated_line_in_a_potential(tmp_path, line, fragment, backend):
    """The rows of #15: a duplicated line of O.nn.ascii is refused by both readers, no silent shift."""
    lines = POTENTIAL[1].read_text().splitlines()
    bad = tmp_path / "O.nn.ascii"
    bad.write_text("\n".join(lines[:line] + [lines[line - 1]] + lines[line:]) + "\n")
    proc = _predict(backend, [POTENTIAL[0], bad])
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: {bad}: record S1")
    if fragment:
        assert fragment in proc.stderr


# ---------------------------------------------------------------- cases found by tests/fuzz_inputs.py
def test_yaml_syntax_error_is_one_line_with_its_position(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("seed: 1\nnan nan nan\ntraining:\n  epochs: 2\n")
    proc = subprocess.run([sys.executable, "-m", "trainer", "train", str(cfg)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith(f"error: {cfg}: line 3, column 1: expected valid YAML")


def test_data_errors_name_the_config_file(tmp_path):
    raw = {"output": str(tmp_path / "run"), "data": {"train": [str(TIO2 / "structurer-001.xsf")], "reference_energies": {"Ti": -1604.6, "O": -432.5}}}
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    proc = subprocess.run([sys.executable, "-m", "trainer", "train", str(cfg)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {cfg}: data.train: no file matches"), proc.stderr


def _swap(lines, a, b):
    lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]


def _radial_cutoff(lines, line, value):
    tokens = lines[line - 1].split()
    lines[line - 1] = " ".join([value] + tokens[1:])


@pytest.mark.parametrize("backend", ["native", "torch"])
@pytest.mark.parametrize(
    "species, edit, fragment",
    [
        (0, lambda ln: _swap(ln, 14, 15), "record S6 Rc_max"),  # Rc_min and Rc_max swapped: 0.35 < the 6.5 Å cut-off
        (1, lambda ln: _swap(ln, 24, 25), "record S17 sfval_cov"),  # statistics rows swapped: negative variance
        (1, lambda ln: _radial_cutoff(ln, 20, "6.4"), "cut-off"),  # O at 6.4 Å, Ti at 6.5 Å: one cut-off for all
        (0, lambda ln: ln.__setitem__(28, "0x10"), "record T3 scale (line 29)"),  # strtod reads hex, Fortran does not
        (0, lambda ln: ln.__setitem__(8, ln[8].replace("5", "5\u00a0", 1)), "record N9 W (line 9)"),  # NBSP in a number
        # fuzz seed 10001, mutant 3010: an sf code beyond a 4-byte Fortran integer (Python's int took it)
        (1, lambda ln: ln.__setitem__(18, ln[18].replace(" 0 ", " 99999999999 ", 1)), "record S10 sf (line 19): expected an integer, found '99999999999'"),
        (1, lambda ln: ln.__setitem__(18, ln[18].replace(" 0 ", " 0_0 ", 1)), "record S10 sf (line 19): expected an integer, found '0_0'"),
        # mutant 2005 of the rerun: sfenv beyond 4 bytes (C++ truncated it, Python took it), and beyond 8
        (1, lambda ln: ln.__setitem__(20, ln[20].replace(" 0 ", " 99999999999 ", 1)), "record S12 sfenv (line 21): expected an integer, found '99999999999'"),
        (
            1,
            lambda ln: ln.__setitem__(20, ln[20].replace(" 0 ", " -99999999999999999999 ", 1)),
            "record S12 sfenv (line 21): expected an integer, found '-99999999999999999999'",
        ),
    ],
)
def test_both_potential_readers_give_the_same_verdict(tmp_path, backend, species, edit, fragment):
    """The C++ (native) and Python (torch) readers disagreed on these until the fuzzer found them."""
    potentials = list(POTENTIAL)
    lines = potentials[species].read_text().splitlines()
    edit(lines)
    bad = tmp_path / potentials[species].name
    bad.write_text("\n".join(lines) + "\n")
    potentials[species] = bad
    proc = _predict(backend, potentials)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and str(bad) in proc.stderr, proc.stderr
    assert fragment in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_left_handed_cell_runs_in_lammps_with_the_same_energy(tmp_path):
    """A cell given as (b, a, c) is left-handed; lammps-data writes the same lattice right-handed."""
    import json

    from conftest_lammps import thermo_table

    path = _variant(
        tmp_path,
        "left",
        lambda ln: ln.__setitem__(slice(_index(ln, "PRIMVEC") + 1, _index(ln, "PRIMVEC") + 3), [ln[_index(ln, "PRIMVEC") + 2], ln[_index(ln, "PRIMVEC") + 1]]),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "export", "lammps-data", str(path), "-o", str(tmp_path / "l.data"), "--species", "Ti", "O"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    predicted = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--json", "--potential", *map(str, POTENTIAL), "--structures", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    energy = json.loads(predicted.stdout)[0]["energy"]
    script = lammps_header("l.data", nnascii_args()) + "thermo_style custom step pe\nthermo_modify format float %.10f\nrun 0\n"
    _, out = run_lammps(script, tmp_path)
    assert abs(thermo_table(out)[0]["PotEng"] - energy) < 1e-6


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"format_version": 2, "cutoff": NaN}', "not valid JSON"),  # NaN is not JSON (the old reader took it)
        ('{"format_version": 1, "species": ["Ti", "O"], "cutoff": "6.5", "units": "metal"}', "key 'cutoff' must be"),
        ('{"format_version": 1, "species": ["\\ud800"], "cutoff": 6.5}', "not valid JSON"),  # lone surrogate escape
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_damaged_torchscript_metadata(tmp_path, text, fragment):
    """The C++ backend reads taylorann.json with nlohmann/json (strict JSON); damaged metadata is
    an error naming the file."""
    import torch

    from export.loading import load_potential
    from trainer.torchscript import save_torchscript

    good = tmp_path / "good.pt"
    save_torchscript(load_potential([str(p) for p in POTENTIAL]), good)
    bad = tmp_path / "bad.pt"
    torch.jit.save(torch.jit.load(str(good)), str(bad), _extra_files={"taylorann.json": text})
    proc = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", str(bad), "--structures", str(TIO2 / "structure-001.xsf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and str(bad) in proc.stderr and fragment in proc.stderr, proc.stderr
