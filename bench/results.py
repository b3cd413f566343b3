"""What every bench shares on its command line: ``--smoke``, a run at tiny sizes that shows
the bench still works (the test command runs each one so, ``tests/test_bench.py``; its
figures mean nothing), and ``--json``, which also writes the run to
``bench/results/NAME-CPU-TIME.json``: the bench, the CPU kind and core count, the time, the
arguments and every line the run printed (its figure rows)."""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any, TextIO

RESULTS = Path(__file__).resolve().parent / "results"


def options(parser: argparse.ArgumentParser, smoke: dict[str, Any]) -> None:
    """Add ``--smoke`` (the given argument values replace the parsed ones) and ``--json``."""
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench run?")
    parser.add_argument("--json", action="store_true", help="also write bench/results/*.json")
    parser.set_defaults(smoke_values=smoke)


def cpu_kind() -> str:
    """The CPU's model name (what a figure depends on most), or the platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class _Tee(io.StringIO):
    """Keeps what is written and passes it on."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text)
        return super().write(text)

    def flush(self) -> None:
        self.out.flush()


@contextmanager
def recorded(name: str, args: argparse.Namespace) -> Iterator[None]:
    """Run the bench's body: at the smoke sizes with ``--smoke``, and written to a JSON file
    of ``bench/results/`` when it ends well with ``--json``."""
    if args.smoke:
        for key, value in args.smoke_values.items():
            setattr(args, key, value)
    if not args.json:
        yield
        return
    started = time.gmtime()
    tee = _Tee(sys.stdout)
    with redirect_stdout(tee):
        yield
    cpu = cpu_kind()
    record = {
        "bench": name,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", started),
        "argv": sys.argv[1:],
        "smoke": args.smoke,
        "lines": tee.getvalue().splitlines(),
    }
    slug = re.sub(r"[^a-z0-9]+", "-", cpu.lower()).strip("-")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{slug}-{time.strftime('%Y%m%dT%H%M%SZ', started)}.json"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", "utf-8")
    temporary.replace(path)
    print(f"results: {path.relative_to(RESULTS.parent.parent)}", file=sys.stderr)
