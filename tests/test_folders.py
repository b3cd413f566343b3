"""sejajar's user folder: one rule ($XDG_CACHE_HOME/sejajar, ~/.cache when unset) behind every
file it keeps there."""

from __future__ import annotations

from pathlib import Path

import pytest

from sejajar.core.folders import user_cache_folder
from sejajar.translate.cache import default_cache_path
from sejajar.translate.calibrate import calibration_path


@pytest.mark.parametrize("xdg", [None, ""])
def test_without_xdg_cache_home_the_folder_is_in_dot_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME")
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert user_cache_folder() == tmp_path / ".cache" / "sejajar"


def test_every_kept_file_is_in_the_one_user_folder(private_cache: Path) -> None:
    assert user_cache_folder() == private_cache / "sejajar"
    assert default_cache_path() == user_cache_folder() / "translations.sqlite"
    assert calibration_path() == user_cache_folder() / "calibration.json"
    assert not user_cache_folder().exists()  # asking for the folder never makes it
