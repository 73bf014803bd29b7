"""Behler–Parrinello symmetry functions G1–G5 in ænet's Behler2011 conventions (AENET_FORMAT.md §4.5)."""

from typing import List, Sequence

import torch

from .chebyshev import angle_pairs

RADIAL_KINDS = (1, 2, 3)
ANGULAR_KINDS = (4, 5)


def output_order(kinds: Sequence[int], env: Sequence[Sequence[int]], nenv: int) -> List[int]:
    """Positions (into the file's function list) in ænet's output order.

    For each neighbour type a: radial functions of (t, a) [G1, G2, G3, each in input
    order], then for each b >= a the angular functions of (t, a, b) [G4 then G5].
    ``env[k]`` holds the 1-based env indices of function k.
    """
    order: List[int] = []
    for a in range(1, nenv + 1):
        for kind in RADIAL_KINDS:
            order += [k for k, kk in enumerate(kinds) if kk == kind and env[k][0] == a]
        for b in range(a, nenv + 1):
            for kind in ANGULAR_KINDS:
                order += [k for k, kk in enumerate(kinds) if kk == kind and sorted((env[k][0], env[k][1])) == [a, b]]
    if sorted(order) != list(range(len(kinds))):
        raise ValueError("Behler2011 set-up has functions with environment indices out of range")
    return order


class BehlerDescriptor(torch.nn.Module):
    """Functions given in output order: kind (1–5), params (4 per function), env (2 per function, 1-based).

    ``env_index`` maps a model species index to its 0-based position in ``envtypes``.
    """

    kinds: List[int]
    params: List[List[float]]
    env: List[List[int]]

    def __init__(self, kinds: List[int], params: List[List[float]], env: List[List[int]], env_index: List[int]):
        super().__init__()
        self.size = len(kinds)
        self.kinds = [int(k) for k in kinds]
        self.params = [[float(v) for v in p] for p in params]
        self.env = [[int(v) for v in e] for e in env]
        kinds_t = torch.tensor(kinds, dtype=torch.int64)
        p = torch.tensor(params, dtype=torch.float64).reshape(-1, 4)
        e = torch.tensor(env, dtype=torch.int64).reshape(-1, 2) - 1
        radial = (kinds_t <= 3).nonzero().squeeze(1)
        angular = (kinds_t >= 4).nonzero().squeeze(1)
        self.register_buffer("radial_pos", radial)
        self.register_buffer("angular_pos", angular)
        self.register_buffer("r_kind", kinds_t[radial])
        self.register_buffer("r_param", p[radial])
        self.register_buffer("r_env", e[radial, 0])
        self.register_buffer("a_kind", kinds_t[angular])
        self.register_buffer("a_param", p[angular])
        self.register_buffer("a_env1", e[angular, 0])
        self.register_buffer("a_env2", e[angular, 1])
        self.register_buffer("env_of_species", torch.tensor(env_index, dtype=torch.int64))
        self.cutoff = float(p[:, 0].max()) if len(kinds) else 0.0
        self.angular_cutoff = float(p[angular, 0].max()) if len(angular) else 0.0

    def forward(self, centre: torch.Tensor, neighbour_species: torch.Tensor, vec: torch.Tensor, ncentres: int) -> torch.Tensor:
        dtype = vec.dtype
        r = torch.sqrt((vec * vec).sum(dim=1))
        env = self.env_of_species[neighbour_species]
        out = torch.zeros(ncentres, self.size, dtype=dtype, device=vec.device)
        if self.r_kind.numel() > 0:
            rc = self.r_param[:, 0][None, :]
            rr = r[:, None]
            fc = torch.where(rr < rc, 0.5 * (torch.cos(3.14159265358979 * rr / rc) + 1.0), torch.zeros_like(rr))
            g2 = torch.exp(-self.r_param[:, 2][None, :] * (rr - self.r_param[:, 1][None, :]) ** 2)
            g3 = torch.cos(self.r_param[:, 1][None, :] * rr)
            kind = self.r_kind[None, :]
            shape = torch.where(kind == 1, torch.ones_like(g2), torch.where(kind == 2, g2, g3))
            match = (env[:, None] == self.r_env[None, :]).to(dtype)
            values = fc * shape * match
            radial = torch.zeros(ncentres, values.shape[1], dtype=dtype, device=vec.device).index_add(0, centre, values)
            out = out.index_copy(1, self.radial_pos, radial)
        if self.a_kind.numel() > 0:
            sel = torch.nonzero(r < self.angular_cutoff).squeeze(1)
            first, second = angle_pairs(centre[sel], ncentres)
            e1 = sel[first]
            e2 = sel[second]
            v1 = vec[e1]
            v2 = vec[e2]
            r1 = r[e1][:, None]
            r2 = r[e2][:, None]
            v3 = v2 - v1
            r3 = torch.sqrt((v3 * v3).sum(dim=1))[:, None]
            cos = ((v1 * v2).sum(dim=1))[:, None] / (r1 * r2)
            rc = self.a_param[:, 0][None, :]
            lam = self.a_param[:, 1][None, :]
            zeta = self.a_param[:, 2][None, :]
            eta = self.a_param[:, 3][None, :]
            fc1 = cutoff_rows(r1, rc)
            fc2 = cutoff_rows(r2, rc)
            fc3 = cutoff_rows(r3, rc)
            g5 = torch.pow(2.0, 1.0 - zeta) * torch.pow(torch.clamp(1.0 + lam * cos, min=0.0), zeta) * torch.exp(-eta * (r1 * r1 + r2 * r2)) * fc1 * fc2
            g4 = g5 * torch.exp(-eta * r3 * r3) * fc3
            values = torch.where(self.a_kind[None, :] == 4, g4, g5)
            s1 = env[e1][:, None]
            s2 = env[e2][:, None]
            a = self.a_env1[None, :]
            b = self.a_env2[None, :]
            match = (((s1 == a) & (s2 == b)) | ((s1 == b) & (s2 == a))).to(dtype)
            angular = torch.zeros(ncentres, values.shape[1], dtype=dtype, device=vec.device).index_add(0, centre[e1], values * match)
            out = out.index_copy(1, self.angular_pos, angular)
        return out


def cutoff_rows(r: torch.Tensor, rc: torch.Tensor) -> torch.Tensor:
    """fc(r; Rc) broadcast over a row of cut-offs."""
    return torch.where(r < rc, 0.5 * (torch.cos(3.14159265358979 * r / rc) + 1.0), torch.zeros_like(r * rc))
