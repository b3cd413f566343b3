"""A pause point for the tests of interrupted runs, and for nothing else: no user sets it.

``SEJAJAR_TEST_PAUSE=N:FILE`` stops a job once its process has written its N-th output (a
translate run's N-th document, a corpus actor's N-th shard): it creates FILE, then waits while
FILE exists. A test waits for FILE and so meets the run at a known point (exactly N outputs
written, its worker processes alive) instead of sleeping and hoping; it then interrupts the
run, or removes FILE to let it go on. Unset, it costs one look-up in the environment."""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "SEJAJAR_TEST_PAUSE"

# Outputs this process has written, counted only while ENV is set (by a test, in a child
# process of its own).
_written = [0]


def output_written() -> None:
    """Count one output written; pause here if it is the one ``SEJAJAR_TEST_PAUSE`` names."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    _written[0] += 1
    count, _, flag = spec.partition(":")
    if _written[0] != int(count):
        return
    path = Path(flag)
    path.touch()
    while path.exists():
        time.sleep(0.02)
