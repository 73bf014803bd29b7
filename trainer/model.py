"""The atomic-energy model: per species a descriptor, input normalization and a network.

``AenetModel.forward(species, edge_index, edge_vec)`` is the TorchScript MD contract:
int64 species (N,), int64 edge_index (2, E) [centre, neighbour], float64 edge_vec (E, 3)
= r_j - r_i, returns float64 atomic energies (N,) in eV, reference energies included
(E_i = y_i / scale + shift + E_atom, AENET_FORMAT.md §6).
"""

from typing import List

import torch

from .network import AtomicNetwork


class SpeciesModel(torch.nn.Module):
    """Everything one ``.nn.ascii`` file holds, as a module."""

    envtypes: List[str]

    def __init__(
        self,
        species: str,
        descriptor: torch.nn.Module,
        network: AtomicNetwork,
        envtypes: List[str],
        feature_mean: torch.Tensor,
        feature_meansq: torch.Tensor,
        scale: float,
        shift: float,
        reference_energy: float,
    ):
        super().__init__()
        self.species = species
        self.descriptor = descriptor
        self.network = network
        self.envtypes = list(envtypes)
        self.register_buffer("feature_mean", feature_mean.clone().to(torch.float64))
        self.register_buffer("feature_meansq", feature_meansq.clone().to(torch.float64))
        self.register_buffer("feature_scale", torch.zeros_like(self.feature_mean))
        self.scale = float(scale)
        self.shift = float(shift)
        self.reference_energy = float(reference_energy)
        self.update_normalization()

    def update_normalization(self) -> None:
        """s_f = 1/sqrt(<G^2> - <G>^2), or 0 for constant features (§4.3)."""
        with torch.no_grad():
            var = self.feature_meansq - self.feature_mean**2
            std = torch.sqrt(torch.clamp(var, min=0.0))
            self.feature_scale.copy_(torch.where(std > 1e-10, 1.0 / torch.where(std > 1e-10, std, torch.ones_like(std)), torch.zeros_like(std)))

    def network_output(self, descriptors: torch.Tensor) -> torch.Tensor:
        return self.network.forward_normalized(descriptors, self.feature_mean, self.feature_scale)

    def atomic_energy(self, descriptors: torch.Tensor) -> torch.Tensor:
        return self.network_output(descriptors) / self.scale + self.shift + self.reference_energy


class AenetModel(torch.nn.Module):
    species: List[str]

    def __init__(self, species: List[str], species_models: List[SpeciesModel], cutoff: float):
        super().__init__()
        if [m.species for m in species_models] != list(species):
            raise ValueError("species models must come in the model's species order")
        self.species = list(species)
        self.species_models = torch.nn.ModuleList(species_models)
        self.cutoff = float(cutoff)

    def forward(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor) -> torch.Tensor:
        n = species.shape[0]
        energies = torch.zeros(n, dtype=edge_vec.dtype, device=edge_vec.device)
        centre_species = species[edge_index[0]]
        for t, model in enumerate(self.species_models):
            centres = torch.nonzero(species == t).squeeze(1)
            if centres.numel() > 0:
                local = torch.full([n], -1, dtype=torch.int64, device=species.device)
                local[centres] = torch.arange(centres.numel(), device=species.device)
                mask = centre_species == t
                centre = local[edge_index[0][mask]]
                neighbours = species[edge_index[1][mask]]
                descriptors = model.descriptor(centre, neighbours, edge_vec[mask], centres.numel())
                energies = energies.index_put((centres,), model.atomic_energy(descriptors))
        return energies

    @torch.jit.export
    def descriptors(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor, t: int) -> torch.Tensor:
        """Raw descriptors of all atoms of species index ``t`` (in atom order)."""
        n = species.shape[0]
        centres = torch.nonzero(species == t).squeeze(1)
        local = torch.full([n], -1, dtype=torch.int64, device=species.device)
        local[centres] = torch.arange(centres.numel(), device=species.device)
        mask = species[edge_index[0]] == t
        centre = local[edge_index[0][mask]]
        neighbours = species[edge_index[1][mask]]
        result = torch.zeros(0, 0, dtype=edge_vec.dtype)
        for k, model in enumerate(self.species_models):
            if k == t:
                result = model.descriptor(centre, neighbours, edge_vec[mask], centres.numel())
        return result
