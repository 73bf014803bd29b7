"""`python -m trainer committee`: the spread of several potentials over frames (#10, item 4)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import POTENTIAL, TIO2, write_random_potential


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """The ænet TiO2 potential and two random Ti/O potentials of the same descriptor."""
    out = [POTENTIAL[0].parent]
    for seed in (3, 4):
        d = tmp_path_factory.mktemp(f"member{seed}")
        write_random_potential(d, {"radial_cutoff": 6.5, "radial_order": 8, "angular_cutoff": 4.0, "angular_order": 4}, {"hidden": [5]}, seed=seed)
        out.append(d)
    return out


def test_spread_equals_the_members_own_predictions(members):
    from trainer.committee import Committee, member_files
    from trainer.native import NativeHandle
    from trainer.readers import read_structures

    s = read_structures(TIO2 / "structure-002.xsf")[0]
    spread = Committee(members).spread(s)
    results = [NativeHandle.from_files(member_files(m)).compute(s) for m in members]
    e = np.array([r[0] for r in results])
    f = np.stack([r[2] for r in results])
    sigma = np.sqrt(((f - f.mean(0)) ** 2).sum(2).mean(0))
    np.testing.assert_allclose(spread.force_std_atoms, sigma, rtol=1e-12, atol=0)
    assert spread.force_std_max == pytest.approx(sigma.max(), rel=1e-12)
    assert spread.energy_std == pytest.approx(e.std() / s.natoms * 1000.0, rel=1e-12)
    assert spread.energy_mean == pytest.approx(e.mean(), rel=1e-14)
    assert spread.force_std_max > 0.01  # random members disagree


def test_identical_members_agree_exactly(members):
    from trainer.committee import Committee
    from trainer.readers import read_structures

    s = read_structures(TIO2 / "structure-002.xsf")[0]
    spread = Committee([members[1], members[1]]).spread(s)
    assert spread.force_std_max == 0.0 and spread.energy_std == 0.0


def test_cli_selects_frames_of_largest_spread(members, tmp_path):
    files = [str(TIO2 / f"structure-{k:03d}.xsf") for k in (1, 2, 3, 40)]
    args = [sys.executable, "-m", "trainer", "committee", "--structures", *files, "--select", "2"]
    args += ["--write", str(tmp_path / "next.extxyz"), "--json", str(tmp_path / "c.json")]
    for m in members:
        args += ["--member", str(m)]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    doc = json.loads((tmp_path / "c.json").read_text())
    top = sorted(range(4), key=lambda k: -doc["frames"][k]["force_std_max"])[:2]
    assert doc["selected"] == top
    import ase.io

    written = ase.io.read(tmp_path / "next.extxyz", ":")
    assert [len(a) for a in written] == [doc["frames"][k]["natoms"] for k in top]
    assert "selected 2 frames" in run.stdout


def test_cli_errors_name_the_problem(members, tmp_path):
    base = [sys.executable, "-m", "trainer", "committee", "--structures", str(TIO2 / "structure-001.xsf")]
    one = subprocess.run(base + ["--member", str(members[0])], capture_output=True, text=True)
    assert one.returncode == 2 and "at least two members, got 1" in one.stderr
    (tmp_path / "empty").mkdir()
    empty = subprocess.run(base + ["--member", str(members[0]), "--member", str(tmp_path / "empty")], capture_output=True, text=True)
    assert empty.returncode == 2 and "*.nn.ascii or *.nn files" in empty.stderr and "empty" in empty.stderr
