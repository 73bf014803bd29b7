"""The Artrith–Urban–Ceder Chebyshev descriptor exactly as ænet computes it (AENET_FORMAT.md §7)."""

from typing import List

import torch

# ænet's truncated literal (Fortran); exact pi differs by < 1e-8 eV in energies
PI = 3.14159265358979


def species_weights(n: int) -> List[float]:
    """Typespin weights of §7.5 in env-list order: -n//2 .. n//2, 0 skipped for even n."""
    start = -(n // 2)
    out: List[float] = []
    value = start
    while len(out) < n:
        if not (n % 2 == 0 and value == 0):
            out.append(float(value))
        value += 1
    return out


def chebyshev_series(x: torch.Tensor, order: int) -> torch.Tensor:
    """T_0..T_order at x by the three-term recursion (bit-compatible with ænet), shape (len(x), order+1)."""
    terms = [torch.ones_like(x)]
    if order >= 1:
        terms.append(x)
    for _ in range(1, order):
        terms.append(2.0 * x * terms[-1] - terms[-2])
    return torch.stack(terms, dim=1)


def cutoff_function(r: torch.Tensor, rc: float) -> torch.Tensor:
    pi = 3.14159265358979  # = PI; TorchScript cannot close over module globals
    return torch.where(r < rc, 0.5 * (torch.cos(pi * r / rc) + 1.0), torch.zeros_like(r))


def angle_pairs(centre: torch.Tensor, ncentres: int):
    """Every unordered pair (p, q), p < q, of entries sharing a centre.

    ``centre`` must be sorted.  Returns index tensors into ``centre``.
    """
    counts = torch.bincount(centre, minlength=ncentres)
    starts = torch.cumsum(counts, 0) - counts
    position = torch.arange(centre.shape[0], device=centre.device) - starts[centre]
    partners = counts[centre] - 1 - position
    first = torch.repeat_interleave(torch.arange(centre.shape[0], device=centre.device), partners)
    block_start = torch.cumsum(partners, 0) - partners
    offset = torch.arange(first.shape[0], device=centre.device) - torch.repeat_interleave(block_start, partners)
    second = first + 1 + offset
    return first, second


class ChebyshevDescriptor(torch.nn.Module):
    """Maps neighbour vectors of ``ncentres`` centres to their descriptors, float64.

    ``env_index`` maps a *model* species index to its position in this set-up's
    ``envtypes`` list (ænet weights depend on that position, §7.5).
    """

    def __init__(
        self, radial_cutoff: float, radial_order: int, angular_cutoff: float, angular_order: int, env_index: List[int], nenv: int, legacy_angular: bool = False
    ):
        super().__init__()
        self.radial_cutoff = float(radial_cutoff)
        self.radial_order = int(radial_order)
        self.angular_cutoff = float(angular_cutoff)
        self.angular_order = int(angular_order)
        self.legacy_angular = bool(legacy_angular)
        self.pi = PI
        self.multi = nenv > 1
        weights = species_weights(nenv)
        table = [weights[k] if k >= 0 else 0.0 for k in env_index]
        self.register_buffer("weight_of_species", torch.tensor(table, dtype=torch.float64))
        self.nbasis = self.radial_order + 1 + self.angular_order + 1
        self.size = self.nbasis * (2 if self.multi else 1)

    @property
    def cutoff(self) -> float:
        return max(self.radial_cutoff, self.angular_cutoff) if self.angular_order >= 0 else self.radial_cutoff

    def forward(self, centre: torch.Tensor, neighbour_species: torch.Tensor, vec: torch.Tensor, ncentres: int) -> torch.Tensor:
        """``centre`` (E,) sorted local centre index, ``neighbour_species`` (E,), ``vec`` (E, 3)."""
        r = torch.sqrt((vec * vec).sum(dim=1))
        weight = self.weight_of_species[neighbour_species]
        nr = self.radial_order + 1
        na = self.angular_order + 1
        dtype = vec.dtype

        rad = r <= self.radial_cutoff
        rc_r = self.radial_cutoff
        r_r = r[rad]
        radial_terms = cutoff_function(r_r, rc_r)[:, None] * chebyshev_series(2.0 * r_r / rc_r - 1.0, self.radial_order)
        c_r = centre[rad]
        radial = torch.zeros(ncentres, nr, dtype=dtype, device=vec.device).index_add(0, c_r, radial_terms)

        if self.angular_order >= 0:
            ang = torch.nonzero(r <= self.angular_cutoff).squeeze(1)
            first, second = angle_pairs(centre[ang], ncentres)
            e1 = ang[first]
            e2 = ang[second]
            r1 = r[e1]
            r2 = r[e2]
            cos = (vec[e1] * vec[e2]).sum(dim=1) / (r1 * r2)
            if self.legacy_angular:
                x = (2.0 * cos - self.pi) / self.pi
            else:
                x = cos
            fc12 = cutoff_function(r1, self.angular_cutoff) * cutoff_function(r2, self.angular_cutoff)
            angular_terms = fc12[:, None] * chebyshev_series(x, self.angular_order)
            c_a = centre[e1]
            pair_weight = weight[e1] * weight[e2]
        else:  # no angular block (angular order -1)
            angular_terms = torch.zeros(0, 0, dtype=dtype, device=vec.device)
            c_a = torch.zeros(0, dtype=torch.int64, device=vec.device)
            pair_weight = torch.zeros(0, dtype=dtype, device=vec.device)
        angular = torch.zeros(ncentres, na, dtype=dtype, device=vec.device).index_add(0, c_a, angular_terms)
        if not self.multi:
            return torch.cat([radial, angular], dim=1)
        radial_w = torch.zeros(ncentres, nr, dtype=dtype, device=vec.device).index_add(0, c_r, radial_terms * weight[rad][:, None])
        angular_w = torch.zeros(ncentres, na, dtype=dtype, device=vec.device).index_add(0, c_a, angular_terms * pair_weight[:, None])
        return torch.cat([radial, angular, radial_w, angular_w], dim=1)
