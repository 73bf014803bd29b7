"""ænet's five activation functions in Python and C++ against the spec's formulas, and the
ASE calculator (energy, forces, stress) against predict and finite differences."""

import ctypes

import numpy as np
import pytest
import torch

from conftest import POTENTIAL, TIO2, write_random_potential
from trainer.network import ACTIVATION_CODES, activate

A, B, C = 1.7159, 0.666666666666667, 0.1  # AENET_FORMAT.md §3.3
FORMULAS = {
    0: lambda z: z,
    1: np.tanh,
    2: lambda z: 1 / (1 + np.exp(-z)),
    3: lambda z: A * np.tanh(B * z),
    4: lambda z: A * np.tanh(B * z) + C * z,
}


@pytest.mark.parametrize("code", sorted(FORMULAS))
def test_activation_matches_spec_and_its_derivative_is_exact(code):
    z = torch.linspace(-4, 4, 41, dtype=torch.float64, requires_grad=True)
    assert np.allclose(activate(z, code).detach().numpy(), FORMULAS[code](z.detach().numpy()), rtol=0, atol=1e-15)
    assert torch.autograd.gradcheck(lambda x: activate(x, code), (z,))


def _random_potential(tmp_path, activation):
    return write_random_potential(
        tmp_path, {"radial_cutoff": 5.0, "radial_order": 8, "angular_cutoff": 3.5, "angular_order": 3}, {"hidden": [7, 4], "activation": activation}
    )


@pytest.mark.parametrize("activation", sorted(ACTIVATION_CODES))
def test_python_and_cpp_agree_for_every_activation(tmp_path, activation, tio2_structures):
    from trainer.binaries import core_library
    from export.loading import load_potential
    from trainer.evaluate import predict

    model, paths = _random_potential(tmp_path, activation)
    reloaded = load_potential([str(p) for p in paths])
    s = tio2_structures["structure-002.xsf"]
    ref = predict(model, s, forces=True)
    again = predict(reloaded, s, forces=True)
    assert abs(again.energy - ref.energy) <= 1e-10 and np.abs(again.forces - ref.forces).max() <= 1e-10

    lib = ctypes.CDLL(str(core_library()))
    lib.taylorann_last_error.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    names = (ctypes.c_char_p * 2)(*(str(p).encode() for p in paths))
    assert lib.taylorann_create(names, 2, 0, ctypes.byref(handle)) == 0, lib.taylorann_last_error()
    x = np.ascontiguousarray(s.positions)
    species = np.array([0 if e == "Ti" else 1 for e in s.species], dtype=np.int32)
    cell = np.ascontiguousarray(s.cell)
    energy = ctypes.c_double()
    forces = np.zeros_like(x)
    DP = ctypes.POINTER(ctypes.c_double)
    status = lib.taylorann_compute_periodic(
        handle,
        len(x),
        x.ctypes.data_as(DP),
        species.ctypes.data_as(ctypes.POINTER(ctypes.c_int)),
        cell.ctypes.data_as(DP),
        None,
        ctypes.byref(energy),
        None,
        forces.ctypes.data_as(DP),
        None,
    )
    lib.taylorann_destroy.restype = None
    lib.taylorann_destroy(handle)
    assert status == 0
    assert abs(energy.value - ref.energy) <= 1e-8 and np.abs(forces - ref.forces).max() <= 1e-8


def test_ase_calculator_energy_forces_stress():
    import ase.io

    from export.calculator import TaylorannCalculator

    atoms = ase.io.read(TIO2 / "structure-002.xsf")
    atoms.calc = TaylorannCalculator(potential=[str(p) for p in POTENTIAL])
    assert abs(atoms.get_potential_energy() - (-39038.49118938)) < 1e-6  # ænet predict.out
    assert abs(atoms.get_potential_energies().sum() - atoms.get_potential_energy()) < 1e-8
    numerical = atoms.calc.calculate_numerical_stress(atoms, d=1e-5)
    assert np.abs(atoms.get_stress() - numerical).max() < 1e-6
    forces = atoms.get_forces()
    atoms.positions[3, 1] += 1e-5
    ep = atoms.get_potential_energy()
    atoms.positions[3, 1] -= 2e-5
    em = atoms.get_potential_energy()
    assert abs(-(ep - em) / 2e-5 - forces[3, 1]) < 1e-5
