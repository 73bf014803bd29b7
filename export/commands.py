"""The conversion commands of ``python -m export``."""

from __future__ import annotations

from pathlib import Path

from trainer.convert import write_nnascii


def _model_from_source(sources, legacy_angular: bool = False):
    sources = [str(s) for s in ([sources] if isinstance(sources, (str, Path)) else sources)]
    if all(s.endswith(".nn.ascii") for s in sources):
        from .loading import load_potential

        return load_potential(sources, legacy_angular=legacy_angular)
    if len(sources) != 1:
        raise ValueError(f"expected one run folder or checkpoint, or only .nn.ascii files; got {sources}")
    from trainer.checkpoint import load_model_from_run

    return load_model_from_run(sources[0])


def export_nnascii(source, output) -> list[Path]:
    return write_nnascii(_model_from_source(source), output)


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
    print(f"compile      : gfortran -c -O2 -fopenmp -I<tinker>/source {sources}/taylorann_tinker.f90 "
          f"{sources}/extra.f {sources}/extra1.f {sources}/extra3.f {sources}/kextra.f")
    print("link line    : gfortran -fopenmp -o dynamic.x dynamic.o taylorann_tinker.o extra.o extra1.o "
          f"extra3.o kextra.o libtinker.a -lfftw3_threads -lfftw3 -L{lib.parent} -Wl,-rpath,{lib.parent} "
          "-ltaylorann")
