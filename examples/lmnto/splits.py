"""Train / test / validation sets of the LMNTO CHGNet data without correlated neighbours across sets.

Frames are 10 fs apart and decorrelate after ~100 fs (data/README.md).  Both runs lose
their first 1 ps (equilibration); run B's last 250 frames (2.5 ps) are the validation set
(never used for selection); the remaining frames are cut into blocks of 20 (200 fs):
every 9th block is test, the others are training, and a 10-frame gap is dropped at each
test-block boundary.  From those, 720 training and 80 test structures are drawn with the
seed (the paper's numbers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.readers import read_atoms

DATA = Path(__file__).resolve().parent / "data"
RUNS = ("lmnto56_400K_runA.extxyz.gz", "lmnto56_400K_runB.extxyz.gz")
EQUILIBRATION_FRAMES = 100
VALIDATION_FRAMES = 250
BLOCK = 20
GAP = 10


def read_frames(path: Path) -> list:
    """All frames of an extended-XYZ file, gzipped or not, as ASE ``Atoms``."""
    return read_atoms(path, ":")


def make_splits(seed: int = 2020, n_train: int = 720, n_test: int = 80):
    train, test, validation = [], [], []
    for k, name in enumerate(RUNS):
        frames = read_frames(DATA / name)[EQUILIBRATION_FRAMES:]
        if k == 1:
            frames, held_out = frames[: -VALIDATION_FRAMES - GAP], frames[-VALIDATION_FRAMES:]
            validation.extend(held_out)
        nblocks = len(frames) // BLOCK
        is_test = [(b % 9) == 4 for b in range(nblocks)]
        for b in range(nblocks):
            block = frames[b * BLOCK : (b + 1) * BLOCK]
            if is_test[b]:
                test.extend(block)
            else:
                near_test = (b > 0 and is_test[b - 1], b + 1 < nblocks and is_test[b + 1])
                lo = GAP if near_test[0] else 0
                hi = BLOCK - GAP if near_test[1] else BLOCK
                train.extend(block[lo:hi])
    rng = np.random.default_rng(seed)
    train = [train[i] for i in np.sort(rng.choice(len(train), size=min(n_train, len(train)), replace=False))]
    test = [test[i] for i in np.sort(rng.choice(len(test), size=min(n_test, len(test)), replace=False))]
    return train, test, validation


def write_splits(folder: Path, seed: int = 2020) -> dict[str, Path]:
    import ase.io

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frames in zip(("train", "test", "validation"), make_splits(seed)):
        paths[name] = folder / f"{name}.extxyz"
        ase.io.write(paths[name], frames)
    return paths


# free-atom reference energies: CHGNet has none; 0 eV makes "cohesive" = total energy,
# which only shifts the network's target by a constant per species (irrelevant for MD)
REFERENCE_ENERGIES = {"Li": 0.0, "Mo": 0.0, "Ni": 0.0, "Ti": 0.0, "O": 0.0}
