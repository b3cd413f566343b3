"""Where sejajar keeps what it makes for the user across runs (the translation cache, the
calibration, converted models): one folder, found the same way by every part that needs it."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_folder() -> Path:
    """``$XDG_CACHE_HOME/sejajar`` (``~/.cache/sejajar`` when unset or empty), read at each
    call so that a changed environment (a test's private cache) is followed. Not created."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sejajar"
