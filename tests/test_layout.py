"""The layout's traps (issue 27): the folders translate/ and align/ load only as
``sejajar.translate`` and ``sejajar.align``, and docs/architecture.md, the one map of the
modules, names every module and only modules that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.modelfactory import ROOT

ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` from the repository's root, where translate/ and align/ are on
    sys.path under their folder names."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("module", "package"),
    [("translate.translator", "translate"), ("align.pipeline", "align"), ("align", "align")],
)
def test_the_folders_refuse_their_folder_names(module: str, package: str) -> None:
    done = _python(f"import {module}")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"ImportError: the folder {package}/ is sejajar's: import sejajar.{package}, not {package}"
    )


def test_the_installed_names_load_from_the_root() -> None:
    done = _python(
        "import sys; import sejajar.translate.translator, sejajar.align.pipeline;"
        "assert 'translate' not in sys.modules and 'align' not in sys.modules; print('ok')"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_translate_elsewhere_is_not_sejajars(tmp_path: Path) -> None:
    """Outside the repository ``translate`` is Translate Toolkit's (or nothing): the
    installed sejajar, editable or not, adds only the name ``sejajar``."""
    done = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; s = u.find_spec('translate');"
         "print(s.origin if s else '')"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert not done.stdout.strip().startswith(str(ROOT)), done.stdout


def _named_in_architecture() -> set[Path]:
    """The files and folders the module column of the map names. A bare ``name.py`` is in the
    folder of the path before it in the same cell (``sejajar/jobs/files.py``, ``translate.py``)."""
    named: set[Path] = set()
    for row in ARCHITECTURE.read_text("utf-8").splitlines():
        cells = row.split("|")
        if len(cells) < 4 or not cells[2].strip().startswith("`"):
            continue
        folder = ROOT
        for token in re.findall(r"`([^`]+)`", cells[2]):
            path = ROOT / token if "/" in token else folder / token
            folder = path if token.endswith("/") else path.parent
            named.add(path)
    return named


def _modules() -> list[Path]:
    """Every module of the package: sejajar/ (but its links) and the folders linked into it."""
    found = [
        path
        for top in ("sejajar", "translate", "align")
        for path in (ROOT / top).rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    ]
    assert len(found) > 60
    return found


def test_the_module_map_names_only_what_exists() -> None:
    named = _named_in_architecture()
    assert len(named) > 40
    missing = sorted(str(p.relative_to(ROOT)) for p in named if not p.exists())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_module_map_names_every_module() -> None:
    named = _named_in_architecture()
    folders = [p for p in named if p.is_dir()]
    left_out = sorted(
        str(path.relative_to(ROOT))
        for path in _modules()
        if path not in named and not any(folder in path.parents for folder in folders)
    )
    assert not left_out, f"add these to the table in docs/architecture.md: {left_out}"
