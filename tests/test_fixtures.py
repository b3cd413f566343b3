"""The autouse fixtures of conftest.py do what they say: a test that changes torch's
process-wide settings leaves the next test torch as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

# Run in a pytest of its own, in this order: the first test changes every setting, the second
# finds each one as it was before the first.
SESSION = """
import torch

BEFORE = {}


def _now():
    return (torch.get_num_threads(), torch.backends.quantized.engine, torch.is_grad_enabled(),
            torch.get_default_dtype(), torch.rand(4).tolist())


def test_changes_everything():
    state = torch.get_rng_state()
    BEFORE["settings"] = _now()
    torch.set_rng_state(state)  # the draw in _now() is part of what is restored
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if threads > 1 else 2)
    engines = [e for e in torch.backends.quantized.supported_engines if e != "none"]
    torch.backends.quantized.engine = next(
        e for e in engines if e != torch.backends.quantized.engine
    )
    torch.set_grad_enabled(False)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(12345)
    assert _now() != BEFORE["settings"]


def test_finds_them_as_they_were():
    assert _now() == BEFORE["settings"]
"""


@pytest.mark.slow
def test_torch_settings_are_restored_after_each_test(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from tests.conftest import torch_settings  # noqa\n")
    (tmp_path / "test_session.py").write_text(SESSION)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    cmd += ["--rootdir", str(tmp_path), str(tmp_path / "test_session.py")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
