"""Where the compiled parts of taylorann live after ``pip install .``.

The C++ core library, the LAMMPS plugin and the Tinker interface sources are
installed inside this package.  When Python imports ``export`` from a source
checkout (tests run from the repository root) the binaries are not next to the
sources, so the installed distribution's file list is consulted as a fallback.

``TAYLORANN_BUILD_DIR`` (a CMake build folder holding ``libtaylorann.so`` and
``taylorannplugin.so``) takes precedence over both: the sanitizer job (``.ci/sanitize``) runs
the tests against its instrumented build that way.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "export"  # installed as export/lib, export/plugins
PLUGIN_NAME = "taylorannplugin.so"
CORE_LIBRARY_NAME = "libtaylorann.so"


def _installed(relative: str) -> Path | None:
    """Locate ``export/<relative>`` in the installed taylorann distribution."""
    try:
        files = importlib.metadata.files("taylorann") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    wanted = "export/" + relative
    for entry in files:
        if str(entry).replace("\\", "/").endswith(wanted):
            path = Path(entry.locate()).resolve()
            if path.exists():
                return path
    return None


def _find(relative: str) -> Path:
    build = os.environ.get("TAYLORANN_BUILD_DIR")
    if build and relative.endswith(".so"):
        path = Path(build) / Path(relative).name
        if not path.exists():
            raise FileNotFoundError(f"TAYLORANN_BUILD_DIR={build}: no {Path(relative).name} there")
        return path.resolve()
    local = _PACKAGE_DIR / relative
    if local.exists():
        return local
    found = _installed(relative)
    if found is None:
        raise FileNotFoundError(
            f"taylorann binary 'export/{relative}' not found next to {_PACKAGE_DIR} nor in the "
            "installed distribution; run 'pip install .' in the repository root"
        )
    return found


def plugin_path() -> Path:
    """Full path of the LAMMPS plugin shared object."""
    return _find("plugins/" + PLUGIN_NAME)


def plugin_dir() -> str:
    """Entry point of group ``lammps.plugins``: the folder holding ``taylorannplugin.so``."""
    return str(plugin_path().parent)


def core_library() -> Path:
    """Full path of ``libtaylorann.so`` (the C API used by LAMMPS, Tinker and tests)."""
    return _find("lib/" + CORE_LIBRARY_NAME)


def include_dir() -> Path:
    """Folder holding ``taylorann/c_api.h``."""
    return _find("include/taylorann/c_api.h").parent.parent


def tinker_dir() -> Path:
    """Folder holding the Tinker interface sources (Fortran module and hook drop-ins)."""
    return _find("tinker/taylorann_tinker.f90").parent
