"""The TorchScript backend of pair_style taylorann (MD contract of the export package):
a .pt twin of the TiO2 .nn.ascii potential, a many-body model written in this test, and the
backend's error messages."""

from __future__ import annotations

import json
import math

import ase.io
import numpy as np
import torch

from conftest_lammps import POTENTIAL, lammps_header, nnascii_args, read_dump, run_lammps, structure, thermo_table, write_data

RC = 4.0


class EmbeddedPairModel(torch.nn.Module):
    """E_i = E_ref[s_i] + sum_j eps[s_i,s_j] exp(-(r-r0)^2) fc(r) + A[s_i] sqrt(1 + rho_i^2),
    rho_i = sum_j fc(r_ij) exp(-r_ij): many-body through the embedding term."""

    def __init__(self):
        super().__init__()
        self.eps = torch.tensor([[0.3, -0.5], [-0.5, 0.2]], dtype=torch.float64)
        self.amp = torch.tensor([-1.1, -0.4], dtype=torch.float64)
        self.ref = torch.tensor([-1604.6, -432.5], dtype=torch.float64)
        self.cutoff = RC

    def forward(self, species: torch.Tensor, edge_index: torch.Tensor, edge_vec: torch.Tensor) -> torch.Tensor:
        r = torch.linalg.norm(edge_vec, dim=1)
        fc = 0.5 * (torch.cos(math.pi * r / self.cutoff) + 1.0) * (r < self.cutoff).to(r.dtype)
        si = species[edge_index[0]]
        sj = species[edge_index[1]]
        pair = self.eps[si, sj] * torch.exp(-((r - 2.0) ** 2)) * fc
        n = species.shape[0]
        e = self.ref[species].clone()
        e = e.index_add(0, edge_index[0], pair)
        rho = torch.zeros(n, dtype=torch.float64).index_add(0, edge_index[0], fc * torch.exp(-r))
        return e + self.amp[species] * torch.sqrt(1.0 + rho * rho)


def save_model(path, model=None, meta=None):
    model = torch.jit.script(model or EmbeddedPairModel())
    meta = (
        meta
        if meta is not None
        else {
            "format_version": 1,
            "species": ["Ti", "O"],
            "cutoff": RC,
            "units": "metal",
            "descriptor": {"type": "test pair + embedding"},
            "reference_energies": {"Ti": -1604.6, "O": -432.5},
        }
    )
    extra = {"taylorann.json": json.dumps(meta)} if meta else {}
    torch.jit.save(model, str(path), _extra_files=extra)
    return path


def reference_energy_forces(atoms):
    """Independent evaluation: ase neighbour list + torch autograd w.r.t. positions."""
    from ase.neighborlist import primitive_neighbor_list

    i, j, S = primitive_neighbor_list("ijS", atoms.pbc, atoms.cell.array, atoms.positions, RC)
    pos = torch.tensor(atoms.positions, requires_grad=True)
    cell = torch.tensor(atoms.cell.array)
    vec = pos[torch.tensor(j)] - pos[torch.tensor(i)] + torch.tensor(S, dtype=torch.float64) @ cell
    species = torch.tensor([0 if s == "Ti" else 1 for s in atoms.get_chemical_symbols()])
    e = EmbeddedPairModel()(species, torch.tensor(np.stack([i, j])), vec).sum()
    (g,) = torch.autograd.grad(e, pos)
    return e.item(), -g.numpy()


def _forces_and_pe(work, pair_coeff, extra="", np_=1, threads=1):
    script = (
        lammps_header("data.lmp", pair_coeff)
        + extra
        + (
            "thermo_style custom step pe press\nthermo_modify format float %.17g\n"
            "dump d all custom 1 f.dump id fx fy fz\ndump_modify d sort id format float %.17g\nrun 0\n"
        )
    )
    _, out = run_lammps(script, work, np_=np_, threads=threads)
    d = read_dump(work / "f.dump")
    return thermo_table(out)[-1], np.column_stack([d["fx"], d["fy"], d["fz"]])


def _numdiff(work, pair_coeff):
    """Forces and LAMMPS's own central differences (fix numdiff, 1e-4 Å) of data.lmp in work."""
    script = lammps_header("data.lmp", pair_coeff) + (
        "fix nd all numdiff 1 1e-4\nthermo 1\ndump d all custom 1 f.dump id fx fy fz f_nd[1] f_nd[2] f_nd[3]\ndump_modify d sort id format float %.17g\nrun 0\n"
    )
    run_lammps(script, work)
    return read_dump(work / "f.dump")


def test_handmade_model_matches_torch_autograd(tmp_path):
    atoms = ase.io.read(structure(2))
    frame = write_data(atoms, tmp_path / "data.lmp")
    save_model(tmp_path / "model.pt")
    row, f_lmp = _forces_and_pe(tmp_path, f"{tmp_path}/model.pt Ti O")
    e_ref, f_ref = reference_energy_forces(atoms)
    assert abs(row["PotEng"] - e_ref) <= 1e-9 * abs(e_ref)
    np.testing.assert_allclose(frame.vector_to_ase(f_lmp), f_ref, rtol=0, atol=1e-9)


def test_handmade_model_fix_numdiff(tmp_path):
    write_data(ase.io.read(structure(2)), tmp_path / "data.lmp")
    save_model(tmp_path / "model.pt")
    d = _numdiff(tmp_path, f"{tmp_path}/model.pt Ti O")
    diff = [np.abs(d[f"f{c}"] - d[f"f_nd[{k}]"]).max() for k, c in enumerate("xyz", 1)]
    assert max(diff) <= 1e-6


def test_exported_twin_matches_nnascii(tmp_path):
    """A .pt written by the project's exporter from Ti/O.nn.ascii equals the native backend."""
    from export.commands import export_torchscript

    export_torchscript([str(p) for p in POTENTIAL], tmp_path / "tio2.pt")
    atoms = ase.io.read(structure(2)).repeat((1, 2, 1))
    results = {}
    for name, coeff in (("native", nnascii_args()), ("torch", f"{tmp_path}/tio2.pt Ti O")):
        work = tmp_path / name
        work.mkdir()
        write_data(atoms, work / "data.lmp")
        results[name] = _forces_and_pe(work, coeff, "compute pv all pressure NULL virial\n")
    (row_n, f_n), (row_t, f_t) = results["native"], results["torch"]
    assert abs(row_n["PotEng"] - row_t["PotEng"]) <= 1e-9 * abs(row_n["PotEng"])
    np.testing.assert_allclose(f_t, f_n, rtol=0, atol=1e-9)
    assert abs(row_n["Press"] - row_t["Press"]) <= 1e-9 * abs(row_n["Press"])


def test_exported_format2_fix_numdiff_and_two_ranks(tmp_path):
    """The exporter's format-2 model (explicit gradients) in LAMMPS: forces agree with
    LAMMPS's own central differences (fix numdiff); -np 2, and 2 threads (the centres in
    two parts run at once, torch.jit.fork), give the -np 1, 1-thread numbers."""
    from export.commands import export_torchscript
    from trainer.torchscript import load_torchscript

    model = tmp_path / "tio2.pt"
    export_torchscript([str(p) for p in POTENTIAL], model)
    assert load_torchscript(model)[1]["format_version"] == 2
    atoms = ase.io.read(structure(2)).repeat((1, 2, 1))
    nd = tmp_path / "numdiff"
    nd.mkdir()
    write_data(atoms, nd / "data.lmp")
    d = _numdiff(nd, f"{model} Ti O")
    assert np.abs(d["fx"]).max() > 1e-2
    assert max(np.abs(d[f"f{c}"] - d[f"f_nd[{k}]"]).max() for k, c in enumerate("xyz", 1)) <= 1e-6
    rows = {}
    for np_, threads in ((1, 1), (2, 1), (1, 2)):
        work = tmp_path / f"np{np_}_threads{threads}"
        work.mkdir()
        write_data(atoms, work / "data.lmp")
        rows[np_ if threads == 1 else "threads"] = _forces_and_pe(work, f"{model} Ti O", np_=np_, threads=threads)
    # 2 threads: the same sums per centre in other chunks (exact in practice; 1e-12 allowed)
    assert abs(rows[1][0]["PotEng"] - rows["threads"][0]["PotEng"]) <= 1e-12 * abs(rows[1][0]["PotEng"])
    np.testing.assert_allclose(rows["threads"][1], rows[1][1], rtol=0, atol=1e-12)
    assert abs(rows[1][0]["PotEng"] - rows[2][0]["PotEng"]) <= 1e-10 * abs(rows[1][0]["PotEng"])
    assert abs(rows[1][0]["Press"] - rows[2][0]["Press"]) <= 1e-8 * max(1.0, abs(rows[1][0]["Press"]))
    np.testing.assert_allclose(rows[2][1], rows[1][1], rtol=0, atol=1e-10)


def test_error_model_without_metadata(tmp_path):
    write_data(ase.io.read(structure(1)), tmp_path / "data.lmp")
    save_model(tmp_path / "bare.pt", meta={})
    _, out = run_lammps(lammps_header("data.lmp", f"{tmp_path}/bare.pt Ti O") + "run 0\n", tmp_path, check=False)
    assert "bare.pt: TorchScript model lacks the extra file 'taylorann.json'" in out


def test_error_model_wrong_units_and_species(tmp_path):
    write_data(ase.io.read(structure(1)), tmp_path / "data.lmp")
    meta = {"format_version": 1, "species": ["Ti", "O"], "cutoff": RC, "units": "real", "reference_energies": {"Ti": 0.0, "O": 0.0}}
    save_model(tmp_path / "real.pt", meta=meta)
    _, out = run_lammps(lammps_header("data.lmp", f"{tmp_path}/real.pt Ti O") + "run 0\n", tmp_path, check=False)
    assert "real.pt: extra file taylorann.json: key 'units' must be \"metal\"" in out
    save_model(tmp_path / "model.pt")
    _, out = run_lammps(lammps_header("data.lmp", f"{tmp_path}/model.pt Ti Li") + "run 0\n", tmp_path, check=False)
    assert "species 'Li' of atom type 2 has no potential" in out
    _, out = run_lammps(lammps_header("data.lmp", f"{tmp_path}/model.pt {POTENTIAL[1]} Ti O") + "run 0\n", tmp_path, check=False)
    assert "a TorchScript model holds all species; give it alone" in out


def test_error_not_a_torchscript_file(tmp_path):
    write_data(ase.io.read(structure(1)), tmp_path / "data.lmp")
    (tmp_path / "junk.pt").write_text("not a zip archive")
    _, out = run_lammps(lammps_header("data.lmp", f"{tmp_path}/junk.pt Ti O") + "run 0\n", tmp_path, check=False)
    assert "junk.pt: not a loadable TorchScript model" in out
