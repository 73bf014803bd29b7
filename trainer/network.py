"""Per-species feed-forward networks with ænet's activation functions (AENET_FORMAT.md §3.3)."""

from typing import List

import torch

# ænet's activation codes (f_a in .nn.ascii files): the one table, read by trainer.nnascii too
ACTIVATION_CODES = {"linear": 0, "tanh": 1, "sigmoid": 2, "mtanh": 3, "twist": 4}
MTANH_A = 1.7159
MTANH_B = 0.666666666666667  # ænet's literal, not exactly 2/3
TWIST_C = 0.1


def activate(z: torch.Tensor, code: int) -> torch.Tensor:
    # literals repeated here: TorchScript cannot close over module globals
    a = 1.7159
    b = 0.666666666666667
    c = 0.1
    if code == 0:
        return z
    if code == 1:
        return torch.tanh(z)
    if code == 2:
        return torch.sigmoid(z)
    if code == 3:
        return a * torch.tanh(b * z)
    if code == 4:
        return a * torch.tanh(b * z) + c * z
    raise ValueError("unknown activation code")


class AtomicNetwork(torch.nn.Module):
    """nnodes = [inputs, hidden..., 1]; codes[k] is the activation of layer k+2."""

    codes: List[int]

    def __init__(self, nnodes: List[int], codes: List[int]):
        super().__init__()
        if len(codes) != len(nnodes) - 1:
            raise ValueError(f"{len(nnodes) - 1} activations needed for layers {nnodes}, got {len(codes)}")
        for c in codes:
            if c not in ACTIVATION_CODES.values():
                raise ValueError(f"unknown activation code {c}; known: {ACTIVATION_CODES}")
        self.nnodes = [int(n) for n in nnodes]
        self.codes = [int(c) for c in codes]
        self.layers = torch.nn.ModuleList([torch.nn.Linear(nnodes[k], nnodes[k + 1], dtype=torch.float64) for k in range(len(nnodes) - 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for k, layer in enumerate(self.layers):
            h = activate(layer(h), self.codes[k])
        return h[:, 0]

    def forward_normalized(self, x: torch.Tensor, mean: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """``forward((x - mean) * scale)`` with the normalization folded into the first layer,
        W((x - m) s) + b = (W s) x + (b - (W s) m): no normalized copy of ``x`` (training
        sets hold millions of rows) and a gradient that flows to W through W s."""
        h = x
        for k, layer in enumerate(self.layers):
            if k == 0:
                w = layer.weight * scale
                z = torch.addmm(layer.bias - torch.mv(w, mean), h, w.t())
            else:
                z = layer(h)
            h = activate(z, self.codes[k])
        return h[:, 0]

    def reset(self, generator: torch.Generator) -> None:
        """ænet-like initialisation: uniform in ±sqrt(6/(n_in + n_out)) (Glorot), zero biases."""
        with torch.no_grad():
            for layer in self.layers:
                bound = (6.0 / (layer.in_features + layer.out_features)) ** 0.5
                layer.weight.copy_((torch.rand(layer.weight.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)
                layer.bias.zero_()
