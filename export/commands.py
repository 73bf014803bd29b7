"""The conversion commands of ``python -m export``."""

from __future__ import annotations

from pathlib import Path


def _as_list(sources) -> list[str]:
    return [str(s) for s in ([sources] if isinstance(sources, (str, Path)) else sources)]


def _is_potential_file(source: str) -> bool:
    """A .nn.ascii file, or an ænet binary .nn file (told apart by content, not by name)."""
    from trainer.nnbinary import looks_binary

    path = Path(source)
    if not path.is_file():
        return False
    if source.endswith(".nn.ascii"):
        return True
    with open(path, "rb") as f:
        return looks_binary(f.read(12))


def _model_from_source(sources, legacy_angular: bool = False):
    sources = _as_list(sources)
    if all(_is_potential_file(s) for s in sources):
        from .loading import load_potential

        return load_potential(sources, legacy_angular=legacy_angular)
    if len(sources) != 1:
        raise ValueError(f"expected one run folder or checkpoint, or only potential files (.nn.ascii or binary .nn); got {sources}")
    from trainer.checkpoint import load_model_from_run

    return load_model_from_run(sources[0])


def _potentials(sources) -> list:
    """PotentialFile records: read as they are from potential files (every record kept), else
    made from the run's or checkpoint's model."""
    from trainer.convert import potentials_from_model
    from trainer.nnascii import read_potential

    sources = _as_list(sources)
    if all(_is_potential_file(s) for s in sources):
        return [read_potential(s) for s in sources]
    return potentials_from_model(_model_from_source(sources))


def _write_each(sources, output, suffix: str, write) -> list[Path]:
    written = []
    for pot in _potentials(sources):
        path = Path(output) / f"{pot.species}{suffix}"
        write(path, pot)
        written.append(path)
        print(f"wrote {path}")
    return written


def export_nnascii(sources, output) -> list[Path]:
    """``<El>.nn.ascii`` per species from a run, a checkpoint, or binary/ASCII potential files."""
    from trainer.nnascii import write_potential

    return _write_each(sources, output, ".nn.ascii", write_potential)


def export_nnbinary(sources, output) -> list[Path]:
    """ænet binary ``<El>.nn`` per species (what ænet 2.0.4's train.x writes and its predict.x,
    md.x, aenet-LAMMPS and aenet-Tinker read) from a run, a checkpoint or potential files."""
    from trainer.nnbinary import write_potential_binary

    return _write_each(sources, output, ".nn", write_potential_binary)


def export_torchscript(sources, output, legacy_angular: bool = False) -> Path:
    from trainer.torchscript import save_torchscript

    model = _model_from_source(sources, legacy_angular)
    save_torchscript(model, output)
    print(f"wrote {output} (species {' '.join(model.species)}, cut-off {model.cutoff} Å)")
    return Path(output)


def tinker_info() -> None:
    """Where the Tinker interface sources, the core library and its header are, and the
    compile/link lines a Tinker build needs (tinker_interface/README.md)."""
    from trainer.binaries import core_library, include_dir, tinker_dir

    lib = core_library()
    try:
        sources = tinker_dir()
    except FileNotFoundError:
        # a source checkout whose installed wheel predates the Tinker interface
        sources = Path(__file__).resolve().parents[1] / "tinker_interface"
        if not (sources / "taylorann_tinker.f90").is_file():
            raise
    print(f"core library : {lib}")
    print(f"C header     : {include_dir() / 'taylorann' / 'c_api.h'}")
    print(f"Tinker files : {sources}")
    print(
        f"compile      : gfortran -c -O2 -fopenmp -I<tinker>/source {sources}/taylorann_tinker.f90 "
        f"{sources}/extra.f {sources}/extra1.f {sources}/extra3.f {sources}/kextra.f"
    )
    print(
        "link line    : gfortran -fopenmp -o dynamic.x dynamic.o taylorann_tinker.o extra.o extra1.o "
        f"extra3.o kextra.o libtinker.a -lfftw3_threads -lfftw3 -L{lib.parent} -Wl,-rpath,{lib.parent} "
        "-ltaylorann"
    )
