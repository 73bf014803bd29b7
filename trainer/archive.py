"""The small, committable record of a finished training run.

A run folder holds the checkpoint (with the optimiser's state), the full metrics history and
the exports; a study that spans several sessions keeps only what a later session needs to skip
the run and to report on it: the ``.nn.ascii`` files, a thinned history and a few small files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .atomic_io import atomic_write_text
from .checkpoint import CHECKPOINT


def keep_run(run_dir: Path, target: Path, files: tuple[str, ...] = (), every: int = 10, config_roots: tuple[Path, ...] = ()) -> None:
    """Copy ``run_dir/potential/*.nn.ascii`` to ``target``, every ``every``-th row of
    ``run_dir/metrics.csv`` (plus the last) to ``target/history.csv`` and each of ``files``
    (names inside ``run_dir``). With ``config_roots``, also ``run_dir/config.yaml`` with the
    paths below those folders made relative to them, in that order (an archive goes to other
    machines: no machine paths). Raises FileNotFoundError naming the first missing file."""
    run_dir, target = Path(run_dir), Path(target)
    potentials = sorted((run_dir / "potential").glob("*.nn.ascii"))
    needed = [run_dir / "metrics.csv", *(run_dir / f for f in files), *([run_dir / "config.yaml"] if config_roots else [])]
    missing = [str(p) for p in needed if not p.exists()] or ([] if potentials else [f"{run_dir / 'potential'}/*.nn.ascii"])
    if missing:
        raise FileNotFoundError(f"{run_dir}: not a finished run, {missing[0]} is missing")
    target.mkdir(parents=True, exist_ok=True)
    for f in potentials:
        shutil.copy2(f, target / f.name)
    rows = (run_dir / "metrics.csv").read_text().splitlines()
    keep = [rows[0]] + [r for k, r in enumerate(rows[1:], 1) if k % every == 0 or k == len(rows) - 1]
    atomic_write_text(target / "history.csv", "\n".join(keep) + "\n")
    if config_roots:
        text = (run_dir / "config.yaml").read_text()
        for root in config_roots:
            text = text.replace(f"{Path(root)}/", "")
        atomic_write_text(target / "config.yaml", text)
    for name in files:  # last: a reader takes the first of these as "archived"
        shutil.copy2(run_dir / name, target / name)


PARTIAL = "partial"  # <archived run>/partial/: an unfinished run's last checkpoint and metrics
PARTIAL_FILES = (CHECKPOINT, "metrics.csv")  # the checkpoint first


def keep_partial(run_dir: Path, target: Path) -> None:
    """Copy an unfinished run's checkpoint and metrics into ``target/partial/`` (each file
    atomically, the checkpoint first: metrics alone are not resumable)."""
    from .atomic_io import atomic_write_bytes

    (Path(target) / PARTIAL).mkdir(parents=True, exist_ok=True)
    for name in PARTIAL_FILES:
        if (Path(run_dir) / name).exists():
            atomic_write_bytes(Path(target) / PARTIAL / name, (Path(run_dir) / name).read_bytes())
