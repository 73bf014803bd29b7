"""A seeded, bounded fuzz run in CI (#15): 200 damaged `.nn.ascii`, XSF and YAML files through
predict (both readers), lammps-data, lmp and the trainer; no crash, hang, traceback, unclear
message, disagreement or accepted-and-wrong result.  The long run is
``python tests/fuzz_inputs.py --mutants 10000``."""

from __future__ import annotations

import os

from fuzz_inputs import FAILURES, Result, classify_cli, fuzz, run_forked


def test_fuzzed_inputs_are_refused_clearly_or_provably_harmless():
    report = fuzz(200, seed=int(os.environ.get("TAYLORANN_FUZZ_SEED", "15")), lmp_fraction=0.15)
    assert report["failures"] == [], report["failures"][:5]
    total = report["total"]
    assert total.get("refused", 0) > 100 and total.get("accepted-same", 0) + total.get("accepted-valid", 0) > 20
    assert set(total) <= {"refused", "accepted-same", "accepted-valid"} | set(FAILURES)


def test_the_harness_sees_tracebacks_crashes_hangs_and_unclear_messages(tmp_path):
    """The classifier must be able to fail: each bad outcome is recognised as such."""

    def raises(argv):
        raise RuntimeError("boom")

    def crashes(argv):
        os.kill(os.getpid(), 11)

    def hangs(argv):
        while True:
            pass

    def vague(argv):
        import sys

        print("error: something\nwent wrong", file=sys.stderr)
        return 2

    def clear(argv):
        import sys

        print(f"error: {argv[0]}: line 3: expected a number, found 'x'", file=sys.stderr)
        return 2

    target = tmp_path / "file.xsf"
    assert classify_cli(run_forked(raises, [], tmp_path, 10), [target]) == "traceback"
    assert classify_cli(run_forked(crashes, [], tmp_path, 10), [target]) == "crash"
    assert classify_cli(run_forked(hangs, [], tmp_path, 0.5), [target]) == "hang"
    assert classify_cli(run_forked(vague, [], tmp_path, 10), [target]) == "unclear"
    assert classify_cli(run_forked(clear, [str(target)], tmp_path, 10), [target]) == "refused"
    assert classify_cli(Result(0, "", "", "ran"), [target]) == "accepted"
