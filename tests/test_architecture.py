"""Imports go one way (README "Architecture"): the core layer of ``trainer`` (data, file
formats, descriptors, model, the C++ bridge) imports nothing above it, the training layer
only the core, and ``export`` (hosts and CLI) sits on top; nothing imports ``export``
except ``export`` itself. Every import counts, function-local ones too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CORE = {
    "errors",
    "atomic_io",
    "structures",
    "contract",
    "repulsion",
    "checks",
    "presets",
    "distributed",
    "xsf",
    "readers",
    "neighbours",
    "chebyshev",
    "behler",
    "network",
    "nnbinary",
    "model",
    "records",
    "nnascii",
    "convert",
    "explicit",
    "torchscript",
    "binaries",
    "native",
    "evaluate",
}
TRAINING = {
    "batch",
    "featurize",
    "dataset",
    "config",
    "build",
    "taylor",
    "objective",
    "metrics",
    "checkpoint",
    "plots",
    "loop",
    "committee",
    "archive",
    "cli",
    "__main__",
    "__init__",
}


def imported_modules(path: Path) -> set[tuple[str, str]]:
    """(package, module) pairs of the project imported by ``path``."""
    package = path.parent.name
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = (package, node.module.split(".")[0]) if node.module else None
                if base:
                    out.add(base)
                else:
                    out.update((package, a.name) for a in node.names)
            elif node.module and node.module.split(".")[0] in ("trainer", "export"):
                parts = node.module.split(".")
                if len(parts) > 1:
                    out.add((parts[0], parts[1]))
                else:
                    out.update((parts[0], a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] in ("trainer", "export"):
                    out.add((parts[0], parts[1] if len(parts) > 1 else "__init__"))
    return out


def test_every_trainer_module_has_a_layer():
    modules = {p.stem for p in (ROOT / "trainer").glob("*.py")}
    assert modules == CORE | TRAINING, "place new modules in CORE or TRAINING of this test (and the README)"


def test_imports_go_one_way():
    wrong = []
    for path in sorted((ROOT / "trainer").glob("*.py")):
        layer = "core" if path.stem in CORE else "training"
        for package, module in imported_modules(path):
            if package == "export":
                wrong.append(f"trainer/{path.name} imports export.{module}")
            elif layer == "core" and module in TRAINING:
                wrong.append(f"trainer/{path.name} (core) imports trainer.{module} (training)")
    for folder in ("examples", "benchmarks"):  # they run against the installed package
        for path in (ROOT / folder).rglob("*.py"):
            if "sys.path.insert" in path.read_text():
                wrong.append(f"{path.relative_to(ROOT)} edits sys.path")
    assert not wrong, "\n".join(wrong)
