"""The MD model of TorchScript format 2: atomic energies *and* dE/d(edge_vec) in one pass,
without an autograd graph (issue #13).

Descriptors and their derivatives are evaluated together, vectorised over edges and angle
pairs; the networks' input gradient comes from explicit layer-by-layer back-substitution.
``energies_and_gradient(species, edge_index, edge_vec) -> (energies[N], grad[E, 3])`` is the
method MD hosts call; ``forward`` keeps the format-1 contract (energies only, differentiable
through autograd with respect to ``edge_vec``). Float64 throughout.

Chebyshev set-ups only: models with Behler2011 set-ups are exported in format 1 (autograd).
"""

from typing import List, Tuple

import torch

from .chebyshev import ChebyshevDescriptor, angle_pairs
from .model import AenetModel, SpeciesModel


def activation_and_slope(z: torch.Tensor, code: int) -> Tuple[torch.Tensor, torch.Tensor]:
    a = 1.7159  # ænet's mtanh/twist literals (trainer.network)
    b = 0.666666666666667
    c = 0.1
    if code == 0:
        return z, torch.ones_like(z)
    if code == 1:
        t = torch.tanh(z)
        return t, 1.0 - t * t
    if code == 2:
        s = torch.sigmoid(z)
        return s, s * (1.0 - s)
    if code == 3:
        t = torch.tanh(b * z)
        return a * t, a * b * (1.0 - t * t)
    if code == 4:
        t = torch.tanh(b * z)
        return a * t + c * z, a * b * (1.0 - t * t) + c
    raise ValueError("unknown activation code")


def cutoff_and_slope(r: torch.Tensor, rc: float) -> Tuple[torch.Tensor, torch.Tensor]:
    pi = 3.14159265358979  # ænet's literal, as trainer.chebyshev
    inside = r < rc
    a = pi / rc
    fc = torch.where(inside, 0.5 * (torch.cos(a * r) + 1.0), torch.zeros_like(r))
    dfc = torch.where(inside, -0.5 * a * torch.sin(a * r), torch.zeros_like(r))
    return fc, dfc


def chebyshev_and_slope(x: torch.Tensor, order: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """T_m(x) and dT_m/dx = m U_{m-1}(x), m = 0..order, each (len(x), order + 1)."""
    t = [torch.ones_like(x)]
    d = [torch.zeros_like(x)]
    if order >= 1:
        t.append(x)
        d.append(torch.ones_like(x))
    u_prev = torch.ones_like(x)
    u = 2.0 * x
    for m in range(2, order + 1):
        t.append(2.0 * x * t[m - 1] - t[m - 2])
        d.append(m * u)
        u_next = 2.0 * x * u - u_prev
        u_prev = u
        u = u_next
    return torch.stack(t, dim=1), torch.stack(d, dim=1)


class ExplicitSpecies(torch.nn.Module):
    """One species: Chebyshev descriptor with derivatives, normalisation, network."""

    codes: List[int]
    w: List[torch.Tensor]
    b: List[torch.Tensor]

    def __init__(self, model: SpeciesModel):
        super().__init__()
        d = model.descriptor
        if not isinstance(d, ChebyshevDescriptor):
            raise ValueError(f"{model.species}: explicit gradients need a Chebyshev descriptor")
        self.rc_r = float(d.radial_cutoff)
        self.nr = int(d.radial_order) + 1
        self.rc_a = float(d.angular_cutoff)
        self.na = int(d.angular_order) + 1
        self.multi = bool(d.multi)
        self.legacy = bool(d.legacy_angular)
        self.register_buffer("weight_of_species", d.weight_of_species.clone())
        self.register_buffer("mean", model.feature_mean.clone())
        self.register_buffer("scale_in", model.feature_scale.clone())
        self.w = [layer.weight.detach().clone() for layer in model.network.layers]
        self.b = [layer.bias.detach().clone() for layer in model.network.layers]
        self.codes = list(model.network.codes)
        self.inv_scale = 1.0 / float(model.scale)
        self.offset = float(model.shift) + float(model.reference_energy)

    def network(self, G: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Atomic energies (C,) and dE/dG (C, nsf) by back-substitution."""
        h = (G - self.mean) * self.scale_in
        slopes: List[torch.Tensor] = []
        for k in range(len(self.w)):
            h, s = activation_and_slope(torch.addmm(self.b[k], h, self.w[k].t()), self.codes[k])
            slopes.append(s)
        delta = slopes[-1]
        for j in range(len(slopes) - 2, -1, -1):
            delta = (delta @ self.w[j + 1]) * slopes[j]
        dedg = (delta @ self.w[0]) * self.scale_in * self.inv_scale
        return h[:, 0] * self.inv_scale + self.offset, dedg

    def energy_and_gradient(self, centre: torch.Tensor, nbr_species: torch.Tensor, vec: torch.Tensor, ncentres: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """``centre`` (E,) sorted local index, ``vec`` (E, 3): energies (C,), dE/dvec (E, 3)."""
        dtype = vec.dtype
        nr, na = self.nr, self.na
        r = torch.sqrt((vec * vec).sum(dim=1))
        unit = vec / r[:, None]
        w = self.weight_of_species[nbr_species]
        # radial block: G[c, m] = sum_e fc T_m(x), x = 2 r / rc - 1
        rad = torch.nonzero(r <= self.rc_r).squeeze(1)
        rr = r[rad]
        fc, dfc = cutoff_and_slope(rr, self.rc_r)
        T, dT = chebyshev_and_slope(2.0 * rr / self.rc_r - 1.0, nr - 1)
        terms = fc[:, None] * T
        slope = dfc[:, None] * T + fc[:, None] * dT * (2.0 / self.rc_r)  # d(fc T_m)/dr
        c_r = centre[rad]
        nsf = (nr + na) * (2 if self.multi else 1)
        G = torch.zeros(ncentres, nsf, dtype=dtype)
        G[:, :nr].index_add_(0, c_r, terms)
        wr = w[rad]
        if self.multi:
            G[:, nr + na : 2 * nr + na].index_add_(0, c_r, terms * wr[:, None])
        # angular block: pairs of edges inside rc_a, G[c, m] = sum fc1 fc2 T_m(cos)
        if na > 0:
            ang = torch.nonzero(r <= self.rc_a).squeeze(1)
            first, second = angle_pairs(centre[ang], ncentres)
            e1 = ang[first]
            e2 = ang[second]
            u1, u2 = unit[e1], unit[e2]
            cos = (u1 * u2).sum(dim=1)
            sc = 2.0 / 3.14159265358979 if self.legacy else 1.0
            x = sc * cos - 1.0 if self.legacy else cos
            f1, df1 = cutoff_and_slope(r[e1], self.rc_a)
            f2, df2 = cutoff_and_slope(r[e2], self.rc_a)
            Ta, dTa = chebyshev_and_slope(x, na - 1)
            ff = f1 * f2
            c_a = centre[e1]
            G[:, nr : nr + na].index_add_(0, c_a, ff[:, None] * Ta)
            w12 = w[e1] * w[e2]
            if self.multi:
                G[:, 2 * nr + na :].index_add_(0, c_a, (ff * w12)[:, None] * Ta)
        else:
            e1 = torch.zeros(0, dtype=torch.int64)
            e2 = e1
            u1 = u2 = torch.zeros(0, 3, dtype=dtype)
            cos = ff = f1 = f2 = df1 = df2 = w12 = torch.zeros(0, dtype=dtype)
            Ta = dTa = torch.zeros(0, 0, dtype=dtype)
            c_a = e1
            sc = 1.0
        energy, dedg = self.network(G)
        # back to the edges: radial s_e = sum_m (a_m + w_e b_m) d(fc T_m)/dr along R_e/r_e
        coef = dedg[c_r, :nr]
        if self.multi:
            coef = coef + wr[:, None] * dedg[c_r, nr + na : 2 * nr + na]
        grad = torch.zeros_like(vec)
        grad.index_add_(0, rad, ((coef * slope).sum(dim=1))[:, None] * unit[rad])
        if na > 0:
            ca = dedg[c_a, nr : nr + na]
            if self.multi:
                ca = ca + w12[:, None] * dedg[c_a, 2 * nr + na :]
            S = (ca * Ta).sum(dim=1)
            Sp = (ca * dTa).sum(dim=1) * sc
            r1, r2 = r[e1], r[e2]
            g1 = (S * df1 * f2)[:, None] * u1 + (ff * Sp / r1)[:, None] * (u2 - cos[:, None] * u1)
            g2 = (S * f1 * df2)[:, None] * u2 + (ff * Sp / r2)[:, None] * (u1 - cos[:, None] * u2)
            grad.index_add_(0, e1, g1)
            grad.index_add_(0, e2, g2)
        return energy, grad


def explicit_supported(model: AenetModel) -> bool:
    return all(isinstance(m.descriptor, ChebyshevDescriptor) for m in model.species_models)


class ExplicitGradientModel(torch.nn.Module):
    """Format-2 MD model: ``energies_and_gradient`` without autograd; ``forward`` as format 1."""

    species: List[str]

    def __init__(self, model: AenetModel):
        super().__init__()
        self.species = list(model.species)
        self.cutoff = float(model.cutoff)
        self.reference = model
        self.parts = torch.nn.ModuleList([ExplicitSpecies(m) for m in model.species_models])

    def forward(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor) -> torch.Tensor:
        return self.reference(species, edge_index, edge_vec)

    @torch.jit.export
    def energies_and_gradient(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Atomic energies (N,) and dE_total/d edge_vec (E, 3); edges grouped by centre."""
        n = species.shape[0]
        energies = torch.zeros(n, dtype=edge_vec.dtype)
        grad = torch.zeros_like(edge_vec)
        centre_species = species[edge_index[0]]
        for t, part in enumerate(self.parts):
            centres = torch.nonzero(species == t).squeeze(1)
            if centres.numel() > 0:
                local = torch.full([n], -1, dtype=torch.int64)
                local[centres] = torch.arange(centres.numel())
                edges = torch.nonzero(centre_species == t).squeeze(1)
                e, g = part.energy_and_gradient(local[edge_index[0][edges]], species[edge_index[1][edges]], edge_vec[edges], centres.numel())
                energies[centres] = e
                grad[edges] = g
        return energies, grad
