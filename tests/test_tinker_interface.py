"""Tinker interface (tinker_interface/): the Fortran module driven the way Tinker's hooks
drive it, by a Fortran test program compiled here with gfortran against the installed
libtaylorann.so.

References: `python -m export predict` (the project's Python evaluator, #2) on the real
TiO2 data and ænet potential; energies and gradients are compared in Tinker's units
(kcal/mol, kcal/mol/Å) with the project's factor 23.0605478 kcal/mol per eV. The C library's
own messages (read through ctypes) are the reference for its error returns.
"""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest

from conftest import POTENTIAL, ROOT, TIO2

EV = 23.0605478
SOURCES = ROOT / "tinker_interface"
PROGRAM = SOURCES / "tests" / "test_taylorann_tinker.f90"
TI, O = (str(p) for p in POTENTIAL)
KEYS = [f"TAYLORANN-POTENTIAL Ti {TI}", f"taylorann_potential {O}   # element from the file name"]

# Tolerances. Energies: |E| ~ 5e5-1e6 kcal/mol, where one double ulp is ~1e-10 kcal/mol; two
# evaluators that sum the same per-atom energies in a different order differ by a few ulps,
# so 1e-8 kcal/mol absolute is tight but honest (measured: <= ~2e-10). Gradients are
# ~1e2 kcal/mol/Å: 1e-8 absolute (measured <= 6e-13; via the .pt model the same).
E_TOL = 1e-8
G_TOL = 1e-8


# ------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    from trainer.binaries import core_library, include_dir

    if not shutil.which("gfortran"):
        pytest.skip("needs gfortran (the Tinker interface's Fortran test program): apt-get install gfortran")
    assert (include_dir() / "taylorann" / "c_api.h").exists()
    libdir = core_library().parent
    build = tmp_path_factory.mktemp("tinker-build")
    exe = build / "test_taylorann_tinker"
    cmd = [
        "gfortran",
        "-std=f2008",
        "-Wall",
        "-Werror",
        "-O2",
        f"-J{build}",
        str(SOURCES / "taylorann_tinker.f90"),
        str(PROGRAM),
        "-o",
        str(exe),
        f"-L{libdir}",
        f"-Wl,-rpath,{libdir}",
        "-ltaylorann",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return exe


def atomic_number(symbol: str) -> int:
    return {"Ti": 22, "O": 8}[symbol]


def write_case(path: Path, keys, atoms, names=None, atomic=None) -> Path:
    periodic = bool(atoms.pbc.any())
    symbols = atoms.get_chemical_symbols()
    names = names or symbols
    atomic = atomic if atomic is not None else [atomic_number(s) for s in symbols]
    lines = [f"keys {len(keys)}", *keys, f"atoms {len(atoms)}", f"periodic {'T' if periodic else 'F'}"]
    if periodic:
        lines += [" ".join(repr(float(v)) for v in row) for row in atoms.cell[:]]
    lines += [f"{z} {nm} " + " ".join(repr(float(v)) for v in r) for z, nm, r in zip(atomic, names, atoms.positions)]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(program: Path, command: str, case: Path, *extra) -> dict:
    done = subprocess.run([str(program), command, str(case), *map(str, extra)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out: dict[str, list[list[str]]] = {}
    for line in done.stdout.splitlines():
        key, _, rest = line.strip().partition(" ")
        out.setdefault(key, []).append(rest)
    return out


def status_message(out: dict) -> tuple[int, str]:
    return int(out["status"][0]), out["message"][0].strip()


def evaluation(out: dict):
    n = len(out["gradient"])
    grad = np.zeros((n, 3))
    for rest in out["gradient"]:
        i, *g = rest.split()
        grad[int(i) - 1] = [float(v) for v in g]
    vir = np.zeros((3, 3))
    for rest in out["virial"]:
        a, b, v = rest.split()
        vir[int(a) - 1, int(b) - 1] = float(v)
    eatom = np.array([float(r.split()[1]) for r in out["atom_energy"]])
    return float(out["energy"][0]), grad, vir, eatom


def c_library_message(paths) -> tuple[int, str]:
    """Status and message of taylorann_create called directly (the reference for errors)."""
    from trainer.binaries import core_library

    lib = ctypes.CDLL(str(core_library()))
    lib.taylorann_last_error.restype = ctypes.c_char_p
    lib.taylorann_destroy.restype = None
    handle = ctypes.c_void_p()
    arr = (ctypes.c_char_p * len(paths))(*(str(p).encode() for p in paths))
    status = lib.taylorann_create(arr, len(paths), 0, ctypes.byref(handle))
    message = lib.taylorann_last_error().decode()
    if handle:
        lib.taylorann_destroy(handle)
    return status, message


# ------------------------------------------------------------- structures


def _triclinic():
    """structure-001's fractional coordinates in a genuinely triclinic cell written the
    way Tinker builds lvec (a along x, b in the xy plane); all axes < 2 x cut-off."""
    atoms = ase.io.read(TIO2 / "structure-001.xsf")
    frac = atoms.get_scaled_positions()
    atoms.set_cell([[5.3, 0.0, 0.0], [1.1, 5.5, 0.0], [-0.7, 0.8, 9.3]])
    atoms.set_scaled_positions(frac)
    return atoms


def _cluster():
    """An isolated 12-atom TiO2 cluster (first atoms of structure-001, no cell)."""
    atoms = ase.io.read(TIO2 / "structure-001.xsf")[:12]
    atoms.set_cell(None)
    atoms.pbc = False
    return atoms


@pytest.fixture(scope="module")
def structures(tmp_path_factory):
    """name -> (ase.Atoms, predict entry with energy in eV and forces in eV/Å)."""
    folder = tmp_path_factory.mktemp("tinker-structures")
    atoms = {f"s{k:03d}": ase.io.read(TIO2 / f"structure-{k:03d}.xsf") for k in (1, 2, 3)}
    atoms["triclinic"] = _triclinic()
    atoms["cluster"] = _cluster()
    files = [str(TIO2 / f"structure-{k:03d}.xsf") for k in (1, 2, 3)]
    for name in ("triclinic", "cluster"):
        path = folder / f"{name}.xyz"
        ase.io.write(path, atoms[name], format="extxyz")
        atoms[name] = ase.io.read(path)  # the file rounds positions: use what predict reads
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", TI, O, "--structures", *files, "--forces", "--json", "--backend", "torch"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)
    assert [e["natoms"] for e in entries] == [len(a) for a in atoms.values()]
    return {name: (a, e) for (name, a), e in zip(atoms.items(), entries)}


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize("name", ["s001", "s002", "s003", "triclinic", "cluster"])
def test_energy_gradient_vs_predict(program, structures, tmp_path, name):
    """structure-001/003: orthorhombic boxes smaller than twice the 6.5 Å cut-off on every
    axis; structure-002: the non-orthogonal cell; triclinic; an isolated cluster."""
    atoms, ref = structures[name]
    out = run(program, "evaluate", write_case(tmp_path / "case.txt", KEYS, atoms))
    assert status_message(out) == (0, "")
    energy, grad, vir, eatom = evaluation(out)
    assert abs(energy - EV * ref["energy"]) < E_TOL
    assert np.abs(grad + EV * np.array(ref["forces"])).max() < G_TOL
    # energy-only (extra) and analysis (extra3) paths give the same energy; per-atom sum
    assert float(out["energy_only"][0]) == energy
    assert float(out["energy_analysis"][0]) == energy
    assert abs(eatom.sum() - energy) < 1e-8
    # the raw C call (eV, forces, row-major LAMMPS-sign virial) agrees bit for bit
    assert out["raw_status"] == ["0"]
    for key in ("raw_energy_dev", "raw_gradient_dev", "raw_virial_dev"):
        assert float(out[key][0]) == 0.0, key
    # Tinker's virial: vir = sum r dE/dr is symmetric for this rotation-invariant potential
    assert np.abs(vir - vir.T).max() < 1e-8 * np.abs(vir).max()


def test_binary_nn_files_give_the_same_evaluation(program, structures, tmp_path):
    """ænet binary .nn files (python -m export nnbinary) through the Tinker hook: told apart by
    content, the same energy and gradient as the .nn.ascii files."""
    done = subprocess.run([sys.executable, "-m", "export", "nnbinary", TI, O, "-o", str(tmp_path / "bin")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    keys = [f"TAYLORANN-POTENTIAL Ti {tmp_path / 'bin' / 'Ti.nn'}", f"TAYLORANN-POTENTIAL O {tmp_path / 'bin' / 'O.nn'}"]
    atoms, ref = structures["s002"]
    out = run(program, "evaluate", write_case(tmp_path / "case.txt", keys, atoms))
    assert status_message(out) == (0, "")
    energy, grad, _, _ = evaluation(out)
    assert abs(energy - EV * ref["energy"]) < E_TOL
    assert np.abs(grad + EV * np.array(ref["forces"])).max() < G_TOL


def test_extrapolation_is_reported(program, structures, tmp_path):
    """Atoms outside the descriptors' training range: counted and warned about (default),
    an error status with TAYLORANN-EXTRAPOLATION ERROR, silent with IGNORE."""
    atoms, _ = structures["s001"]
    out = run(program, "evaluate", write_case(tmp_path / "in.txt", KEYS, atoms))
    assert out["outside"] == ["0"] and "taylorann:" not in out
    squeezed = atoms.copy()
    squeezed.set_cell(atoms.cell[:] * 0.85, scale_atoms=True)
    out = run(program, "evaluate", write_case(tmp_path / "out.txt", KEYS, squeezed))
    assert out["outside"] == ["23"] and out["evaluate_status"][0].startswith("0")
    assert any("23 atoms outside the training range" in line for line in out["taylorann:"])
    out = run(program, "evaluate", write_case(tmp_path / "err.txt", KEYS + ["TAYLORANN-EXTRAPOLATION ERROR"], squeezed))
    assert out["evaluate_status"][0].startswith("7 taylorann: 23 atoms outside the training range")
    out = run(program, "evaluate", write_case(tmp_path / "ign.txt", KEYS + ["taylorann_extrapolation ignore"], squeezed))
    assert out["outside"] == ["23"] and "taylorann:" not in out
    status, message = _config_error(program, atoms, tmp_path, KEYS + ["TAYLORANN-EXTRAPOLATION LOUD"])
    assert status == 6 and "TAYLORANN-EXTRAPOLATION expects WARN, ERROR or IGNORE" in message


def test_unwrapped_coordinates(program, structures, tmp_path):
    """Atoms moved by whole lattice vectors (as Tinker's MD leaves them) change nothing."""
    atoms, ref = structures["s002"]
    moved = atoms.copy()
    shifts = np.random.default_rng(5).integers(-2, 3, size=(len(atoms), 3))
    moved.positions = atoms.positions + shifts @ atoms.cell[:]
    out = run(program, "evaluate", write_case(tmp_path / "case.txt", KEYS, moved))
    energy, grad, _, _ = evaluation(out)
    assert abs(energy - EV * ref["energy"]) < 1e-7
    assert np.abs(grad + EV * np.array(ref["forces"])).max() < 1e-7


@pytest.mark.parametrize("name", ["s001", "triclinic", "cluster"])
def test_finite_difference_gradient_and_virial(program, structures, tmp_path, name):
    """Gradient vs a 4th-order central difference (step 1e-4 Å); virial vs the derivative of
    E under a homogeneous strain of atoms and cell (step 3e-5), vir(a,b) = dE/d(eps_ba).
    Tolerances: |E| ~ 5e5 kcal/mol carries a summation round-off of ~1e-9 kcal/mol, i.e.
    ~1e-5 kcal/mol/Å in the difference quotient at h = 1e-4; the ænet cut-off function is
    not smooth at the cut-off, so pairs that cross it during the stencil add an O(h^2)
    error (larger steps converge like h^2, not h^4). Measured: gradient <= 3e-6 of
    |dE/dx| ~ 80, virial <= 6e-6 of |vir| ~ 150 kcal/mol. A unit, sign or transpose slip
    would be off by O(1-100)."""
    atoms, _ = structures[name]
    case = write_case(tmp_path / "case.txt", KEYS, atoms)
    grad = run(program, "fd", case, 1e-4)
    assert float(grad["fd_gradient_maxdev"][0]) < 2e-5
    assert float(grad["fd_gradient_maxabs"][0]) > 1.0
    vir = run(program, "fd", case, 3e-5)
    assert float(vir["fd_virial_maxdev"][0]) < 1e-6 * max(1.0, float(vir["fd_virial_maxabs"][0])) + 1e-5


def test_torchscript_model_matches_nnascii(program, structures, tmp_path):
    """TAYLORANN-MODEL tio2.pt (python -m export torchscript) gives the .nn.ascii results."""
    from trainer.binaries import core_library

    lib = ctypes.CDLL(str(core_library()))
    assert lib.taylorann_has_torch() == 1, "the installed library lacks the TorchScript backend"
    model = tmp_path / "tio2.pt"
    done = subprocess.run([sys.executable, "-m", "export", "torchscript", TI, O, "-o", str(model)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for name in ("s002", "cluster"):
        atoms, ref = structures[name]
        out = run(program, "evaluate", write_case(tmp_path / f"{name}.txt", [f"TAYLORANN-MODEL {model}"], atoms))
        assert status_message(out) == (0, "")
        energy, grad, _, eatom = evaluation(out)
        assert abs(energy - EV * ref["energy"]) < E_TOL
        assert np.abs(grad + EV * np.array(ref["forces"])).max() < G_TOL
        assert abs(eatom.sum() - energy) < 1e-8


def test_configuration_species_and_names(program, structures, tmp_path):
    atoms, _ = structures["s001"]
    out = run(program, "configure", write_case(tmp_path / "case.txt", KEYS, atoms))
    assert status_message(out) == (0, "") and out["active"] == ["T"]
    assert [r.split()[1] for r in out["species"]] == ["Ti", "O"]
    assert float(out["cutoff"][0]) == 6.5
    expected = [0 if s == "Ti" else 1 for s in atoms.get_chemical_symbols()]
    assert [int(r.split()[1]) for r in out["atom_species"]] == expected
    # without atomic numbers the atom names decide ("TI1" -> Ti, "OW" -> O)
    names = ["TI1" if s == "Ti" else "OW" for s in atoms.get_chemical_symbols()]
    out = run(program, "configure", write_case(tmp_path / "n.txt", KEYS, atoms, names=names, atomic=[0] * len(atoms)))
    assert [int(r.split()[1]) for r in out["atom_species"]] == expected
    # the atomic number wins over a misleading name
    out = run(program, "configure", write_case(tmp_path / "z.txt", KEYS, atoms, names=["O"] * len(atoms)))
    assert [int(r.split()[1]) for r in out["atom_species"]] == expected


@pytest.mark.parametrize("keys", [[], ["EXTRATERM NONE"], ["parameters tio2.prm", "verbose"]])
def test_no_taylorann_keyword_leaves_hooks_inactive(program, structures, tmp_path, keys):
    atoms, _ = structures["cluster"]
    out = run(program, "configure", write_case(tmp_path / "case.txt", keys, atoms))
    assert status_message(out) == (0, "") and out["active"] == ["F"]


def _config_error(program, atoms, tmp_path, keys) -> tuple[int, str]:
    out = run(program, "configure", write_case(tmp_path / "case.txt", keys, atoms))
    assert out["active"] == ["F"]
    return status_message(out)


def test_c_library_errors_carry_its_message(program, structures, tmp_path):
    atoms, _ = structures["cluster"]
    missing = tmp_path / "nowhere" / "Ti.nn.ascii"
    status, message = _config_error(program, atoms, tmp_path, [f"TAYLORANN-POTENTIAL {missing}", KEYS[1]])
    assert (status, message) == c_library_message([missing, O]) and status == 1
    assert str(missing) in message

    lines = Path(TI).read_text().splitlines(keepends=True)
    broken = tmp_path / "Ti.nn.ascii"
    broken.write_text("".join(lines[: len(lines) // 2]))
    status, message = _config_error(program, atoms, tmp_path, [f"TAYLORANN-POTENTIAL {broken}", KEYS[1]])
    assert (status, message) == c_library_message([broken, O]) and status == 2
    assert message

    garbage = tmp_path / "model.pt"
    garbage.write_text("not a TorchScript archive\n")
    status, message = _config_error(program, atoms, tmp_path, [f"TAYLORANN-MODEL {garbage}"])
    assert (status, message) == c_library_message([garbage]) and status != 0 and message
    status, message = _config_error(program, atoms, tmp_path, [f"TAYLORANN-MODEL {tmp_path / 'none.pt'}"])
    assert (status, message) == c_library_message([tmp_path / "none.pt"]) and status == 1


@pytest.mark.parametrize(
    "keys, expected",
    [
        ([f"TAYLORANN-POTENTIAL {O}"], "atom 1, element Ti (atomic number 22), has no taylorann potential; the potential covers: O"),
        (["EXTRATERM ONLY"], "EXTRATERM ONLY is set but no taylorann potential is given"),
        ([f"TAYLORANN-POTENTIAL Ti {O}", f"TAYLORANN-POTENTIAL O {TI}"], f"file {O} is a potential for species O, but it is given for element Ti"),
        ([KEYS[0], f"TAYLORANN-POTENTIAL ti {TI}"], "element Ti has two potentials"),
        ([KEYS[0], "TAYLORANN-MODEL tio2.pt"], "TAYLORANN-MODEL and TAYLORANN-POTENTIAL cannot be combined"),
        (["TAYLORANN-MODEL a.pt", "TAYLORANN-MODEL b.pt"], "TAYLORANN-MODEL is given more than once"),
        (["TAYLORANN-MODEL"], "TAYLORANN-MODEL expects one file name"),
        (["TAYLORANN-POTENTIAL"], 'TAYLORANN-POTENTIAL expects "[element] file.nn.ascii", got: TAYLORANN-POTENTIAL'),
        ([f"TAYLORANN-POTENTIAL Ti {TI} extra"], 'TAYLORANN-POTENTIAL expects "[element] file.nn.ascii"'),
        (["TAYLORANN-POTENTIAL Qq Ti.nn.ascii"], '"Qq" is not an element symbol'),
        (["TAYLORANN-POTENTIAL pot/tio2-ti.nn.ascii"], "the file name does not start with an element symbol"),
    ],
)
def test_configuration_errors(program, structures, tmp_path, keys, expected):
    atoms, _ = structures["cluster"]
    status, message = _config_error(program, atoms, tmp_path, keys)
    assert status == 6 and expected in message, message


def test_error_returns_of_calls(program, structures, tmp_path):
    atoms, _ = structures["cluster"]
    out = run(program, "calls", write_case(tmp_path / "case.txt", KEYS, atoms))
    assert out["unknown_species_index"] == ["0 -1"]
    assert out["reference_energy_bad_index"] == ["3 taylorann_reference_energy: index out of range"]
    assert out["species_name_small_buffer"] == ["3 taylorann_species_name: buffer too small"]
    raw = out["compute_bad_species_raw"][0]
    assert raw.startswith("3 ") and "species index 2" in raw
    assert out["compute_bad_species_module"] == [raw]
    assert out["compute_closed_model"] == ["3 tann_compute: the model is not open"]
    assert out["compute_short_coordinates"] == ["3 tann_compute: fewer coordinates than atoms"]


def test_tinker_info_command():
    done = subprocess.run([sys.executable, "-m", "export", "tinker-info"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    from trainer.binaries import core_library

    lib = core_library()
    assert f"-L{lib.parent} -Wl,-rpath,{lib.parent} -ltaylorann" in done.stdout
    folder = Path(done.stdout.split("Tinker files :")[1].split()[0])
    for name in ("taylorann_tinker.f90", "extra.f", "extra1.f", "extra3.f", "kextra.f", "README.md"):
        assert (folder / name).is_file(), name
