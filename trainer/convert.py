"""Between ``.nn.ascii`` sections and the torch model, in both directions, losslessly."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .behler import BehlerDescriptor, output_order
from .chebyshev import ChebyshevDescriptor
from .errors import InputFileError
from .model import AenetModel, SpeciesModel
from .network import AtomicNetwork

from .nnascii import FileInfo, NetworkSection, PotentialFile, SetupSection, TrainsetSection, write_potential


def descriptor_from_setup(setup: SetupSection, species: Sequence[str], legacy_angular: bool = False, path: str = "") -> torch.nn.Module:
    missing = [s for s in species if s not in setup.envtypes]
    if missing:
        raise InputFileError(
            path, "record S4 envtypes", f"every species of the potential ({', '.join(species)})", f"no {', '.join(missing)} in {setup.envtypes}"
        )
    env_index = [setup.envtypes.index(s) for s in species]
    if setup.is_chebyshev:
        rc_r, n_r, rc_a, n_a = setup.chebyshev_parameters()
        return ChebyshevDescriptor(rc_r, n_r, rc_a, n_a, env_index, len(setup.envtypes), legacy_angular)
    env = setup.sfenv.T.tolist()
    order = output_order(setup.sf.tolist(), env, len(setup.envtypes))
    return BehlerDescriptor([int(setup.sf[k]) for k in order], [setup.sfparam[:, k].tolist() for k in order], [env[k] for k in order], env_index)


def network_from_section(section: NetworkSection) -> AtomicNetwork:
    net = AtomicNetwork(section.nnodes, section.activations)
    with torch.no_grad():
        for layer, (a, c) in zip(net.layers, section.matrices()):
            layer.weight.copy_(torch.from_numpy(a))
            layer.bias.copy_(torch.from_numpy(c))
    return net


def species_model_from_potential(pot: PotentialFile, species: Sequence[str], legacy_angular: bool = False) -> SpeciesModel:
    descriptor = descriptor_from_setup(pot.setup, species, legacy_angular, pot.path)
    if descriptor.size != pot.setup.nsf:
        raise InputFileError(pot.path, "record S8 nsf", f"{descriptor.size} functions", str(pot.setup.nsf))
    if pot.setup.rc_max + 1e-6 < descriptor.cutoff:  # as the C++ reader (native_model.cpp)
        raise InputFileError(pot.path, "record S6 Rc_max", f"at least the descriptor cut-off {descriptor.cutoff:.6f}", f"{pot.setup.rc_max:.6f}")
    model = SpeciesModel(
        pot.species,
        descriptor,
        network_from_section(pot.network),
        pot.setup.envtypes,
        torch.from_numpy(pot.setup.sfval_avg),
        torch.from_numpy(pot.setup.sfval_cov),
        pot.trainset.scale,
        pot.trainset.shift,
        pot.reference_energy,
    )
    model.file_info = FileInfo(setup=pot.setup, trainset=pot.trainset)
    return model


def model_from_potentials(potentials: Sequence[PotentialFile], legacy_angular: bool = False) -> AenetModel:
    """One model over all species files; species order = order of the files."""
    species = [p.species for p in potentials]
    if len(set(species)) != len(species):
        dup = sorted({s for s in species if species.count(s) > 1})
        raise InputFileError(potentials[0].path, "record S2 atomtype", "one file per species", f"several files for {', '.join(dup)}")
    models = [species_model_from_potential(p, species, legacy_angular) for p in potentials]
    cutoff = max(m.descriptor.cutoff for m in models)
    for p, m in zip(potentials, models):  # one cut-off for all species, as the C++ reader requires
        if abs(m.descriptor.cutoff - models[0].descriptor.cutoff) > 1e-9:
            raise InputFileError(
                p.path,
                "record S11 sfparam",
                f"the cut-off of {potentials[0].path} ({models[0].descriptor.cutoff:.6f} Å): all species share one cut-off",
                f"{m.descriptor.cutoff:.6f} Å",
            )
    return AenetModel(species, models, cutoff)


def network_section(net: AtomicNetwork) -> NetworkSection:
    mats = [(layer.weight.detach().cpu().numpy(), layer.bias.detach().cpu().numpy()) for layer in net.layers]
    return NetworkSection(list(net.nnodes), list(net.codes), NetworkSection.weights_from_matrices(mats))


def setup_section(model: SpeciesModel) -> SetupSection:
    """Section S of a species model: reuses a loaded file's set-up, or builds a Chebyshev one."""
    info = getattr(model, "file_info", None) or FileInfo()
    mean = model.feature_mean.detach().cpu().numpy().copy()
    meansq = model.feature_meansq.detach().cpu().numpy().copy()
    low = info.sfval_min if info.sfval_min is not None else (info.setup.sfval_min if info.setup else mean)
    high = info.sfval_max if info.sfval_max is not None else (info.setup.sfval_max if info.setup else mean)
    if info.setup is not None:
        s = info.setup
        return SetupSection(
            s.description,
            s.atomtype,
            list(s.envtypes),
            s.rc_min,
            s.rc_max,
            s.sftype,
            s.sf.copy(),
            s.sfparam.copy(),
            s.sfenv.copy(),
            s.neval,
            np.array(low, dtype=np.float64),
            np.array(high, dtype=np.float64),
            mean,
            meansq,
        )
    d = model.descriptor
    nsf = d.size
    if isinstance(d, ChebyshevDescriptor):
        sftype, name, rc_max = "Chebyshev", "taylorann_Chebyshev_descriptor", max(d.radial_cutoff, d.angular_cutoff)
        sf = np.zeros(nsf, dtype=np.int64)
        sfparam = np.zeros((4, nsf))
        sfparam[:, 0] = [d.radial_cutoff, d.radial_order, d.angular_cutoff, d.angular_order]
        sfenv = np.zeros((2, nsf), dtype=np.int64)
    elif isinstance(d, BehlerDescriptor):  # written in ænet's output order: file order = output order
        sftype, name, rc_max = "Behler2011", "taylorann_Behler2011_descriptor", d.cutoff
        sf = np.array(d.kinds, dtype=np.int64)
        sfparam = np.array(d.params, dtype=np.float64).T.copy()
        sfenv = np.array(d.env, dtype=np.int64).T.copy()
    else:
        raise ValueError(f"{model.species}: no .nn.ascii set-up for descriptor {type(d).__name__}")
    return SetupSection(
        description=name,
        atomtype=model.species,
        envtypes=list(model.envtypes),
        rc_min=0.5,
        rc_max=rc_max,
        sftype=sftype,
        sf=sf,
        sfparam=sfparam,
        sfenv=sfenv,
        neval=int(info.neval),
        sfval_min=np.asarray(low, dtype=np.float64),
        sfval_max=np.asarray(high, dtype=np.float64),
        sfval_avg=mean,
        sfval_cov=meansq,
    )


def trainset_section(model: SpeciesModel, species: Sequence[str], reference_energies: dict) -> TrainsetSection:
    info = getattr(model, "file_info", None) or FileInfo()
    if info.trainset is not None:
        t = info.trainset
        return TrainsetSection(t.file, t.normalized, model.scale, model.shift, list(t.typenames), t.e_atom.copy(), t.natomtot, t.nstrucs, t.e_stats.copy())
    return TrainsetSection(
        file="taylorann_training_set",
        normalized=True,
        scale=model.scale,
        shift=model.shift,
        typenames=list(species),
        e_atom=np.array([reference_energies[s] for s in species], dtype=np.float64),
        natomtot=int(info.natomtot),
        nstrucs=int(info.nstrucs),
        e_stats=np.asarray(info.e_stats, dtype=np.float64),
    )


def potentials_from_model(model: AenetModel) -> list[PotentialFile]:
    refs = {m.species: m.reference_energy for m in model.species_models}
    return [PotentialFile(network_section(m.network), setup_section(m), trainset_section(m, model.species, refs)) for m in model.species_models]


def write_nnascii(model, output) -> list[Path]:
    """One ``<El>.nn.ascii`` per species of ``model`` in folder ``output``."""
    out = Path(output)
    written = []
    for pot in potentials_from_model(model):
        path = out / f"{pot.species}.nn.ascii"
        write_potential(path, pot)
        written.append(path)
        print(f"wrote {path}")
    return written
