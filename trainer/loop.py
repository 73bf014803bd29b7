"""The training run: data → model → epochs (checkpointed, resumable) → exports and figures."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from tqdm import tqdm

from .atomic_io import atomic_write_text
from .batch import Features, concat_features, feature_energies
from .build import build_model, normalize
from .checkpoint import CHECKPOINT, apply_extras, load_checkpoint, model_from_state, save_checkpoint, species_extras
from .convert import write_nnascii
from .config import Config, config_to_dict, resume_conflicts
from .dataset import cohesive_per_atom, load_splits
from .distributed import world
from .featurize import featurize, force_data, jacobian_bytes, model_handles
from .metrics import Predictions, predict_structures, summarize
from .objective import energy_loss_backward, force_loss_backward
from .taylor import augment_all
from .torchscript import save_torchscript

FORCE_CHUNK = 64  # structures per force-training chunk when the Jacobians are recomputed


class Run:
    def __init__(self, config: Config, resume: bool = False, progress: bool | None = None):
        self.config = config
        self.dir = Path(config.output)
        self.resume = resume
        self.progress = progress
        torch.set_num_threads(config.training.threads)

    # ------------------------------------------------------------------ set-up
    def prepare(self) -> None:
        c = self.config
        self.world = world()
        if self.world.active and c.training.mode == "forces" and c.training.optimizer == "adam":
            raise ValueError("direct force training with Adam runs in one process only; use training.optimizer: lbfgs under torchrun")
        self.splits = load_splits(c)
        self.model = build_model(c)
        # this rank's share of the training structures (all of them in one process)
        self.local_train = self.world.shard(self.splits.train)
        # descriptors come from the C++ core; the networks of this handle are not used
        self.pool = model_handles(self.model, c.training.threads)
        self.train_features = featurize(self.model, self.local_train, self.pool)
        normalize(self.model, self.train_features, cohesive_per_atom(self.splits.train, c.data.reference_energies), self.world)
        self.test_features = featurize(self.model, self.splits.test, self.pool)
        self.taylor_features = None
        self.energy_rows: Features | None = None  # a fixed Taylor set joined with the reference rows
        self.n_taylor = 0
        self.n_taylor_local = 0
        if c.training.mode == "taylor" and c.taylor.sampling == "fixed":
            self.taylor_features = self._taylor_features(epoch=0)
            if self.taylor_features is not None:  # one copy: reference and Taylor rows become views of it
                ntrain = self.train_features.nstructures
                self.energy_rows = concat_features([self.train_features, self.taylor_features])
                self.train_features = self.energy_rows.structures(0, ntrain)
                self.taylor_features = self.energy_rows.structures(ntrain, self.energy_rows.nstructures)
        self.force_parts: list = []
        if c.training.mode == "forces":
            self.force_parts = self._force_parts(self.local_train)
        params = list(self.model.parameters())
        if c.training.optimizer == "lbfgs":
            # max_eval must be set: torch derives 1 from max_iter=1, which stalls the line search
            self.optimizer = torch.optim.LBFGS(
                params, lr=1.0, max_iter=1, max_eval=25, history_size=20, tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe"
            )
        else:
            self.optimizer = torch.optim.Adam(params, lr=c.training.learning_rate)
        self.epoch = 0
        self.history: list[dict] = []
        self.best: dict | None = None
        if self.resume:
            self._restore()

    def _energy_data(self) -> Features:
        """The training rows of an energy or Taylor epoch: reference then Taylor structures
        (a fixed set joined once in ``prepare``, a resampled one every epoch)."""
        if self.energy_rows is not None:
            return self.energy_rows
        if self.taylor_features is None:
            return self.train_features
        return concat_features([self.train_features, self.taylor_features])

    def _force_parts(self, structures) -> list:
        """One cached ``ForceData`` if its Jacobians fit ``forces.jacobian_memory_gb``, else
        chunks whose derivatives are recomputed each time they are used."""
        ld = max(m.descriptor.size for m in self.model.species_models)
        dtype = self.config.forces.jacobian_dtype
        need = jacobian_bytes(structures, ld, dtype)
        budget = self.config.forces.jacobian_memory_gb * 1e9
        if need <= budget:
            return [force_data(self.model, structures, self.pool, dtype)]
        print(
            f"forces: the descriptor Jacobians need {need / 1e9:.2f} GB > forces.jacobian_memory_gb "
            f"= {self.config.forces.jacobian_memory_gb:g}; recomputing them in chunks of {FORCE_CHUNK} "
            "structures every evaluation (slower)",
            flush=True,
        )
        return [lambda part=structures[k : k + FORCE_CHUNK]: force_data(self.model, part, self.pool, dtype) for k in range(0, len(structures), FORCE_CHUNK)]

    def _taylor_features(self, epoch: int):
        # drawn from all references on every rank (the same random stream as one process), then shared out
        extra = augment_all(self.splits.train, self.config.taylor, self.config.seed, epoch)
        self.n_taylor = len(extra)
        mine = self.world.shard(extra)
        self.n_taylor_local = len(mine)
        if not mine:
            return None
        return featurize(self.model, mine, self.pool)

    def _restore(self) -> None:
        state = load_checkpoint(self.dir / CHECKPOINT)
        conflicts = resume_conflicts(state["config"], config_to_dict(self.config))
        if conflicts:
            raise ValueError(
                f"{self.dir / CHECKPOINT}: written with a different configuration "
                f"({', '.join(conflicts)} differ); only the schedule (training.epochs, max_seconds, "
                "selection, checkpoint_every, force_metrics_every, threads) may change on resume"
            )
        self.model.load_state_dict(state["model_state"])
        apply_extras(self.model, state["extras"])
        if state["optimizer_state"] is not None:
            self.optimizer.load_state_dict(state["optimizer_state"])
        self.epoch = state["epoch"]
        self.history = state["history"]
        self.best = state["best"]

    # ------------------------------------------------------------------ one epoch
    def _train_step(self, epoch: int) -> float:
        c = self.config
        mode = c.training.mode
        if mode == "taylor" and c.taylor.sampling == "resample":
            self.taylor_features = self._taylor_features(epoch)
        if mode in ("energy", "taylor"):
            data = self._energy_data()
            rng = np.random.default_rng([c.seed, 31, epoch])
            total = len(self.splits.train) + self.n_taylor
            if c.training.optimizer == "lbfgs":
                return self._lbfgs(lambda: energy_loss_backward(self.model, data, total=total))
            perm = rng.permutation(total)
            losses = []
            for start in range(0, len(perm), c.training.batch_size):
                batch = perm[start : start + c.training.batch_size]
                sub = data.subset(torch.tensor(self._local_rows(batch), dtype=torch.int64))
                self.optimizer.zero_grad()
                loss = energy_loss_backward(self.model, sub, total=len(batch))
                self.world.sum_gradients(self.model.parameters())
                losses.append(self.world.sum(loss))
                self.optimizer.step()
            return float(np.mean(losses))
        # direct forces
        rng = np.random.default_rng([c.seed, 37, epoch])
        parts = [p() if callable(p) else p for p in self.force_parts] if c.training.optimizer == "adam" else None
        masks = None
        if c.forces.fraction < 1.0:
            shapes = self._force_group_shapes()
            masks = [[torch.from_numpy(rng.random(shape) < c.forces.fraction) for shape in part] for part in shapes]
        ncomp = int(self.world.sum(sum(int(m.sum()) for part in masks for m in part))) if masks else sum(s.natoms * 3 for s in self.splits.train)
        nstruct = len(self.splits.train)
        if c.training.optimizer == "lbfgs":
            return self._lbfgs(lambda: force_loss_backward(self.model, self.force_parts, nstruct, ncomp, c.forces.weight, masks))
        losses = []
        for k in rng.permutation(len(parts)):
            self.optimizer.zero_grad()
            m = [masks[k]] if masks else None
            nc = int(sum(int(x.sum()) for x in m[0])) if m else parts[k].ncomponents
            losses.append(force_loss_backward(self.model, [parts[k]], parts[k].features.nstructures, nc, c.forces.weight, m))
            self.optimizer.step()
        return float(np.mean(losses))

    def _force_group_shapes(self) -> list[list[tuple]]:
        """(S_g, n·3) of every size group of every force part, without computing Jacobians."""
        if not hasattr(self, "_group_shapes"):
            chunks = (
                [self.splits.train]
                if not callable(self.force_parts[0])
                else [self.splits.train[k : k + FORCE_CHUNK] for k in range(0, len(self.splits.train), FORCE_CHUNK)]
            )
            self._group_shapes = []
            for chunk in chunks:
                sizes: dict[int, int] = {}
                for s in chunk:
                    sizes[s.natoms] = sizes.get(s.natoms, 0) + 1
                self._group_shapes.append([(count, n * 3) for n, count in sorted(sizes.items())])
        return self._group_shapes

    def _local_rows(self, batch) -> list[int]:
        """Rows of this rank's (train + Taylor) features for the global structure indices ``batch``."""
        ntrain, nlocal = len(self.splits.train), len(self.local_train)
        rows = []
        for g in batch:
            rank, k = self.world.owner(int(g) if g < ntrain else int(g) - ntrain)
            if rank == self.world.rank:
                rows.append(k if g < ntrain else nlocal + k)
        return rows

    def _lbfgs(self, loss_and_grad) -> float:
        def closure():
            self.optimizer.zero_grad()
            loss = loss_and_grad()
            self.world.sum_gradients(self.model.parameters())
            return torch.tensor(self.world.sum(loss), dtype=torch.float64)

        return float(self.optimizer.step(closure))

    def _metrics(self, epoch: int, with_forces: bool) -> dict:
        row = {"epoch": epoch}
        for name, feats, structures in (("train", self.train_features, self.local_train), ("test", self.test_features, self.splits.test)):
            if with_forces and all(s.forces is not None for s in structures):
                p = predict_structures(self.model, structures, forces=True, threads=self.config.training.threads)
            else:
                with torch.no_grad():
                    pred = feature_energies(self.model, feats).numpy()
                p = Predictions(feats.energy.numpy(), pred, feats.natoms.numpy())
            if name == "train":
                p = joined(self.world.gather(p))
            row.update({f"{name}_{k}": v for k, v in summarize(p).items()})
        if self.n_taylor and with_forces:  # is the δ·F signal fit at all? (at the force-metrics cadence)
            feats = self.taylor_features
            if feats is not None:
                with torch.no_grad():
                    pred = feature_energies(self.model, feats).numpy()
                p = Predictions(feats.energy.numpy(), pred, feats.natoms.numpy())
            else:
                p = Predictions(np.zeros(0), np.zeros(0), np.zeros(0))
            t = summarize(joined(self.world.gather(p)))
            row.update({"taylor_energy_rmse": t["energy_rmse"], "taylor_energy_mae": t["energy_mae"]})
        return row

    # ------------------------------------------------------------------ the run
    def run(self) -> dict:
        c = self.config
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.resume:
            if (self.dir / CHECKPOINT).exists():
                raise FileExistsError(f"{self.dir} already holds a run; use --resume {self.dir} or another output")
        self.prepare()
        if self.world.main:
            atomic_write_text(self.dir / "config.yaml", yaml.safe_dump(config_to_dict(c), sort_keys=False))
        quiet = self.progress is False or not self.world.main
        bar = tqdm(
            range(self.epoch + 1, c.training.epochs + 1),
            initial=self.epoch,
            total=c.training.epochs,
            disable=True if quiet else (None if self.progress is None else False),
            desc="epochs",
        )
        for epoch in bar:
            self.model.train()
            t0 = time.perf_counter()
            loss = self._train_step(epoch)
            seconds = time.perf_counter() - t0
            if self.world.active:  # every rank must stop at the same epoch under max_seconds
                seconds = float(self.world.reduce_(torch.tensor([seconds], dtype=torch.float64), "max")[0])
            with_forces = epoch % c.training.force_metrics_every == 0 or epoch == c.training.epochs
            row = self._metrics(epoch, with_forces)
            row.update({"loss": loss, "seconds": seconds, "n_taylor": self.n_taylor})
            self.history.append(row)
            if self.best is None or c.training.selection == "last" or row["test_energy_rmse"] < self.best["test_energy_rmse"]:
                self.best = {
                    "epoch": epoch,
                    "test_energy_rmse": row["test_energy_rmse"],
                    "model_state": {k: v.clone() for k, v in self.model.state_dict().items()},
                    "extras": species_extras(self.model),
                }
            bar.set_postfix(loss=f"{loss:.3g}", test_E=f"{row['test_energy_rmse']:.2f} meV/at")
            self.epoch = epoch
            out_of_time = c.training.max_seconds is not None and sum(h["seconds"] for h in self.history) >= c.training.max_seconds
            if epoch % c.training.checkpoint_every == 0 or epoch == c.training.epochs or out_of_time:
                if out_of_time and not with_forces:
                    self.history[-1].update(self._metrics(epoch, with_forces=True))
                self._save()
            if out_of_time:
                break
        if self.epoch == 0 or not self.history:
            self._save()
        return self.finish()

    def _save(self) -> None:
        if not self.world.main:
            return
        save_checkpoint(self.dir / CHECKPOINT, self.config, self.model, self.optimizer, self.epoch, self.history, self.best)
        write_metrics_csv(self.dir / "metrics.csv", self.history)

    def finish(self) -> dict:
        """Best model: exports, final metrics on every set, figures."""
        self.world.barrier()
        if not self.world.main:
            return {}
        state = self.best or {"model_state": self.model.state_dict(), "extras": species_extras(self.model)}
        best = model_from_state(self.config, state["model_state"], state["extras"])
        write_nnascii(best, self.dir / "potential")
        save_torchscript(best, self.dir / "model.pt")
        summary = {
            "best_epoch": self.best["epoch"] if self.best else 0,
            "epochs": self.epoch,
            "mode": self.config.training.mode,
            "n_train": len(self.splits.train),
            "n_test": len(self.splits.test),
            "n_validation": len(self.splits.validation),
            "n_taylor": self.n_taylor,
            "seconds_per_epoch": float(np.mean([h["seconds"] for h in self.history])) if self.history else 0.0,
        }
        predictions = {}
        for name, structures in (("train", self.splits.train), ("test", self.splits.test), ("validation", self.splits.validation)):
            if structures:
                p = predict_structures(best, structures, forces=all(s.forces is not None for s in structures), threads=self.config.training.threads)
                predictions[name] = p
                summary[name] = summarize(p)
        atomic_write_text(self.dir / "summary.json", json.dumps(summary, indent=1))
        try:
            from .plots import write_figures

            write_figures(self.dir / "figures", self.history, predictions)
        except Exception as exc:  # figures must never lose a finished run
            print(f"warning: figures not written ({type(exc).__name__}: {exc})")
        return summary


def joined(parts: list[Predictions]) -> Predictions:
    """The predictions of every rank as one set (energies; forces when all have them)."""
    if len(parts) == 1:
        return parts[0]
    cat = np.concatenate
    forces = all(p.force_pred is not None for p in parts)
    return Predictions(
        cat([p.energy_ref for p in parts]),
        cat([p.energy_pred for p in parts]),
        cat([p.natoms for p in parts]),
        cat([p.force_ref for p in parts]) if forces else None,
        cat([p.force_pred for p in parts]) if forces else None,
    )


def write_metrics_csv(path: Path, history: list[dict]) -> None:
    if not history:
        return
    keys: list[str] = []
    for row in history:
        keys += [k for k in row if k not in keys]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys)
    writer.writeheader()
    for row in history:
        writer.writerow(row)
    atomic_write_text(path, buffer.getvalue())
