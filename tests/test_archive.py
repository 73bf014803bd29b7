"""trainer.archive.keep_run: the committable record of a finished run."""

from __future__ import annotations

import pytest

from trainer.archive import keep_run


def _run_dir(tmp_path, rows=25):
    run = tmp_path / "run"
    (run / "potential").mkdir(parents=True)
    for e in ("H", "O"):
        (run / "potential" / f"{e}.nn.ascii").write_text(f"{e} network\n")
    (run / "metrics.csv").write_text("epoch,loss\n" + "".join(f"{k},{1.0 / k}\n" for k in range(1, rows + 1)))
    (run / "summary.json").write_text('{"best_epoch": 7}')
    return run


def test_keep_run_copies_potentials_thins_history_and_copies_files(tmp_path):
    run = _run_dir(tmp_path)
    keep_run(run, tmp_path / "kept", files=("summary.json",))
    kept = tmp_path / "kept"
    assert sorted(p.name for p in kept.iterdir()) == ["H.nn.ascii", "O.nn.ascii", "history.csv", "summary.json"]
    assert (kept / "O.nn.ascii").read_text() == "O network\n"
    epochs = [int(r.split(",")[0]) for r in (kept / "history.csv").read_text().splitlines()[1:]]
    assert epochs == [10, 20, 25]  # every 10th row plus the last
    assert (kept / "summary.json").read_text() == '{"best_epoch": 7}'


def test_keep_run_refuses_an_unfinished_run_and_writes_nothing(tmp_path):
    run = _run_dir(tmp_path)
    (run / "summary.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"not a finished run, .*summary.json is missing"):
        keep_run(run, tmp_path / "kept", files=("summary.json",))
    for f in (run / "potential").iterdir():
        f.unlink()
    (run / "summary.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"potential/\*.nn.ascii"):
        keep_run(run, tmp_path / "kept", files=("summary.json",))
    assert not (tmp_path / "kept").exists()


def test_keep_run_writes_the_config_relative_to_the_given_folders(tmp_path):
    run = _run_dir(tmp_path)
    out, repo = tmp_path / "out", tmp_path
    (run / "config.yaml").write_text(
        f"output: {out}/r1\ndata:\n  train:\n  - {out}/round_0/labelled.extxyz\n  - {repo}/runs/splits/train.extxyz\n  - /elsewhere/x.extxyz\n"
    )
    keep_run(run, tmp_path / "kept", files=("summary.json",), config_roots=(out, repo))
    text = (tmp_path / "kept" / "config.yaml").read_text()
    assert text == "output: r1\ndata:\n  train:\n  - round_0/labelled.extxyz\n  - runs/splits/train.extxyz\n  - /elsewhere/x.extxyz\n"
    (run / "config.yaml").unlink()
    with pytest.raises(FileNotFoundError, match="config.yaml"):
        keep_run(run, tmp_path / "again", config_roots=(out,))
