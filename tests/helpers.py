"""What several test modules share: sample paths, a CLI runner, a deterministic fake
translator and the ../shared guard. Fixtures live in conftest.py; plain helpers live here."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate.engines import ModelSettings
from sejajar.translate.translator import Translation, Translator
from tests.modelfactory import ROOT

TEXTS = ROOT / "texts"
KONTAN = TEXTS / "kontan-2023-04-26-us-south-korea.id.txt"
LIPUTAN = TEXTS / "liputan6-2016-10-20-us-south-korea.id.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"

GLOSSARY = {
    "amerika": "america",
    "serikat": "united",
    "korea": "korea",
    "selatan": "south",
    "utara": "north",
    "dan": "and",
    "di": "in",
    "yang": "which",
    "kata": "said",
    "presiden": "president",
    "harga": "price",
    "naik": "rises",
    "turun": "falls",
}


class FakeTranslator(Translator):
    """Word-by-word glossary lookup: deterministic, readable, and it records its batches."""

    def __init__(
        self,
        max_input_tokens: int = 512,
        batch_size: int = 4,
        signature: tuple[tuple[str, str], ...] = (
            ("model", "fake-glossary"),
            ("rev", "1"),
            ("beams", "1"),
        ),
    ) -> None:
        self.max_input_tokens = max_input_tokens
        self.batch_size = batch_size
        self.batches: list[list[str]] = []
        self._signature = signature

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return self._signature

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        self.batches.append(list(texts))
        return [Translation(" ".join(GLOSSARY.get(w.lower(), w) for w in t.split())) for t in texts]


def require_shared(what: str, path: Path) -> None:
    """Skip where ``../shared`` is absent; fail instead when SEJAJAR_REQUIRE_SHARED=1 (CI), so a
    green run cannot hide tests that never ran."""
    if path.exists():
        return
    if os.environ.get("SEJAJAR_REQUIRE_SHARED") == "1":
        pytest.fail(f"{what} is missing but SEJAJAR_REQUIRE_SHARED=1")
    pytest.skip(f"{what} is not here")


_runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    """Run ``sejajar ARGS...`` in this process: (exit code, stdout, stderr)."""
    result = _runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_process(model: Path | str, **settings: Any) -> ModelSettings:
    """The settings of ``model`` run in this process alone, uncalibrated (one worker, no
    timing at load), as a test of the model rather than of its layout wants it."""
    return ModelSettings(model=str(model), **{"workers": 1, "calibrate": False, **settings})


def paused_env(flag: Path, after: int) -> dict[str, str]:
    """The environment of a run that pauses once it has written ``after`` outputs
    (:mod:`sejajar.core.pause`): it creates ``flag`` and waits while ``flag`` exists."""
    return {**os.environ, "SEJAJAR_TEST_PAUSE": f"{after}:{flag}"}


def wait_for_pause(flag: Path, proc: subprocess.Popen[Any], timeout: float = 240) -> None:
    """Wait until ``proc``'s run is paused (``flag`` exists); fail if it ended before."""
    deadline = time.monotonic() + timeout
    while not flag.exists():
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before its pause"
        assert time.monotonic() < deadline, f"the run did not pause within {timeout} s"
        time.sleep(0.02)
