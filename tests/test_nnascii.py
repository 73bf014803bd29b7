"""The .nn.ascii reader (dialects P, X, F), the writer (bit-exact round trip) and its errors."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import POTENTIAL, ROOT, TIO2
from trainer.nnascii import read_potential, write_potential
from trainer.errors import InputFileError


def _arrays(p):
    return [
        p.network.weights,
        p.setup.sfparam,
        p.setup.sfenv,
        p.setup.sfval_avg,
        p.setup.sfval_cov,
        p.setup.sfval_min,
        p.setup.sfval_max,
        p.trainset.e_atom,
        p.trainset.e_stats,
    ]


def _same(a, b):
    assert a.network.nnodes == b.network.nnodes and a.network.activations == b.network.activations
    assert a.setup.envtypes == b.setup.envtypes and a.setup.atomtype == b.setup.atomtype
    assert a.trainset.scale == b.trainset.scale and a.trainset.shift == b.trainset.shift
    for x, y in zip(_arrays(a), _arrays(b)):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("path", POTENTIAL)
def test_write_read_is_bit_exact(tmp_path, path):
    p = read_potential(path)
    out = tmp_path / path.name
    write_potential(out, p)
    q = read_potential(out)
    _same(p, q)
    write_potential(tmp_path / "again.nn.ascii", q)
    assert (tmp_path / "again.nn.ascii").read_text() == out.read_text()


def _wrap(values, per_line, fmt):
    return "\n".join(" ".join(fmt(v) for v in values[k : k + per_line]) for k in range(0, len(values), per_line))


def dialect_f(p) -> str:
    """Fortran save_*_ASCII layout: 4 values per line, names one per line (§2)."""
    n, s, t = p.network, p.setup, p.trainset
    r = lambda v: f"{v:24.17E}"
    i = lambda v: f"{int(v):12d}"
    iw, iv = n.offsets()
    lines = [
        i(n.nlayers),
        i(max(n.nnodes)),
        i(iw[-1]),
        i(iv[-1] + 1),
        _wrap(n.nnodes, 4, i),
        _wrap(n.activations, 4, i),
        _wrap(iw, 4, i),
        _wrap(iv, 4, i),
        _wrap(list(n.weights), 4, r),
        s.description,
        s.atomtype,
        i(len(s.envtypes)),
        "\n".join(f"{e:2s}" for e in s.envtypes),
        r(s.rc_min),
        r(s.rc_max),
        s.sftype,
        i(s.nsf),
        i(4),
        _wrap(list(s.sf), 4, i),
        _wrap(list(s.sfparam.T.reshape(-1)), 4, r),
        _wrap(list(s.sfenv.T.reshape(-1)), 4, i),
        i(s.neval),
        _wrap(list(s.sfval_min), 4, r),
        _wrap(list(s.sfval_max), 4, r),
        _wrap(list(s.sfval_avg), 4, r),
        _wrap(list(s.sfval_cov), 4, r),
        t.file,
        ".true.",
        r(t.scale),
        r(t.shift),
        i(len(t.typenames)),
        "\n".join(t.typenames),
        _wrap(list(t.e_atom), 4, r),
        i(t.natomtot),
        i(t.nstrucs),
        _wrap(list(t.e_stats), 4, r),
    ]
    return "\n".join(lines) + "\n"


def dialect_x(p) -> str:
    """aenet-python export: like P but sfparam 12/line, sfenv 24/line, flag T."""
    text = p.text().splitlines()
    s = p.setup
    k = len(p.network.lines())
    text[k + 10] = _wrap([float(v) for v in s.sfparam.T.reshape(-1)], 12, repr)
    text[k + 11] = _wrap([int(v) for v in s.sfenv.T.reshape(-1)], 24, str)
    return "\n".join(text) + "\n"


@pytest.mark.parametrize("maker", [dialect_f, dialect_x])
def test_other_dialects_read_the_same(tmp_path, maker):
    p = read_potential(POTENTIAL[0])
    path = tmp_path / "Ti.nn.ascii"
    path.write_text(maker(p))
    _same(p, read_potential(path))


def test_fortran_sfenv_with_nenv_rows(tmp_path):
    """Fortran's save_Setup_ASCII writes nenv rows of sfenv (§4.4): 3 env species -> 3*nsf integers."""
    p = read_potential(POTENTIAL[0])
    lines = p.text().splitlines()
    k = len(p.network.lines())
    lines[k + 2] = f"{3:17d}"
    lines[k + 3] = "Ti O Li"
    lines[k + 11] = " ".join(["0"] * (3 * p.setup.nsf))
    path = tmp_path / "Ti3.nn.ascii"
    path.write_text("\n".join(lines) + "\n")
    # 3 env species keep nsf = (20+6+2)*2 = 56, so only the sfenv layout differs
    q = read_potential(path)
    assert q.setup.envtypes == ["Ti", "O", "Li"] and q.setup.sfenv.shape == (2, p.setup.nsf)


def _corrupt(text, old, new, count=1):
    assert old in text, old
    return text.replace(old, new, count)


def corrupted_variants():
    ti = POTENTIAL[0].read_text()
    lines = ti.splitlines()
    return {
        "truncated": ("\n".join(lines[:20]) + "\n", "truncated"),
        "empty": ("", "N1 nlayers"),
        "unknown activation": (_corrupt(ti, lines[5], "                7                 1                 0"), "N6 f_a"),
        "wrong Wsize": (_corrupt(ti, lines[2], "              320"), "N3 Wsize"),
        "NaN weight": (_corrupt(ti, lines[8].split()[3], "NaN"), "N9 W"),
        "text in weights": (_corrupt(ti, lines[8].split()[0], "abc"), "N9 W"),
        "wrong nsf": (_corrupt(ti, "               56\n                4\n", "               55\n                4\n"), "S12 sfenv"),
        "orders inconsistent with nsf": (_corrupt(ti, "20.00000000000000000", "19.0"), "S8 nsf"),
        "bad sftype": (_corrupt(ti, "\nChebyshev\n", "\nGaussian\n"), "S7 sftype"),
        "missing T section": ("\n".join(lines[:26]) + "\n", "truncated"),
    }


@pytest.mark.parametrize("case", sorted(corrupted_variants()))
def test_corrupted_files_give_one_clear_error(tmp_path, case):
    text, fragment = corrupted_variants()[case]
    path = tmp_path / "bad.nn.ascii"
    path.write_text(text)
    with pytest.raises(InputFileError) as info:
        read_potential(path)
    message = str(info.value)
    assert str(path) in message and fragment in message and "expected" in message
    proc = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", str(path), str(POTENTIAL[1]), "--structures", str(TIO2 / "structure-001.xsf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: ") and str(path) in proc.stderr


def test_missing_file_and_species_without_potential(tmp_path):
    with pytest.raises(InputFileError, match="open"):
        read_potential(tmp_path / "nope.nn.ascii")
    proc = subprocess.run(
        [sys.executable, "-m", "export", "predict", "--potential", str(POTENTIAL[0]), "--structures", str(TIO2 / "structure-001.xsf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "O" in proc.stderr
