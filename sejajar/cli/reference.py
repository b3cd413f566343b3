"""The command reference, ``docs/commands.md``, rendered from each command's ``--help``.

``python -m sejajar.cli.reference docs/commands.md`` rewrites the file; tests/test_docs.py
renders it again and fails when the file differs, so an option added or changed without
regenerating the reference fails the test command (as sqlite-utils does with cog).

The help is click's plain text, not typer's rich panels, at a fixed width: the same on every
terminal, and readable in a fenced block.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from sejajar.cli import app
from sejajar.core.files import write_atomic

WIDTH = 100
# The order a reader meets the commands in; a command not named here follows, in the order
# the program registers it, so a new command is never left out.
ORDER = (
    "translate",
    "split",
    "evaluate",
    "align",
    "score-align",
    "apply-review",
    "corpus",
    "export",
    "calibrate",
    "serve",
    "review",
)
# The guide page of each command (optional: a command without one still gets its section).
GUIDES = {
    "translate": "translate.md",
    "split": "translate.md",
    "evaluate": "evaluate.md",
    "align": "align.md",
    "score-align": "align.md",
    "apply-review": "review.md",
    "corpus": "corpus.md",
    "export": "corpus.md",
    "serve": "serve.md",
    "review": "review.md",
}
HEADER = """\
# Command reference

Generated from each command's `--help` by `python -m sejajar.cli.reference docs/commands.md`;
do not edit by hand. `tests/test_docs.py` renders it again and fails when this file differs.
The [README](../README.md) has an example of each command; the guides linked below say how
each one behaves.
"""


def _help(command: Any, name: str, parent: Any = None) -> str:
    """``command``'s ``--help`` as plain text, ``WIDTH`` columns wide."""
    command.rich_markup_mode = None  # click's formatter, not rich panels (a copy: see commands)
    context = command.context_class(
        command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
    )
    return str(command.get_help(context))


def commands() -> tuple[str, dict[str, str]]:
    """The program's help, and each command's help by name, in reference order; a group's
    commands follow it, named with it (``review init``)."""
    group: Any = typer.main.get_command(app)  # a fresh click command, changed at will
    top = _help(group, "sejajar")
    context = group.context_class(group, info_name="sejajar")
    known = list(group.commands)
    names = [n for n in ORDER if n in known] + [n for n in known if n not in ORDER]
    helps = {}
    for name in names:
        command = group.commands[name]
        helps[name] = _help(command, name, context)
        for sub, subcommand in getattr(command, "commands", {}).items():
            inner = command.context_class(command, info_name=name, parent=context)
            helps[f"{name} {sub}"] = _help(subcommand, sub, inner)
    return top, helps


def render() -> str:
    """The whole reference, as Markdown."""
    top, helps = commands()
    parts = [HEADER, "## sejajar\n", _block(top)]
    for name, text in helps.items():
        guide = GUIDES.get(name.split()[0])
        parts.append(f"### sejajar {name}\n")
        if guide:
            parts.append(f"Guide: [{guide}]({guide}).\n")
        parts.append(_block(text))
    return "\n".join(parts)


def _block(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "```text\n" + "\n".join(lines) + "\n```\n"


def main(argv: list[str]) -> int:
    """Write the reference to the path given, or print it."""
    text = render()
    if len(argv) > 1:
        write_atomic(Path(argv[1]), text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
