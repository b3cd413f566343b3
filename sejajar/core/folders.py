"""Where sejajar keeps what it makes for the user across runs: caches (the translation cache,
the calibration, converted models) in one folder, data the user cannot make again (the team
review database) in another, each found the same way by every part that needs it."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg_folder(variable: str, fallback: str) -> Path:
    """``$VARIABLE/sejajar`` (``~/FALLBACK/sejajar`` when unset or empty), read at each call so
    that a changed environment (a test's private folder) is followed. Not created."""
    base = os.environ.get(variable) or str(Path.home() / fallback)
    return Path(base) / "sejajar"


def user_cache_folder() -> Path:
    """``$XDG_CACHE_HOME/sejajar`` (``~/.cache/sejajar``): what can be made again."""
    return _xdg_folder("XDG_CACHE_HOME", ".cache")


def user_data_folder() -> Path:
    """``$XDG_DATA_HOME/sejajar`` (``~/.local/share/sejajar``): what cannot."""
    return _xdg_folder("XDG_DATA_HOME", ".local/share")
