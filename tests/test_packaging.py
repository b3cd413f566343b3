"""The built wheel installs under one name, ``sejajar``, beside Translate Toolkit (import name
``translate``): both work together, sejajar still works once the toolkit is gone, and the
toolkit's TMX reader loads sejajar's TMX."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.helpers import KONTAN, ROOT

pytestmark = pytest.mark.slow

GOLDEN_TMX = ROOT / "tests" / "golden" / "article.tmx"


def _run(*cmd: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _calling_site_dirs() -> list[str]:
    """The folders this interpreter installs packages into: a venv's own site-packages when the
    tests run from a venv, the system's (and the user's) when they run from a system install."""
    dirs = site.getsitepackages()
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def _see_calling_packages(python: Path, base: Path) -> None:
    """Let the new venv import what the calling environment has installed (torch, typer...:
    nothing is installed twice), after its own site-packages so that its sejajar wheel wins.
    Plain path lines in a ``.pth`` file: the calling environment's own ``.pth`` files (the
    editable install's finder among them) are not run, so the development copy stays out.
    ``system_site_packages`` is no substitute: it sees the base interpreter's packages, which
    are not the calling venv's."""
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base
    )
    pth = Path(purelib.strip()) / "_calling_environment.pth"
    pth.write_text("".join(f"{d}\n" for d in _calling_site_dirs()), "utf-8")


@pytest.fixture
def env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment (seeing the calling environment's packages) with the sejajar
    wheel and Translate Toolkit installed into it."""
    base = tmp_path_factory.mktemp("packaging")
    wheels = base / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT, cwd=base)
    wheel = next(wheels.glob("sejajar-*.whl"))
    venv.create(base / "venv", with_pip=True)
    python = base / "venv" / "bin" / "python"
    _see_calling_packages(python, base)
    install = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    try:
        _run(*install, "--no-deps", wheel, cwd=base)
        _run(*install, "translate-toolkit", cwd=base)
    except AssertionError as exc:
        if os.environ.get("SEJAJAR_REQUIRE_PACKAGING") == "1":
            raise
        pytest.skip(f"cannot install the wheel and translate-toolkit here: {exc}")
    return base / "venv" / "bin"


def test_wheel_and_translate_toolkit_work_side_by_side(env: Path, tmp_path: Path) -> None:
    # Run outside the repo: its translate/ folder must not be what `import translate` finds.
    assert _run(env / "sejajar", "--version", cwd=tmp_path) == "sejajar 0.1.0\n"
    where = _run(env / "python", "-c", "import sejajar; print(sejajar.__file__)", cwd=tmp_path)
    assert str(env.parent) in where, "the wheel's sejajar, not the development copy"
    units = _run(
        env / "python",
        "-c",
        "import sys; from translate.storage import tmx\n"
        "store = tmx.tmxfile(open(sys.argv[1], 'rb'))\n"
        "print(len(store.units)); print(store.units[0].source); print(store.units[0].target)",
        GOLDEN_TMX,
        cwd=tmp_path,
    ).splitlines()
    assert int(units[0]) > 3 and units[1].startswith("KONTAN.CO.ID - WASHINGTON.") and units[2]
    assert "KONTAN.CO.ID" in _run(env / "sejajar", "split", KONTAN, cwd=tmp_path)
    # The team review's migrations ship in the wheel.
    made = _run(
        env / "sejajar", "review", "init", "--db", f"sqlite:///{tmp_path}/r.db", cwd=tmp_path
    )
    assert made.endswith(": made at schema 0002\n")
    # Then without the toolkit (in this same test: the order of tests is random).
    _run(env / "python", "-m", "pip", "uninstall", "-y", "-q", "translate-toolkit", cwd=tmp_path)
    assert _run(env / "sejajar", "--version", cwd=tmp_path) == "sejajar 0.1.0\n"
    assert "KONTAN.CO.ID" in _run(env / "sejajar", "split", KONTAN, cwd=tmp_path)
