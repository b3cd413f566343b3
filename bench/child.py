"""Running a bench in a process of its own: the parent runs ``python -m bench.NAME ARGS`` and
reads back the figures the child printed as JSON on its last line of output (so that a
system's peak memory, threads and imports are its own). One protocol for every bench."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from tests.modelfactory import ROOT


class ChildFailed(SystemExit):
    """The child exited with an error; the message ends with the tail of its stderr. Uncaught,
    it ends the bench with that message (a ``SystemExit``), as a failed system should."""


def run_child(module: str, args: Sequence[str], env: Mapping[str, str] | None = None) -> Any:
    """``python -m MODULE ARGS`` from the repository's root; the JSON of its last line."""
    cmd = [sys.executable, "-m", module, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise ChildFailed(f"{' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(figures: Any) -> None:
    """The child's side: its figures, as the last line of its output."""
    print(json.dumps(figures), flush=True)
