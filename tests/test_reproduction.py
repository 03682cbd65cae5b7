"""Same numbers on every machine of this kind: the quick configuration's artefacts, rerun by the
end-to-end Snakemake workspace, must match the committed SHA-256 of every file bit for bit when the
environment is the one that produced them (same lock, same torch build, same CPU capability and
thread counts: ganpriors.environment.compare says "bitwise"). Regenerate the expected files with
`python tests/expected/regenerate.py WORKSPACE` after a change that alters results on purpose."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT, needs_dataset

EXPECTED = ROOT / "tests" / "expected"
sys.path.insert(0, str(EXPECTED))
from regenerate import artefact_hashes, stage_environment  # noqa: E402

pytestmark = [pytest.mark.e2e, needs_dataset]


def test_quick_artefacts_match_the_committed_hashes(snakemake_workspace):
    from ganpriors.environment import compare

    # The environments that ran the stages (recorded in an artefact), not this test process's: a
    # test that calls the CLI in-process sets the BLAS thread variables of this one.
    recorded = json.loads((EXPECTED / "quick-environment.json").read_text())
    verdict, reasons = compare(recorded, stage_environment(snakemake_workspace))
    if verdict != "bitwise":
        pytest.skip(f"environment is {verdict!r} against the one that produced tests/expected: {'; '.join(reasons)}")
    expected = dict(line.split("  ", 1)[::-1] for line in (EXPECTED / "quick.sha256").read_text().splitlines())
    actual = artefact_hashes(snakemake_workspace)
    assert set(actual) == set(expected), sorted(set(actual) ^ set(expected))
    different = sorted(p for p in expected if actual[p] != expected[p])
    assert not different, f"{len(different)} of {len(expected)} artefacts differ, e.g. {different[:5]}"
