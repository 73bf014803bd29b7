"""Training across processes with torch.distributed, as launched by ``torchrun``.

``torchrun --nproc_per_node N -m trainer train CONFIG`` (or across nodes with torchrun's
usual rendezvous): every rank reads the data and takes every N-th structure (and every N-th
Taylor structure, drawn identically on all ranks), featurizes only those, and the ranks sum
their loss and parameter gradients (gloo on CPU, NCCL where CUDA is used), so that every
rank takes the same L-BFGS or Adam step. Rank 0 alone writes checkpoints, metrics and
exports; a checkpoint resumes with any number of ranks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import torch


@dataclass
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.size > 1

    def shard(self, items: Sequence) -> list:
        """Every ``size``-th item starting at ``rank`` (the same rule on every rank)."""
        return list(items[self.rank :: self.size])

    def owner(self, index: int) -> tuple[int, int]:
        """(rank, local position) of item ``index`` of a sharded sequence."""
        return index % self.size, index // self.size

    def sum(self, value: float) -> float:
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.float64)
        torch.distributed.all_reduce(t)
        return float(t[0])

    def reduce_(self, tensor: torch.Tensor, op: str = "sum") -> torch.Tensor:
        if self.active:
            ops = {"sum": torch.distributed.ReduceOp.SUM, "min": torch.distributed.ReduceOp.MIN, "max": torch.distributed.ReduceOp.MAX}
            torch.distributed.all_reduce(tensor, op=ops[op])
        return tensor

    def sum_gradients(self, parameters) -> None:
        if not self.active:
            return
        params = list(parameters)
        for p in params:  # a rank without structures in a mini-batch contributes zeros
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        torch.distributed.all_reduce(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def gather(self, obj) -> list:
        """``obj`` of every rank, in rank order."""
        if not self.active:
            return [obj]
        out = [None] * self.size
        torch.distributed.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.active:
            torch.distributed.barrier()


def world() -> World:
    """The current process group, started from torchrun's environment on first use."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend=backend)
    if torch.distributed.is_initialized():
        return World(torch.distributed.get_rank(), torch.distributed.get_world_size())
    return World()
