"""Structure readers: ænet XSF (periodic, isolated, forces) and ase.io formats; clear errors on bad XSF."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import POTENTIAL, ROOT, TIO2
from trainer.errors import InputFileError
from trainer.readers import read_atoms, read_structures
from trainer.structures import Structure
from trainer.xsf import read_xsf, write_xsf


def test_periodic_xsf_with_energy_and_forces():
    s = read_xsf(TIO2 / "structure-001.xsf")
    assert s.natoms == 23 and s.periodic and s.energy == -19517.09425849
    assert s.cell[0, 0] == 5.17600016 and s.forces[0, 2] == 2.51304061
    assert s.species.count("Ti") == 8 and s.species.count("O") == 15


def test_isolated_xsf_and_round_trip(tmp_path):
    path = tmp_path / "cluster.xsf"
    path.write_text("# total energy = -12.5 eV\nATOMS\nO 0.0 0.0 0.0\nH 0.95 0.0 0.0\nH -0.3 0.9 0.0\n")
    s = read_xsf(path)
    assert not s.periodic and s.cell is None and s.forces is None and s.energy == -12.5
    s.forces = np.arange(9.0).reshape(3, 3)
    write_xsf(tmp_path / "out.xsf", s)
    t = read_xsf(tmp_path / "out.xsf")
    assert np.allclose(t.positions, s.positions) and np.allclose(t.forces, s.forces) and t.energy == -12.5


def test_extxyz_through_ase(tmp_path):
    s = read_xsf(TIO2 / "structure-002.xsf")
    import ase.io

    ase.io.write(tmp_path / "two.extxyz", [s.to_ase(), s.to_ase()])
    frames = read_structures(tmp_path / "two.extxyz")
    assert len(frames) == 2 and frames[1].energy == pytest.approx(s.energy)
    assert np.allclose(frames[0].forces, s.forces) and np.allclose(frames[0].cell, s.cell)


def test_gzipped_extxyz_read_in_one_go_matches_ase(tmp_path):
    """read_atoms decompresses a .gz whole and parses it from memory: same frames, index
    honoured, as ase.io.read on the plain file; read_structures goes through it."""
    import gzip

    import ase.io

    frames = [read_xsf(TIO2 / f"structure-00{k}.xsf").to_ase() for k in (1, 2, 3)]
    ase.io.write(tmp_path / "three.extxyz", frames)
    with gzip.open(tmp_path / "three.extxyz.gz", "wb") as fh:
        fh.write((tmp_path / "three.extxyz").read_bytes())
    plain = ase.io.read(tmp_path / "three.extxyz", ":")
    packed = read_atoms(tmp_path / "three.extxyz.gz", ":")
    assert len(packed) == 3
    for a, b in zip(plain, packed):
        assert a.get_chemical_symbols() == b.get_chemical_symbols()
        assert np.array_equal(a.positions, b.positions) and np.array_equal(a.cell, b.cell)
        assert a.get_potential_energy() == b.get_potential_energy()
        assert np.array_equal(a.get_forces(), b.get_forces())
    assert [len(a) for a in read_atoms(tmp_path / "three.extxyz.gz", "1:")] == [len(a) for a in plain[1:]]
    structures = read_structures(tmp_path / "three.extxyz.gz")
    assert [s.energy for s in structures] == [a.get_potential_energy() for a in plain]
    (tmp_path / "broken.extxyz.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputFileError, match="broken.extxyz.gz"):
        read_structures(tmp_path / "broken.extxyz.gz")


GOOD = (TIO2 / "structure-003.xsf").read_text()
_LINES = GOOD.splitlines()


def _replace_token(line_number, column, value):
    lines = list(_LINES)
    tokens = lines[line_number - 1].split()
    tokens[column] = value
    lines[line_number - 1] = " ".join(tokens)
    return "\n".join(lines) + "\n"


def _insert(after_line, *new_lines):
    lines = list(_LINES)
    return "\n".join(lines[:after_line] + list(new_lines) + lines[after_line:]) + "\n"


def _drop_last_column(line_number):
    lines = list(_LINES)
    lines[line_number - 1] = " ".join(lines[line_number - 1].split()[:-1])
    return "\n".join(lines) + "\n"


BAD_XSF = {
    "non-numeric coordinate": (GOOD.replace("Ti      ", "Ti  1.0x ", 1), "line 10"),
    "missing force column": (_drop_last_column(12), "line 12: expected 7 columns"),
    "short lattice vector": (GOOD.replace("0.00000000     0.00000000     9.", "0.00000000     9.", 1), "line 7"),
    "no atoms block": ("# total energy = -1.0 eV\nCRYSTAL\n", "PRIMCOORD or ATOMS"),
    "bad count line": (GOOD.replace("23 1", "twenty three"), "PRIMCOORD"),
    "wrong atom count": (GOOD.replace("23 1", "24 1"), "24 atom lines"),
    "bad energy": (GOOD.replace("= -19517", "= abc -19517"), "line 1"),
    "nan force": (_replace_token(10, 5, "nan"), "line 10: expected a force component (eV/Å), found 'nan'"),
    "overflowing force": (_replace_token(10, 5, "1e999"), "line 10: expected a force component (eV/Å) (finite)"),
    "hexadecimal coordinate": (_replace_token(10, 1, "0x10"), "line 10: expected a coordinate (Å), found '0x10'"),
    "unknown element": (_replace_token(10, 0, "Ti\x81"), "line 10: expected an element symbol or atomic number in column 1"),
    # found by tests/fuzz_inputs.py: lines the old reader skipped (the structure read was still the original)
    "repeated lattice line": (_insert(7, _LINES[6]), "line 8: expected a comment, a blank line or an XSF keyword"),
    "repeated CRYSTAL": (_insert(3, "CRYSTAL"), "line 4: expected one dimension keyword, found a second one (the first is on line 3)"),
    "second PRIMVEC block": (_insert(7, *_LINES[3:7]), "line 8: expected one PRIMVEC keyword"),
    "unknown line": (_insert(2, "garbage"), "line 3: expected a comment, a blank line or an XSF keyword"),
    "PRIMCOORD and ATOMS": (GOOD + "\nATOMS\nTi 0 0 0\n", "expected one coordinate block, found ATOMS after PRIMCOORD"),
    "animated XSF": (GOOD.replace("PRIMVEC", "PRIMVEC 1"), "line 4: expected 'PRIMVEC' alone on its line"),
    "two energies": (_insert(1, "# total energy = -1.0 eV"), "line 2: expected one total energy"),
    "PRIMVEC without CRYSTAL": (GOOD.replace("CRYSTAL\n", "", 1), "line 3: expected CRYSTAL, SLAB or POLYMER before PRIMVEC"),
}


@pytest.mark.parametrize("case", sorted(BAD_XSF))
def test_bad_xsf_gives_one_clear_error(tmp_path, case):
    text, fragment = BAD_XSF[case]
    path = tmp_path / "bad.xsf"
    path.write_text(text)
    with pytest.raises(InputFileError) as info:
        read_xsf(path)
    assert str(path) in str(info.value) and fragment in str(info.value)
    proc = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", *map(str, POTENTIAL), "--structures", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and str(path) in proc.stderr


def test_structure_validation():
    with pytest.raises(ValueError, match="periodic but no cell"):
        Structure(np.zeros((1, 3)), ["H"], pbc=(True, True, True))
    with pytest.raises(ValueError, match="species"):
        Structure(np.zeros((2, 3)), ["H"])
