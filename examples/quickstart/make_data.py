"""Write a LAMMPS data file (atom_style atomic, types in the given species order) from any structure file.

    python examples/quickstart/make_data.py tests/data/tio2-aenet/structure-001.xsf tio2.data Ti O
"""

import sys

import ase.io

if __name__ == "__main__":
    source, target, *species = sys.argv[1:]
    atoms = ase.io.read(source)
    ase.io.write(target, atoms, format="lammps-data", specorder=species, masses=True, atom_style="atomic")
    print(f"wrote {target}: {len(atoms)} atoms, types {' '.join(f'{k + 1}={s}' for k, s in enumerate(species))}")
