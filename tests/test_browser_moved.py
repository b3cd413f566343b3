"""The review page of an alignment with moved links, in headless Chromium: the moved pairs
say where the English has them, the "only moved" filter shows them alone (and keeps doing so
through the page's other filters), and the page's scripts run under its CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from tests.browsers import open_page, page_state, press
from tests.modelfactory import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DATA = Path(__file__).parent / "data"
KONTAN = ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt"


def _moved_page(tmp_path: Path) -> Path:
    result = CliRunner().invoke(
        app,
        [
            "align",
            str(KONTAN),
            str(DATA / "kontan.moved.en.txt"),
            "--bridge",
            str(DATA / "kontan.bridge.txt"),
            "--out",
            str(tmp_path),
            "--format",
            "html",
        ],
    )
    assert result.exit_code == 0, result.stderr
    return tmp_path / f"{KONTAN.stem}.html"


def _moved_rows(driver: Any) -> list[dict[str, str]]:
    return driver.execute_script(  # type: ignore[no-any-return]
        """
        return Array.from(document.querySelectorAll("tr.moved")).map(r => ({
          id: r.dataset.id,
          source: r.querySelector("td.n").textContent,
          from: r.querySelector(".from").textContent,
          shown: r.offsetParent !== null,
        }));
        """
    )


def test_moved_pairs_are_shown_and_filtered(browser: Any, tmp_path: Path) -> None:
    open_page(browser, _moved_page(tmp_path))  # waits for review.js: its CSP hash holds
    moved = _moved_rows(browser)
    assert [(m["source"], m["from"]) for m in moved] == [
        ("11", "from English #3"),
        ("12", "from English #4"),
        ("13", "from English #5"),
    ]
    assert all(m["shown"] for m in moved)
    everything = page_state(browser)["shown"]
    assert len(everything) > 3

    browser.find_element("id", "only-moved").click()
    assert page_state(browser)["shown"] == [m["id"] for m in moved]
    press(browser, "j")  # navigation stays among the moved pairs
    press(browser, "j")
    assert page_state(browser)["current"] == moved[1]["id"]
    press(browser, "f")  # the flagged filter on and off again keeps "only moved"
    press(browser, "f")
    assert page_state(browser)["shown"] == [m["id"] for m in moved]
    press(browser, "/")
    press(browser, "Polls")
    assert page_state(browser)["shown"] == [moved[1]["id"]]
    browser.find_element("id", "search").clear()
    browser.find_element("id", "only-moved").click()
    assert page_state(browser)["shown"] == everything
    errors = [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert errors == []
