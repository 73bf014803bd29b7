"""ænet's binary `.nn` files (#16): read (C++ and Python readers, told apart by content) and
written (`python -m export nnbinary`), checked against ænet 2.0.4 itself.

Golden values: tests/data/aenet-binary/predict-x.json, ænet 2.0.4 predict.x on the binary
files its train.x wrote (provenance in that folder's README.md); printed with 8 decimals, so
the tolerance is 1e-8 eV."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import POTENTIAL, ROOT, TIO2
from conftest_lammps import lammps_header, run_lammps, thermo_table, write_data
from trainer.errors import InputFileError
from trainer.nnascii import read_potential
from trainer.nnbinary import LAYOUT, binary_bytes, binary_to_text, looks_binary

BINARY = ROOT / "tests" / "data" / "aenet-binary"
AENET_FILES = [BINARY / "Ti.5t-5t.nn", BINARY / "O.5t-5t.nn"]
REFERENCE = json.loads((BINARY / "predict-x.json").read_text())


def predict(potentials, structures, backend="native"):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "export",
            "predict",
            "--json",
            "--backend",
            backend,
            "--potential",
            *map(str, potentials),
            "--structures",
            *map(str, structures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return [r["energy"] for r in json.loads(proc.stdout)]


def records(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack("<i", data[pos : pos + 4])
        out.append(data[pos + 4 : pos + 4 + n])
        pos += n + 8
    return out


@pytest.mark.parametrize("backend", ["native", "torch"])
def test_files_written_by_aenet_train_x_reproduce_aenet_predict_x(backend):
    energies = predict(AENET_FILES, [TIO2 / name for name in REFERENCE["structures"]], backend)
    assert np.max(np.abs(np.array(energies) - REFERENCE["total_energy"])) < 1e-8


def test_aenet_file_reads_as_its_records_say():
    data = AENET_FILES[0].read_bytes()
    assert looks_binary(data[:12]) and len(records(data)) == len(LAYOUT) == 36
    pot = read_potential(AENET_FILES[0])
    assert pot.network.nnodes == [20, 5, 5, 1] and pot.network.activations == [1, 1, 0]
    assert pot.setup.atomtype == "Ti" and pot.setup.envtypes == ["Ti", "O"] and pot.setup.is_chebyshev
    assert pot.setup.chebyshev_parameters() == (6.5, 6, 3.5, 2)
    assert pot.trainset.typenames == ["Ti", "O"] and pot.reference_energy == -1604.604515075


def test_writing_reproduces_aenet_records():
    """Every record of ænet's file comes back byte for byte, except the description's padding
    (ænet keeps its leading blanks, both readers strip them)."""
    for path in AENET_FILES:
        theirs, ours = records(path.read_bytes()), records(binary_bytes(read_potential(path)))
        assert len(ours) == len(theirs)
        assert ours[9].strip() == theirs[9].strip() and len(ours[9]) == len(theirs[9]) == 1024
        assert [r for k, r in enumerate(ours) if k != 9] == [r for k, r in enumerate(theirs) if k != 9]


def test_export_nnbinary_round_trip_and_same_energies(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "export", "nnbinary", *map(str, POTENTIAL), "-o", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    written = [tmp_path / "Ti.nn", tmp_path / "O.nn"]
    for ascii_path, binary_path in zip(POTENTIAL, written):
        assert read_potential(binary_path).text() == read_potential(ascii_path).text()
    structures = sorted(TIO2.glob("structure-00*.xsf"))
    assert np.max(np.abs(np.array(predict(written, structures)) - predict(POTENTIAL, structures))) < 1e-9
    back = tmp_path / "ascii"
    proc = subprocess.run([sys.executable, "-m", "export", "nnascii", *map(str, written), "-o", str(back)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (back / "O.nn.ascii").read_text() == read_potential(POTENTIAL[1]).text()


def test_lammps_reads_binary_files(tmp_path):
    import ase.io

    write_data(ase.io.read(TIO2 / "structure-001.xsf"), tmp_path / "data.lmp")
    script = lammps_header("data.lmp", f"{AENET_FILES[0]} {AENET_FILES[1]} Ti O")
    _, out = run_lammps(script + "thermo_style custom step pe\nthermo_modify format float %.10f\nrun 0\n", tmp_path)
    assert abs(thermo_table(out)[0]["PotEng"] - REFERENCE["total_energy"][0]) < 1e-8


def _damaged(tmp_path, data: bytes):
    path = tmp_path / "Ti.nn"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("truncated", "Fortran record 36 (T10 E_min E_max E_av): expected a record framed by equal 4-byte lengths"),
        ("record missing", "Fortran record 36 (T10 E_min E_max E_av): expected 36 records"),
        ("wrong record size", "Fortran record 3 (N3 Wsize): expected a whole number of 4-byte values, found 3 bytes"),
        ("inconsistent Wsize", "record N3 Wsize (Fortran record 3)"),
    ],
)
@pytest.mark.parametrize("backend", ["native", "torch"])
def test_damaged_binary_files_name_the_fortran_record(tmp_path, case, fragment, backend):
    data = AENET_FILES[0].read_bytes()
    parts = records(data)
    frame = lambda p: struct.pack("<i", len(p)) + p + struct.pack("<i", len(p))  # noqa: E731
    if case == "truncated":
        damaged = data[:-6]
    elif case == "record missing":
        damaged = b"".join(frame(p) for p in parts[:-1])
    elif case == "wrong record size":
        damaged = b"".join(frame(p[:3] if k == 2 else p) for k, p in enumerate(parts))
    else:
        damaged = b"".join(frame(struct.pack("<i", 7) if k == 2 else p) for k, p in enumerate(parts))
    path = _damaged(tmp_path, damaged)
    if backend == "torch":
        with pytest.raises(InputFileError, match="Fortran record"):
            read_potential(path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "export",
            "predict",
            "--backend",
            backend,
            "--potential",
            str(path),
            str(AENET_FILES[1]),
            "--structures",
            str(TIO2 / "structure-001.xsf"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: {path}: ") and fragment in proc.stderr, proc.stderr


def test_binary_text_is_the_ascii_records_line_by_line():
    text = binary_to_text("x", AENET_FILES[1].read_bytes()).splitlines()
    assert len(text) == 36 and text[1] == "20" and text[10] == "O" and text[12] == "Ti O" and text[15] == "Chebyshev"


LEGACY = ROOT / "tests" / "data" / "aenet-2.0.3"


@pytest.mark.parametrize("backend", ["native", "torch"])
def test_legacy_angular_reproduces_aenet_2_0_3(backend):
    """A potential trained and evaluated by ænet 2.0.3 (angular basis on [0, pi]): --legacy-angular
    reproduces its predict.x (energies printed to 1e-8 eV, forces to 1e-6 eV/Å); the current
    convention does not."""
    reference = json.loads((LEGACY / "predict-x.json").read_text())
    files = [LEGACY / "Ti.5t-5t.nn", LEGACY / "O.5t-5t.nn"]
    structures = [TIO2 / name for name in reference["structures"]]
    args = [
        sys.executable,
        "-m",
        "export",
        "predict",
        "--json",
        "--forces",
        "--backend",
        backend,
        "--potential",
        *map(str, files),
        "--structures",
        *map(str, structures),
    ]
    legacy = json.loads(subprocess.run(args + ["--legacy-angular"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    assert np.max(np.abs([e["energy"] for e in legacy] - np.array(reference["total_energy"]))) < 1e-8
    for entry, forces in zip(legacy, reference["forces"]):
        assert np.max(np.abs(np.array(entry["forces"]) - forces)) < 1e-6
    current = json.loads(subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    assert np.min(np.abs([e["energy"] for e in current] - np.array(reference["total_energy"]))) > 1e-3
