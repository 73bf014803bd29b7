"""The MD model of TorchScript format 2: atomic energies *and* dE/d(edge_vec) in one pass,
without an autograd graph (issue #13).

Species whose Chebyshev set-ups are identical share one descriptor pass. Centres are taken
in chunks; inside a chunk each centre's neighbours sit in a padded row, so the descriptor,
its derivative and the networks' back-substitution are a few batched matrix products:

- radial: ``G[c, m] = sum_k f_ck T_m(x_ck)`` is ``bmm(T, [f, f w])``; the slope needs no
  T_m': sum_m a_m T_m'(x) = sum_m (D a)_m T_m(x) with D the Chebyshev derivative matrix, so
  one ``bmm`` of the coefficients ``[a, b, D a, D b]`` with T gives every edge's dE/dr;
- angular: ``C = U U^T`` holds every neighbour pair's cosine; the sum over pairs a < b is
  half the full double sum less its diagonal; dE/du_a = sum_b H_ab u_b.

``energies_and_gradient(species, edge_index, edge_vec) -> (energies[N], grad[E, 3])`` is the
method MD hosts call (with ``parallel_parts`` > 1 the chunks are split into that many parts
that run at once through ``torch.jit.fork``); ``forward`` keeps the format-1 contract (energies only, differentiable
through autograd with respect to ``edge_vec``). Float64 throughout.

Chebyshev set-ups only: models with Behler2011 set-ups are exported in format 1 (autograd).
"""

from typing import List, Tuple

import numpy as np
import torch

from .chebyshev import PI, ChebyshevDescriptor
from .model import AenetModel, SpeciesModel

CHUNK_ELEMENTS = 1 << 19  # padded radial table entries (centres x neighbours x orders) per chunk
# up to this many entries in all, the centres form one chunk: each chunk costs a fixed ~250
# operations (~0.7 ms on one core), which small cells feel (224 LMNTO atoms: 4.3 -> 3.6 ms
# per call with 2^21 instead of 2^19), while 10,080 atoms run 7 % slower in 2^21-entry chunks
SINGLE_CHUNK_ELEMENTS = 1 << 21


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
    """ænet's cosine cut-off and its slope; zero beyond rc."""
    pi = 3.14159265358979  # trainer.chebyshev.PI (TorchScript cannot read module constants)
    inside = r < rc
    a = pi / rc
    fc = torch.where(inside, 0.5 * (torch.cos(a * r) + 1.0), torch.zeros_like(r))
    dfc = torch.where(inside, -0.5 * a * torch.sin(a * r), torch.zeros_like(r))
    return fc, dfc


def chebyshev_table(x: torch.Tensor, order: int) -> torch.Tensor:
    """s_m T_m(x), m = 0..order, with the signs s = (+, +, -, -, +, +, ...) of ``chebyshev_signs``:
    x (B, K) -> (order + 1, B, K). With these signs the recurrence is one fused op per order,
    V_m = V_{m-2} -/+ 2x V_{m-1}, written in place."""
    table = torch.empty(max(order + 1, 0), x.shape[0], x.shape[1], dtype=x.dtype)
    if order < 0:
        return table
    table[0].fill_(1.0)
    if order >= 1:
        table[1].copy_(x)
    x2 = 2.0 * x
    for m in range(2, order + 1):
        torch.addcmul(table[m - 2], x2, table[m - 1], value=-1.0 if m % 2 == 0 else 1.0, out=table[m])
    return table


def chebyshev_signs(order: int) -> torch.Tensor:
    return torch.tensor([1.0 if (m // 2) % 2 == 0 else -1.0 for m in range(order + 1)], dtype=torch.float64)


def derivative_matrix(order: int, scale: float) -> torch.Tensor:
    """D (order+1, order+1) with sum_m a_m T_m'(x) * scale = sum_k (a @ D)_k T_k(x)."""
    n = order + 1
    d = np.zeros((n, n))
    for m in range(n):
        e = np.zeros(n)
        e[m] = 1.0
        der = np.polynomial.chebyshev.chebder(e)
        d[m, : der.shape[0]] = der * scale
    return torch.tensor(d, dtype=torch.float64)


class ExplicitNetwork(torch.nn.Module):
    """One species' normalisation and network: energies and dE/dG by back-substitution."""

    codes: List[int]
    w: List[torch.Tensor]
    b: List[torch.Tensor]

    def __init__(self, model: SpeciesModel):
        super().__init__()
        self.register_buffer("mean", model.feature_mean.clone())
        self.register_buffer("scale_in", model.feature_scale.clone())
        self.w = [layer.weight.detach().clone() for layer in model.network.layers]
        self.b = [layer.bias.detach().clone() for layer in model.network.layers]
        self.codes = list(model.network.codes)
        self.inv_scale = 1.0 / float(model.scale)
        self.offset = float(model.shift) + float(model.reference_energy)

    def forward(self, G: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Atomic energies (C,) and dE/dG (C, nsf)."""
        h = (G - self.mean) * self.scale_in
        slopes: List[torch.Tensor] = []
        for k in range(len(self.w)):
            h, s = activation_and_slope(torch.addmm(self.b[k], h, self.w[k].t()), self.codes[k])
            slopes.append(s)
        delta = slopes[-1]
        for j in range(len(slopes) - 2, -1, -1):
            delta = (delta @ self.w[j + 1]) * slopes[j]
        dedg = (delta @ self.w[0]) * (self.scale_in * self.inv_scale)
        return h[:, 0] * self.inv_scale + self.offset, dedg


def setup_key(descriptor: ChebyshevDescriptor) -> tuple:
    return (
        descriptor.radial_cutoff,
        descriptor.radial_order,
        descriptor.angular_cutoff,
        descriptor.angular_order,
        descriptor.legacy_angular,
        tuple(descriptor.weight_of_species.tolist()),
    )


class ExplicitGroup(torch.nn.Module):
    """Species sharing one Chebyshev set-up: descriptors, networks and gradients of a chunk."""

    members: List[int]

    def __init__(self, descriptor: ChebyshevDescriptor, members: List[int], networks: List[ExplicitNetwork]):
        super().__init__()
        self.members = list(members)
        self.networks = torch.nn.ModuleList(networks)
        self.rc_r = float(descriptor.radial_cutoff)
        self.nr = int(descriptor.radial_order) + 1
        self.rc_a = float(descriptor.angular_cutoff)
        self.na = int(descriptor.angular_order) + 1
        self.multi = bool(descriptor.multi)
        self.legacy = bool(descriptor.legacy_angular)
        self.sc = 2.0 / PI if self.legacy else 1.0
        self.register_buffer("weight_of_species", descriptor.weight_of_species.clone())
        # the tables hold s_m T_m (chebyshev_table): coefficients on T_m become coefficients on
        # the table through a factor s_m, so the derivative matrices carry it in their columns
        self.register_buffer("s_r", chebyshev_signs(self.nr - 1))
        self.register_buffer("s_a", chebyshev_signs(max(self.na - 1, 0)))
        self.register_buffer("d_r", derivative_matrix(self.nr - 1, 2.0 / self.rc_r) * self.s_r[None, :])
        self.register_buffer("d_a", derivative_matrix(max(self.na - 1, 0), self.sc) * self.s_a[None, :])
        # T_m at cos = 1: the diagonal a = b of the double sum over neighbour pairs
        x1 = torch.full([1, 1], self.sc - 1.0 if self.legacy else 1.0, dtype=torch.float64)
        self.register_buffer("t_one", chebyshev_table(x1, max(self.na - 1, 0)).reshape(-1))
        self.register_buffer("ones3", torch.ones(3, dtype=torch.float64))
        self.far = 10.0 * max(self.rc_r, self.rc_a) + 1.0
        self.nsf = (self.nr + self.na) * (2 if self.multi else 1)
        self.moments = (not self.legacy) and self.na <= 3  # angular order <= 2: direction moments

    def evaluate(self, centre_species: torch.Tensor, counts: torch.Tensor, nbr_species: torch.Tensor, vec: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One chunk: ``centre_species`` (C,) model species of its centres, ``counts`` (C,) their
        edge counts (>= 1; the edges come grouped by centre), ``vec`` (E, 3): energies (C,),
        dE/dvec (E, 3)."""
        nc = centre_species.shape[0]
        nr, na = self.nr, self.na
        dtype = vec.dtype
        # one padded row of neighbours per centre; empty slots hold a vector far beyond the
        # cut-offs, where every cut-off function and its slope vanish
        width = int(counts.max())
        starts = torch.cumsum(counts, 0) - counts
        local = torch.repeat_interleave(torch.arange(nc, dtype=torch.int64), counts)
        slot = torch.arange(vec.shape[0], dtype=torch.int64) + (local * width - starts.index_select(0, local))
        v = torch.zeros(nc * width, 3, dtype=dtype)
        v[:, 0] = self.far
        v.index_copy_(0, slot, vec)  # (index_copy_/index_select: faster than [] indexing)
        wp = torch.zeros(nc * width, dtype=dtype)
        wp.index_copy_(0, slot, self.weight_of_species.index_select(0, nbr_species))
        r = torch.sqrt((v * v) @ self.ones3)
        unit = v / r[:, None]
        f, df = cutoff_and_slope(r, self.rc_r)
        x = torch.clamp(r * (2.0 / self.rc_r) - 1.0, max=1.0)
        f, df, wp, x = f.view(nc, width), df.view(nc, width), wp.view(nc, width), x.view(nc, width)
        G = torch.empty(nc, self.nsf, dtype=dtype)
        # radial block: G[c, m] = sum_k f_ck T_m(x_ck) (and with weights w) = T f
        T = chebyshev_table(x, nr - 1).permute(1, 0, 2)  # (C, nr, K)
        nw = 2 if self.multi else 1
        if self.multi:
            fw = torch.stack([f, f * wp], dim=1)
        else:
            fw = f.unsqueeze(1)
        # (C, nw, K) @ (C, K, nr): with nw rows instead of nw columns the batched product runs
        # ~3x faster (224 LMNTO atoms: 0.29 vs 0.85 ms)
        g_r = torch.bmm(fw, T.transpose(1, 2)) * self.s_r[None, None, :]  # (C, nw, nr)
        G[:, :nr] = g_r[:, 0]
        if self.multi:
            G[:, nr + na : 2 * nr + na] = g_r[:, 1]
        # angular block: the neighbours inside rc_a packed to the front of a (C, kw) table of
        # row positions (-1: none; its cut-off is zero); cosines of all pairs from U U^T
        r2 = r.view(nc, width)
        inside = r2 <= self.rc_a
        kw = max(int(inside.sum(dim=1).max()), 1)
        target = torch.where(inside, torch.cumsum(inside, dim=1) - 1, kw)
        packed = torch.full([nc, kw + 1], -1, dtype=torch.int64)
        packed.scatter_(1, target, torch.arange(width, dtype=torch.int64).expand(nc, width))
        valid = packed[:, :kw] >= 0
        near = torch.clamp(packed[:, :kw], min=0)
        ra = torch.where(valid, torch.gather(r2, 1, near), self.far)
        U = torch.gather(unit.view(nc, width, 3), 1, near.unsqueeze(2).expand(nc, kw, 3))
        fa, dfa = cutoff_and_slope(ra, self.rc_a)
        wa = torch.gather(wp, 1, near)
        if self.multi:
            fgt = torch.stack([fa, fa * wa], dim=1)  # (C, nw, K)
        else:
            fgt = fa.unsqueeze(1)
        # order <= 2 (not legacy): the pair sums from direction moments, O(K) per centre instead of
        # O(K^2): T_0 = 1, T_1 = c, T_2 = 2c^2 - 1 and, with |u| = 1,
        # sum_{a<b} f_a f_b (u_a.u_b)^k = (|sum_a f_a u_a^(x)k|^2 - sum_a f_a^2) / 2
        fsum = fgt.sum(dim=2)  # (C, nw)
        fsq = (fgt * fgt).sum(dim=2)
        V = torch.zeros(0, dtype=dtype)
        M = torch.zeros(0, dtype=dtype)
        outer = torch.zeros(0, dtype=dtype)
        Ta = torch.zeros(0, dtype=dtype)
        if self.moments and na > 0:
            V = torch.bmm(fgt, U)  # (C, nw, 3): sum_a f_a u_a
            M = torch.matmul((fgt.unsqueeze(3) * U.unsqueeze(1)).transpose(2, 3), U.unsqueeze(1))  # (C, nw, 3, 3)
            a0 = 0.5 * (fsum * fsum - fsq)
            moments = [a0]
            if na > 1:
                moments.append(0.5 * ((V * V).sum(dim=2) - fsq))
            if na > 2:
                moments.append((M * M).sum(dim=(2, 3)) - fsq - a0)
            g_a = torch.stack(moments, dim=1)  # (C, na, nw)
            G[:, nr : nr + na] = g_a[:, :, 0]
            if self.multi:
                G[:, 2 * nr + na :] = g_a[:, :, 1]
        elif na > 0:
            outer = fgt.unsqueeze(3) * fgt.unsqueeze(2)  # (C, nw, K, K): f_a f_b and g_a g_b
            cosines = torch.bmm(U, U.transpose(1, 2))
            xa = self.sc * cosines - 1.0 if self.legacy else cosines
            Ta = chebyshev_table(xa.view(nc, kw * kw), na - 1).permute(1, 0, 2)  # (C, na, K*K)
            full = torch.bmm(outer.view(nc, nw, kw * kw), Ta.transpose(1, 2))  # (C, nw, na): as g_r
            g_a = (0.5 * (full - self.t_one[None, None, :] * fsq[:, :, None])) * self.s_a[None, None, :]
            G[:, nr : nr + na] = g_a[:, 0]
            if self.multi:
                G[:, 2 * nr + na :] = g_a[:, 1]
        # the networks
        energy = torch.empty(nc, dtype=dtype)
        dedg = torch.empty(nc, self.nsf, dtype=dtype)
        for k, net in enumerate(self.networks):
            rows = torch.nonzero(centre_species == self.members[k]).squeeze(1)
            if rows.numel() > 0:
                e, d = net(G.index_select(0, rows))
                energy.index_copy_(0, rows, e)
                dedg.index_copy_(0, rows, d)
        # back to the edges, radial: dE/dr = f' sum (a + w b) T + f sum D(a + w b) T
        a_r = dedg[:, :nr]
        if self.multi:
            b_r = dedg[:, nr + na : 2 * nr + na]
            q = torch.bmm(torch.stack([a_r * self.s_r, b_r * self.s_r, a_r @ self.d_r, b_r @ self.d_r], dim=1), T)
            dedr = df * (q[:, 0] + wp * q[:, 1]) + f * (q[:, 2] + wp * q[:, 3])
        else:
            q = torch.bmm(torch.stack([a_r * self.s_r, a_r @ self.d_r], dim=1), T)
            dedr = df * q[:, 0] + f * q[:, 1]
        grad = (dedr.view(nc * width, 1) * unit).view(nc, width, 3)
        dedf = torch.zeros(0, dtype=dtype)
        dedu = torch.zeros(0, dtype=dtype)
        if na > 0 and self.moments:
            # dE/df_a and dE/du_a of each set j (f, and g = f w), c_jm = dE/dG of its moment m:
            # d/df_a: c_0 (F - f_a) + c_1 (u_a.V - f_a) + c_2 (2 u_a M u_a - 2 f_a - F + f_a);
            # d/du_a: f_a (c_1 V + 4 c_2 M u_a)
            alpha = dedg[:, nr : nr + na]
            c = torch.stack([alpha, dedg[:, 2 * nr + na :]], dim=2) if self.multi else alpha.unsqueeze(2)  # (C, na, nw)
            rest = fsum.unsqueeze(2) - fgt  # (C, nw, K): F - f_a
            dfj = c[:, 0].unsqueeze(2) * rest
            dedu = torch.zeros(nc, kw, 3, dtype=dtype)  # order 0: no direction dependence
            if na > 1:
                uV = torch.matmul(U.unsqueeze(1), V.unsqueeze(3)).squeeze(3)  # (C, nw, K)
                dfj = dfj + c[:, 1].unsqueeze(2) * (uV - fgt)
                dedu = dedu + torch.matmul((c[:, 1].unsqueeze(2) * fgt).transpose(1, 2), V)
            if na > 2:
                Mu = torch.matmul(U.unsqueeze(1), M)  # (C, nw, K, 3): M u_a (M symmetric)
                uMu = (Mu * U.unsqueeze(1)).sum(dim=3)
                dfj = dfj + c[:, 2].unsqueeze(2) * (2.0 * uMu - 2.0 * fgt - rest)
                dedu = dedu + ((4.0 * c[:, 2].unsqueeze(2) * fgt).unsqueeze(3) * Mu).sum(dim=1)
            dedf = dfj[:, 0] + wa * dfj[:, 1] if self.multi else dfj[:, 0]
        elif na > 0:
            # angular: dE/df_a = sum_b f_b P_ab - f_a p(1) (and the same for g = f w);
            # dE/du_a = sum_b H_ab u_b with H = F P' (+ F_w P'_w)
            alpha = dedg[:, nr : nr + na]
            if self.multi:
                beta = dedg[:, 2 * nr + na :]
                coef = torch.stack([alpha * self.s_a, beta * self.s_a, alpha @ self.d_a, beta @ self.d_a], dim=1)
            else:
                coef = torch.stack([alpha * self.s_a, alpha @ self.d_a], dim=1)
            p = torch.bmm(coef, Ta).view(nc, 2 * nw, kw, kw)
            p_one = coef[:, :nw] @ self.t_one  # (C, nw)
            # sum_b P_j[a, b] f_j[b] for j < nw: one product over all blocks of p (no copy), keep j = j'
            pf = torch.bmm(p.view(nc, 2 * nw * kw, kw), fgt.transpose(1, 2))
            if self.multi:
                h = torch.addcmul(outer[:, 0] * p[:, 2], outer[:, 1], p[:, 3])
                dedf = pf[:, :kw, 0] - fa * p_one[:, 0:1] + wa * (pf[:, kw : 2 * kw, 1] - fa * wa * p_one[:, 1:2])
            else:
                h = outer[:, 0] * p[:, 1]
                dedf = pf[:, :kw, 0] - fa * p_one[:, 0:1]
            dedu = torch.bmm(h, U)
        if na > 0:
            # along u: dE/dr; across u: the tangential part of dE/du over r
            along = dedf * dfa - (dedu * U) @ self.ones3 / ra
            g_ang = along.unsqueeze(2) * U + dedu / ra.unsqueeze(2)
            grad.scatter_add_(1, near.unsqueeze(2).expand(nc, kw, 3), g_ang)
        return energy, grad.view(nc * width, 3).index_select(0, slot)


class ChunkRunner(torch.nn.Module):
    """Evaluates a list of a group's chunks (slices of its centres and their edges): the unit
    of work that ``energies_and_gradient`` forks when ``parallel_parts`` > 1."""

    def __init__(self, group: ExplicitGroup):
        super().__init__()
        self.group = group

    def forward(
        self, centre_species: torch.Tensor, n_edges: torch.Tensor, nbr_species: torch.Tensor, vec: torch.Tensor, chunks: List[List[int]]
    ) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        out: List[Tuple[torch.Tensor, torch.Tensor]] = []
        for c in chunks:
            out.append(self.group.evaluate(centre_species[c[0] : c[1]], n_edges[c[0] : c[1]], nbr_species[c[2] : c[3]], vec[c[2] : c[3]]))
        return out


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
        keys: List[tuple] = []
        members: List[List[int]] = []
        for t, m in enumerate(model.species_models):
            key = setup_key(m.descriptor)
            if key not in keys:
                keys.append(key)
                members.append([])
            members[keys.index(key)].append(t)
        models = model.species_models
        self.groups = torch.nn.ModuleList(
            [ChunkRunner(ExplicitGroup(models[group[0]].descriptor, group, [ExplicitNetwork(models[t]) for t in group])) for group in members]
        )
        group_of = [0] * len(models)
        for g, group in enumerate(members):
            for t in group:
                group_of[t] = g
        self.chunk_elements = CHUNK_ELEMENTS
        self.single_chunk_elements = SINGLE_CHUNK_ELEMENTS
        # hosts set this to their thread count (the C++ backend: OMP_NUM_THREADS, each part
        # with one intra-op thread); the chunks are then split into this many parts that run
        # in parallel (torch.jit.fork); every centre's sums stay the same
        self.parallel_parts = 1
        self.register_buffer("group_of_species", torch.tensor(group_of, dtype=torch.int64))
        # an atom without neighbours has G = 0: its energy is a constant of its species (hosts
        # pass ghost atoms too; they never enter the descriptor passes)
        with torch.no_grad():
            alone = [float(m.atomic_energy(torch.zeros(1, m.descriptor.size, dtype=torch.float64)).reshape(-1)[0]) for m in models]
        self.register_buffer("energy_alone", torch.tensor(alone, dtype=torch.float64))

    def forward(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor) -> torch.Tensor:
        return self.reference(species, edge_index, edge_vec)

    @torch.jit.export
    def energies_and_gradient(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Atomic energies (N,) and dE_total/d edge_vec (E, 3); edges grouped by centre."""
        energies = self.energy_alone.index_select(0, species)
        grad = torch.empty_like(edge_vec)
        centre = edge_index[0]
        if centre.shape[0] == 0:
            return energies, grad
        centres, inverse, counts = torch.unique_consecutive(centre, return_inverse=True, return_counts=True)  # edges per centre
        if centres.shape[0] > 1 and not bool((centres[1:] > centres[:-1]).all()):
            raise ValueError("energies_and_gradient: edges must be grouped by centre in increasing centre order")
        nbr_species = species.index_select(0, edge_index[1])
        single = len(self.groups) == 1
        group_of_centre = self.group_of_species.index_select(0, species.index_select(0, centres))
        parts = max(1, self.parallel_parts)
        for g, runner in enumerate(self.groups):
            if single:
                atoms = centres
                n_edges = counts
                edges = torch.zeros(0, dtype=torch.int64)
                vec = edge_vec
                nbr = nbr_species
            else:
                mine = torch.nonzero(group_of_centre == g).squeeze(1)
                atoms = centres[mine]
                n_edges = counts[mine]
                edges = torch.nonzero(group_of_centre[inverse] == g).squeeze(1)
                vec = edge_vec.index_select(0, edges)
                nbr = nbr_species.index_select(0, edges)
            na = atoms.shape[0]
            if na > 0:
                row = int(n_edges.max()) * runner.group.nr
                per_chunk = na if na * row <= self.single_chunk_elements else max(1, self.chunk_elements // row)
                nchunks = (na + per_chunk - 1) // per_chunk
                if parts > 1:
                    nchunks = max(nchunks, min(parts, na))
                per_chunk = (na + nchunks - 1) // nchunks  # equal chunks
                bounds: List[int] = torch.cumsum(n_edges, 0).tolist()
                chunks: List[List[int]] = []
                start = 0
                first = 0
                while start < na:
                    stop = min(start + per_chunk, na)
                    last = bounds[stop - 1]
                    chunks.append([start, stop, first, last])
                    start = stop
                    first = last
                centre_species = species.index_select(0, atoms)
                nparts = min(parts, len(chunks))
                step = (len(chunks) + nparts - 1) // nparts
                futures = [torch.jit.fork(runner, centre_species, n_edges, nbr, vec, chunks[k * step : (k + 1) * step]) for k in range(1, nparts)]
                results = runner(centre_species, n_edges, nbr, vec, chunks[:step])
                for fut in futures:
                    results += torch.jit.wait(fut)
                for k in range(len(chunks)):
                    c = chunks[k]
                    e, gr = results[k]
                    if single:  # a group's edges are one range: slices, no gathers
                        grad[c[2] : c[3]] = gr
                    else:
                        grad.index_copy_(0, edges[c[2] : c[3]], gr)
                    energies.index_copy_(0, atoms[c[0] : c[1]], e)
        return energies, grad
