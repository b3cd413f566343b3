"""The one table of output formats (page, review, release: names, suffixes, renderers) and the
flag names ``export --drop-flag`` checks against."""

from __future__ import annotations

from pathlib import Path

import pytest

from sejajar.core.records import FLAG_NAMES, Flag
from sejajar.jobs.files import JobError, is_output_name
from sejajar.jobs.formats import PAGE, RELEASE, REVIEW, Formats
from sejajar.jobs.release import ReleaseOptions
from tests.helpers import ROOT, run


@pytest.mark.parametrize("formats", [PAGE, REVIEW, RELEASE], ids=["page", "review", "release"])
def test_every_renderer_of_the_table_loads(formats: Formats[object]) -> None:
    for file in formats.files(formats.names):
        assert callable(file.load()) or hasattr(file.load(), "row"), file.renderer


@pytest.mark.parametrize(
    ("command", "formats"),
    [("translate x", PAGE), ("align x y", PAGE), ("apply-review x", REVIEW), ("export x", RELEASE)],
)
def test_commands_offer_the_tables_formats(command: str, formats: Formats[object]) -> None:
    name, *inputs = command.split()
    code, out, _ = run(name, "--help")
    assert code == 0
    assert formats.help().removesuffix(".") in " ".join(out.replace("│", " ").split())
    code, _, err = run(name, *inputs, "--format", "docx")
    assert (code, err) == (2, f"Error: --format: unknown format docx; choose from "
                               f"{', '.join(formats.names)}\n")  # fmt: skip


def test_outputs_are_told_from_articles_by_the_tables_suffixes() -> None:
    for suffix in PAGE.suffixes + REVIEW.suffixes:
        assert is_output_name(f"kontan{suffix}")
    assert not is_output_name("kontan.txt")
    assert is_output_name("kontan.align.txt")


def test_drop_flag_takes_known_flags_only(tmp_path: Path) -> None:
    code, _, err = run("export", str(tmp_path), "--drop-flag", "names, lenght-cap")
    assert (code, err) == (
        2,
        f"Error: --drop-flag: unknown flag lenght-cap; choose from {', '.join(FLAG_NAMES)}\n",
    )
    # Known names pass: the command goes on to the corpus (here no pair files at all).
    code, _, err = run("export", str(tmp_path), "--drop-flag", "names,length-cap")
    assert (code, err) == (1, f"Error: {tmp_path}: no .parquet files of pairs\n")
    with pytest.raises(JobError, match="unknown flag moved-block; choose from length-ratio, "):
        ReleaseOptions(drop_flags=frozenset({"names", "moved-block"}))  # the Python API too


def test_every_flag_is_in_the_table_and_documented() -> None:
    with pytest.raises(ValueError, match="unknown flag 'lenght-cap'"):
        Flag("lenght-cap", "a typo")
    outputs = (ROOT / "docs" / "outputs.md").read_text("utf-8")
    assert [n for n in FLAG_NAMES if f"`{n}`" not in outputs] == []
