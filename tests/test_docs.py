"""README.md is the contract with a newcomer: its commands exist, CI runs its test command."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from sejajar.cli import app
from tests.modelfactory import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _code_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```\n(.*?)```", README, re.DOTALL)]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _code_blocks()[1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test_command in ci.splitlines()


def test_every_command_and_option_is_documented() -> None:
    runner = CliRunner()
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    assert names
    for name in names:
        assert f"### `sejajar {name}" in README
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        options = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help"}
        assert options, name
        for option in options:
            assert f"`{option}" in README, f"{name} {option} is not in README.md"
