"""The benches still run: each one's ``--smoke`` (tiny sizes, figures meaningless) in a process
of its own, as ``python -m bench.NAME`` from the repository's root, printing its figure rows;
and ``--json`` writes the run, with the CPU kind, under bench/results/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import results
from tests.helpers import SHARED_DATA, require_shared
from tests.modelfactory import ROOT

pytestmark = pytest.mark.slow

# Bench, a line of its output's figure rows (a header or a row), and whether it reads
# ../shared/data/tico19. The benches of whole systems (speed, crawl, serve, corpus) load
# full-size models, servers or Ray: too slow for the test command; their --smoke is run by hand.
SMOKES = [
    ("split", r"split_to_fit, one unpunctuated line", False),
    ("glossary", r"entries  characters  build s  match s", False),
    ("flags", r"number_mismatch on N numbers", True),
    ("inputs", r'HTML "<a" x 16N', False),
    ("align", r"cost on one long document", True),
    ("memory", r"input MB  articles  sentences  seconds  peak MB", False),
    ("resume", r"outputs: 12 TSV files for 12 articles", False),
    ("terms", r"run  terms  sent/s  vs none  present", False),
    ("langid", r"sejajar (py3langid, rule)", True),
]


# The benches that keep a work folder (model, inputs, outputs) get one in the test's tmp_path.
WORK = {"memory", "resume"}


def _bench(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    # The tests' environment (a private cache, calibration off) goes to the bench.
    return subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip


@pytest.mark.parametrize(("name", "row", "shared"), SMOKES, ids=[s[0] for s in SMOKES])
def test_each_bench_runs_at_smoke_size(name: str, row: str, shared: bool, tmp_path: Path) -> None:
    if shared:
        require_shared("../shared/data/tico19", SHARED_DATA / "tico19")
    done = _bench(name, *(["--work", str(tmp_path / "work")] if name in WORK else []))
    assert done.returncode == 0, done.stderr[-3000:]
    assert row in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_json_holds_the_run_and_the_cpu_kind() -> None:
    before = set(results.RESULTS.glob("inputs-*.json"))
    done = _bench("inputs", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    (written,) = set(results.RESULTS.glob("inputs-*.json")) - before
    try:
        record = json.loads(written.read_text("utf-8"))
        assert record["bench"] == "inputs" and record["cpu"] == results.cpu_kind()
        assert record["cores"] == os.cpu_count() and record["smoke"] is True
        assert record["argv"] == ["--smoke", "--json"]
        assert record["lines"] == done.stdout.splitlines()
        assert written.name.startswith("inputs-") and record["time"][:4] in written.name
    finally:
        written.unlink()
    assert str(Path("bench", "results", written.name)) in done.stderr


def test_review_bench_loses_and_doubles_nothing_through_a_kill() -> None:
    """bench.review --smoke: 200 decisions through a kill -9 and restart of the server, on
    SQLite and PostgreSQL: every acknowledged decision stored, once."""
    done = _bench("review")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[2:]}
    assert set(rows) == {"sqlite", "postgresql"}, done.stdout
    for kind, row in rows.items():
        if kind == "postgresql" and row[0] == "unavailable:":
            if os.environ.get("SEJAJAR_REQUIRE_POSTGRES") == "1":
                pytest.fail(" ".join(row))
            continue
        acknowledged, stored, wrong, duplicates = map(int, row[:4])
        assert acknowledged == stored == 200 and wrong == duplicates == 0, done.stdout
