"""The docs are the contract with a newcomer: README's commands exist and CI runs its test
command; docs/commands.md is the commands' own --help, so an option that is added or changed
without regenerating it fails; links between the pages lead somewhere."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.cli.reference import render
from tests.modelfactory import ROOT

README = (ROOT / "README.md").read_text("utf-8")
DOCS = ROOT / "docs"
REFERENCE = DOCS / "commands.md"


def _code_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```\n(.*?)```", README, re.DOTALL)]


def _command_names() -> list[str]:
    """Every command, a group's as ``GROUP COMMAND``."""
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    for group in app.registered_groups:
        typer_app = group.typer_instance
        assert typer_app is not None
        prefix = typer_app.info.name
        commands = typer_app.registered_commands
        names += [f"{prefix} {c.name or c.callback.__name__}" for c in commands if c.callback]
    assert names
    return names


def _sections(text: str) -> dict[str, str]:
    """The reference's text under each ``### sejajar NAME`` heading, by NAME."""
    parts = re.split(r"^### sejajar (\S+(?: \S+)?)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_readme_starts_with_install_and_run() -> None:
    assert _code_blocks()[0] == (
        "pip install torch==2.13.0 -e '.[dev]' && sejajar translate texts/*.txt --out out/"
    )


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _code_blocks()[1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test_command in ci.splitlines()


def test_the_command_reference_is_generated_from_help() -> None:
    assert REFERENCE.read_text("utf-8") == render(), (
        "docs/commands.md is out of date: python -m sejajar.cli.reference docs/commands.md"
    )


def test_every_command_and_option_is_documented() -> None:
    runner = CliRunner()
    sections = _sections(REFERENCE.read_text("utf-8"))
    for name in _command_names():
        assert name in sections, f"docs/commands.md has no '### sejajar {name}'"
        result = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"})
        options = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help"}
        assert options, name
        for option in options:
            assert re.search(rf"{option}(?![\w-])", sections[name]), (
                f"{name} {option} is not documented"
            )


def test_readme_has_an_example_of_every_command() -> None:
    examples = "\n".join(re.findall(r"```\n(.*?)```", README, re.DOTALL))
    for name in _command_names():
        assert re.search(rf"^(\S+=\S+ )*sejajar {name}\b", examples, re.MULTILINE), name


def test_links_between_pages_lead_somewhere() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_docs_name_no_issue_numbers() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        assert not re.search(r"\bissues? \d", page.read_text("utf-8")), page.name
