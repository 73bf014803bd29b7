"""examples/lmnto/generate_md_set.py's sharing between workers: a segment claimed by one
process is skipped by another, and provenance.json keeps every worker's records."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "examples" / "lmnto"))
import generate_md_set as gen  # noqa: E402


def test_segment_claim_is_exclusive_until_released(tmp_path):
    path = tmp_path / "seg_007.extxyz.gz"
    first = gen.claim(path)
    assert first is not None and (tmp_path / "seg_007.lock").exists()
    assert gen.claim(path) is None  # a second open file description cannot take the lock
    # nor can another process
    here = str(ROOT / "examples" / "lmnto")
    probe = f"import sys, pathlib; sys.path.insert(0, {here!r}); import generate_md_set as g; print(g.claim(pathlib.Path({str(path)!r})) is None)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "True"
    first.close()
    again = gen.claim(path)
    assert again is not None
    again.close()


def test_provenance_records_of_two_workers_are_merged(tmp_path):
    prov = tmp_path / "provenance.json"
    fresh = {"seed": 4000, "segments": {}}
    gen.record(prov, fresh, "seg_000.extxyz.gz", {"index": 0})
    # a second worker that started from its own (older) copy still adds, never replaces
    gen.record(prov, {"seed": 4000, "segments": {}}, "seg_001.extxyz.gz", {"index": 1})
    doc = json.loads(prov.read_text())
    assert doc["seed"] == 4000 and doc["segments"] == {"seg_000.extxyz.gz": {"index": 0}, "seg_001.extxyz.gz": {"index": 1}}
