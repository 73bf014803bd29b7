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
from .batch import Graph, collate, compute_features, concat_features, feature_energies, to_graph
from .build import build_model, normalize
from .checkpoint import CHECKPOINT, apply_extras, load_checkpoint, save_checkpoint, species_extras
from .config import Config, config_to_dict, resume_conflicts
from .dataset import cohesive_per_atom, load_splits
from .metrics import Predictions, predict_graphs, summarize
from .objective import energy_loss_backward, force_loss_backward
from .taylor import augment_all

FORCE_CHUNK = 16  # structures per force-training batch (bounded memory)
FEATURE_CHUNK = 256  # displaced structures featurized at a time


class Run:
    def __init__(self, config: Config, resume: bool = False, progress: bool | None = None):
        self.config = config
        self.dir = Path(config.output)
        self.resume = resume
        self.progress = progress
        torch.set_num_threads(config.training.threads)

    # ------------------------------------------------------------------ set-up
    def _graphs(self, structures) -> list[Graph]:
        return [to_graph(s, self.model.species, self.model.cutoff) for s in structures]

    def prepare(self) -> None:
        c = self.config
        self.splits = load_splits(c)
        self.model = build_model(c)
        self.train_graphs = self._graphs(self.splits.train)
        self.test_graphs = self._graphs(self.splits.test)
        self.validation_graphs = self._graphs(self.splits.validation)
        self.train_features = compute_features(self.model, self.train_graphs)
        normalize(self.model, self.train_features,
                  cohesive_per_atom(self.splits.train, c.data.reference_energies))
        self.test_features = compute_features(self.model, self.test_graphs)
        self.taylor_features = None
        self.n_taylor = 0
        if c.training.mode == "taylor" and c.taylor.sampling == "fixed":
            self.taylor_features = self._taylor_features(epoch=0)
        if c.training.mode == "forces":
            self.force_batches = [collate(self.train_graphs[k:k + FORCE_CHUNK])
                                  for k in range(0, len(self.train_graphs), FORCE_CHUNK)]
        params = list(self.model.parameters())
        if c.training.optimizer == "lbfgs":
            # max_eval must be set: torch derives 1 from max_iter=1, which stalls the line search
            self.optimizer = torch.optim.LBFGS(params, lr=1.0, max_iter=1, max_eval=25, history_size=20,
                                               tolerance_grad=0.0, tolerance_change=0.0,
                                               line_search_fn="strong_wolfe")
        else:
            self.optimizer = torch.optim.Adam(params, lr=c.training.learning_rate)
        self.epoch = 0
        self.history: list[dict] = []
        self.best: dict | None = None
        if self.resume:
            self._restore()

    def _taylor_features(self, epoch: int):
        extra = augment_all(self.splits.train, self.config.taylor, self.config.seed, epoch)
        self.n_taylor = len(extra)
        if not extra:
            return None
        # graphs are built and dropped chunk by chunk: only the descriptors stay in memory
        return concat_features([compute_features(self.model, self._graphs(extra[k:k + FEATURE_CHUNK]))
                                for k in range(0, len(extra), FEATURE_CHUNK)])

    def _restore(self) -> None:
        state = load_checkpoint(self.dir / CHECKPOINT)
        conflicts = resume_conflicts(state["config"], config_to_dict(self.config))
        if conflicts:
            raise ValueError(f"{self.dir / CHECKPOINT}: written with a different configuration "
                             f"({', '.join(conflicts)} differ); only the schedule (training.epochs, max_seconds, "
                             "selection, checkpoint_every, force_metrics_every, threads) may change on resume")
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
            parts = [self.train_features] + ([self.taylor_features] if self.taylor_features is not None else [])
            data = concat_features(parts) if len(parts) > 1 else parts[0]
            rng = np.random.default_rng([c.seed, 31, epoch])
            if c.training.optimizer == "lbfgs":
                return self._lbfgs(lambda: energy_loss_backward(self.model, data))
            perm = torch.from_numpy(rng.permutation(data.nstructures))
            losses = []
            for start in range(0, len(perm), c.training.batch_size):
                sub = data.subset(perm[start:start + c.training.batch_size])
                self.optimizer.zero_grad()
                losses.append(energy_loss_backward(self.model, sub))
                self.optimizer.step()
            return float(np.mean(losses))
        # direct forces
        rng = np.random.default_rng([c.seed, 37, epoch])
        masks = None
        if c.forces.fraction < 1.0:
            masks = [torch.from_numpy(rng.random(tuple(b.forces.shape)) < c.forces.fraction) for b in self.force_batches]
        ncomp = int(sum(int(m.sum()) for m in masks)) if masks else sum(b.forces.numel() for b in self.force_batches)
        nstruct = len(self.train_graphs)
        if c.training.optimizer == "lbfgs":
            return self._lbfgs(lambda: force_loss_backward(self.model, self.force_batches, nstruct, ncomp,
                                                           c.forces.weight, masks))
        order = rng.permutation(len(self.force_batches))
        losses = []
        for k in order:
            self.optimizer.zero_grad()
            b = self.force_batches[k]
            m = [masks[k]] if masks else None
            nc = int(m[0].sum()) if m else b.forces.numel()
            losses.append(force_loss_backward(self.model, [b], b.nstructures, nc, c.forces.weight, m))
            self.optimizer.step()
        return float(np.mean(losses))

    def _lbfgs(self, loss_and_grad) -> float:
        def closure():
            self.optimizer.zero_grad()
            return torch.tensor(loss_and_grad(), dtype=torch.float64)

        return float(self.optimizer.step(closure))

    def _metrics(self, epoch: int, with_forces: bool) -> dict:
        row = {"epoch": epoch}
        for name, feats, graphs in (("train", self.train_features, self.train_graphs),
                                    ("test", self.test_features, self.test_graphs)):
            if with_forces:
                p = predict_graphs(self.model, graphs, forces=True)
            else:
                with torch.no_grad():
                    pred = feature_energies(self.model, feats).numpy()
                p = Predictions(feats.energy.numpy(), pred, feats.natoms.numpy())
            row.update({f"{name}_{k}": v for k, v in summarize(p).items()})
        return row

    # ------------------------------------------------------------------ the run
    def run(self) -> dict:
        c = self.config
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.resume:
            if (self.dir / CHECKPOINT).exists():
                raise FileExistsError(f"{self.dir} already holds a run; use --resume {self.dir} or another output")
        self.prepare()
        atomic_write_text(self.dir / "config.yaml", yaml.safe_dump(config_to_dict(c), sort_keys=False))
        bar = tqdm(range(self.epoch + 1, c.training.epochs + 1), initial=self.epoch, total=c.training.epochs,
                   disable=self.progress is False if self.progress is not None else None, desc="epochs")
        for epoch in bar:
            self.model.train()
            t0 = time.perf_counter()
            loss = self._train_step(epoch)
            seconds = time.perf_counter() - t0
            with_forces = epoch % c.training.force_metrics_every == 0 or epoch == c.training.epochs
            row = self._metrics(epoch, with_forces)
            row.update({"loss": loss, "seconds": seconds, "n_taylor": self.n_taylor})
            self.history.append(row)
            if (self.best is None or c.training.selection == "last"
                    or row["test_energy_rmse"] < self.best["test_energy_rmse"]):
                self.best = {"epoch": epoch, "test_energy_rmse": row["test_energy_rmse"],
                             "model_state": {k: v.clone() for k, v in self.model.state_dict().items()},
                             "extras": species_extras(self.model)}
            bar.set_postfix(loss=f"{loss:.3g}", test_E=f"{row['test_energy_rmse']:.2f} meV/at")
            self.epoch = epoch
            out_of_time = (c.training.max_seconds is not None
                           and sum(h["seconds"] for h in self.history) >= c.training.max_seconds)
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
        save_checkpoint(self.dir / CHECKPOINT, self.config, self.model, self.optimizer, self.epoch,
                        self.history, self.best)
        write_metrics_csv(self.dir / "metrics.csv", self.history)

    def finish(self) -> dict:
        """Best model: exports, final metrics on every set, figures."""
        from .checkpoint import load_model_from_run

        best = load_model_from_run(self.dir / CHECKPOINT)
        from export.commands import write_nnascii
        from export.torchscript import save_torchscript

        write_nnascii(best, self.dir / "potential")
        save_torchscript(best, self.dir / "model.pt")
        summary = {"best_epoch": self.best["epoch"] if self.best else 0, "epochs": self.epoch,
                   "mode": self.config.training.mode, "n_train": len(self.train_graphs),
                   "n_test": len(self.test_graphs), "n_validation": len(self.validation_graphs),
                   "n_taylor": self.n_taylor,
                   "seconds_per_epoch": float(np.mean([h["seconds"] for h in self.history])) if self.history else 0.0}
        predictions = {}
        for name, graphs in (("train", self.train_graphs), ("test", self.test_graphs),
                             ("validation", self.validation_graphs)):
            if graphs:
                p = predict_graphs(best, graphs, forces=all(g.forces is not None for g in graphs))
                predictions[name] = p
                summary[name] = summarize(p)
        atomic_write_text(self.dir / "summary.json", json.dumps(summary, indent=1))
        try:
            from .plots import write_figures

            write_figures(self.dir / "figures", self.history, predictions)
        except Exception as exc:  # figures must never lose a finished run
            print(f"warning: figures not written ({type(exc).__name__}: {exc})")
        return summary


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
