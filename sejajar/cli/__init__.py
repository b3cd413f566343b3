"""The ``sejajar`` command: a thin layer over the library, one module per command group.
Library errors become one ``Error: ...`` line on stderr and a non-zero exit, never a traceback.

Exit codes: 0 success, 1 an input or the job failed, 2 a usage error, 130 Ctrl-C, 143 SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from sejajar.cli import align, calibrate, corpus, evaluate, review, serve, translate
from sejajar.cli.common import app

__all__ = [
    "align",
    "app",
    "calibrate",
    "corpus",
    "evaluate",
    "main",
    "review",
    "serve",
    "translate",
]


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM, raised where the program is so that pending temporary files are
    cleaned up. Not a KeyboardInterrupt: click would swallow that one silently."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Entry point. Ctrl-C and SIGTERM end cleanly (exit 130 and 143): every output already
    written is complete, the one being written is not left half-done. A bug still ends in one
    line (SEJAJAR_DEBUG=1 shows the traceback)."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except Interrupted as stop:
        what = "interrupted" if stop.signum == signal.SIGINT else "terminated"
        typer.echo(f"Error: {what}; outputs written so far are complete", err=True)
        sys.exit(128 + stop.signum)
    except Exception as exc:
        if os.environ.get("SEJAJAR_DEBUG") == "1":
            raise
        typer.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (a bug in sejajar; "
            "SEJAJAR_DEBUG=1 shows where)",
            err=True,
        )
        sys.exit(1)
