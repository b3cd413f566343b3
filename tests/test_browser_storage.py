"""Issue 14 in real headless Chromium: decisions stay with the page they were made on (all
file:// pages share one storage), and a full storage evicts other sejajar pages' decisions,
least recently used first, or else shows a lasting warning with an offer to export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate.split import split_document
from tests.browsers import BRIDGE, download, open_page, page_state, press, write_page
from tests.helpers import KONTAN

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _table(change: str = "") -> dict[str, str]:
    doc = split_document("kontan", KONTAN.read_text("utf-8"))
    english = BRIDGE.read_text("utf-8").splitlines()
    table = {s.text: e for s, e in zip(doc.segments, english, strict=True)}
    if change:  # another English version of the same article: one sentence differs
        first = doc.segments[1].text
        table[first] = change
    return table


def test_decisions_stay_with_their_page(browser: Any, tmp_path: Path) -> None:
    text = KONTAN.read_text("utf-8")
    first = write_page(tmp_path, text, _table(), "kontan")
    other = tmp_path / "other"
    other.mkdir()
    second = write_page(other, text, _table("A different English sentence."), "kontan")
    open_page(browser, first)
    press(browser, "ja")
    press(browser, "je")
    press(browser, "An edit made on the first page.\n")
    assert page_state(browser)["counter"].startswith("2 / ")
    exported = download(browser, "export-jsonl", "kontan.review.jsonl")
    kept = tmp_path / "first.review.jsonl"
    exported.rename(kept)

    open_page(browser, second)  # same source, same signature, other English: nothing carried over
    state = page_state(browser)
    assert state["counter"] == f"0 / {len(state['ids'])} reviewed"
    assert set(state["status"].values()) == {""}
    press(browser, "jjr")
    theirs = download(browser, "export-jsonl", "kontan.review.jsonl")
    assert all(
        json.loads(line)["decision"] != "accepted" for line in theirs.read_text().splitlines()
    )

    # Decisions of the two pages mixed in one file are refused, naming the line.
    mixed = tmp_path / "mixed.review.jsonl"
    mixed.write_text(kept.read_text() + theirs.read_text().splitlines(keepends=True)[0])
    result = CliRunner().invoke(app, ["apply-review", str(mixed), "--out", str(tmp_path)])
    lines = len(kept.read_text().splitlines())
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {mixed}: line {lines + 1}: document differs from line 1's:"
        " a review of another page\n",
    )


FILL = """
// Fill this origin's storage with key PREFIX + n, down to single characters.
const prefix = arguments[0];
let size = 1 << 20, n = 0;
while (size >= 1) {
  try { localStorage.setItem(prefix + n, "x".repeat(size)); n++; }
  catch (e) { size = Math.floor(size / 2); }
}
return n;
"""


def _storage(driver: Any) -> dict[str, int]:
    return driver.execute_script(
        "return Object.fromEntries(Object.keys(localStorage)"
        ".map(k => [k, localStorage.getItem(k).length]))"
    )


def _warning_shown(driver: Any) -> bool:
    return driver.execute_script(
        "const w = document.getElementById('storage-warning');"
        "return !!w && !w.hidden && w.offsetParent !== null"
    )


def test_full_storage_evicts_other_pages_oldest_first(browser: Any, tmp_path: Path) -> None:
    page = write_page(tmp_path, KONTAN.read_text("utf-8"), _table(), "kontan")
    open_page(browser, page)
    legacy, oldest, newer = "sejajar:" + "a" * 24, "sejajar:" + "b" * 32, "sejajar:" + "c" * 32
    browser.execute_script(
        """
        localStorage.setItem(arguments[0], "{}");  // a page from before the index: small
        localStorage.setItem(arguments[1], "x".repeat(1 << 20));
        localStorage.setItem(arguments[2], "x".repeat(1 << 20));
        localStorage.setItem("sejajar:index", JSON.stringify({[arguments[1]]: 1000, [arguments[2]]: 2000}));
        localStorage.setItem("unrelated", "another page's data, never touched");
        """,
        legacy,
        oldest,
        newer,
    )
    assert browser.execute_script(FILL, "filler-") > 0
    press(browser, "ja")
    stored = _storage(browser)
    key = browser.execute_script("return document.getElementById('pairs').dataset.storageKey")
    # The legacy page went first, it was not enough, then the least recently used one.
    assert legacy not in stored and oldest not in stored
    assert newer in stored and "unrelated" in stored
    assert json.loads(browser.execute_script("return localStorage.getItem(arguments[0])", key))
    index = json.loads(browser.execute_script("return localStorage.getItem('sejajar:index')"))
    assert set(index) == {newer, key} and index[key] > 2000
    assert not _warning_shown(browser)
    browser.refresh()
    open_page(browser, page)
    assert page_state(browser)["counter"].startswith("1 / ")


def test_full_storage_shows_a_lasting_warning_and_offers_export(
    browser: Any, tmp_path: Path
) -> None:
    page = write_page(tmp_path, KONTAN.read_text("utf-8"), _table(), "kontan")
    open_page(browser, page)
    assert not _warning_shown(browser)
    browser.execute_script(FILL, "other-app-")  # nothing of sejajar's to evict
    press(browser, "ja")
    assert _warning_shown(browser)
    press(browser, "jr")  # counting again must not hide it
    state = page_state(browser)
    assert state["counter"] == f"2 / {len(state['ids'])} reviewed" and _warning_shown(browser)
    text = browser.find_element("id", "storage-warning").text
    assert "cannot be saved" in text and "export them now" in text
    exported = download(browser, "export-now", "kontan.review.jsonl")
    decisions = [json.loads(line)["decision"] for line in exported.read_text().splitlines()]
    assert decisions[:3] == ["accepted", "rejected", "pending"]

    browser.execute_script(  # room again: the next save keeps everything, the warning goes
        "Object.keys(localStorage).filter(k => k.startsWith('other-app-'))"
        ".forEach(k => localStorage.removeItem(k))"
    )
    press(browser, "ja")
    assert not _warning_shown(browser)
    browser.refresh()
    open_page(browser, page)
    assert page_state(browser)["counter"] == f"3 / {len(state['ids'])} reviewed"


def test_the_same_page_in_two_tabs_keeps_both_tabs_decisions(browser: Any, tmp_path: Path) -> None:
    """Issue 25, item 3: each tab saving its whole map overwrote the other's decisions."""
    page = write_page(tmp_path, KONTAN.read_text("utf-8"), _table(), "kontan")
    open_page(browser, page)
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    open_page(browser, page)
    second = browser.current_window_handle
    browser.switch_to.window(first)
    press(browser, "ja")  # the first pair accepted in the first tab
    browser.switch_to.window(second)
    press(browser, "jjr")  # the second pair rejected in the second tab, which saw the first
    state = page_state(browser)
    assert state["counter"].startswith("2 / ")
    accepted, rejected = state["ids"][0], state["ids"][1]
    shown = state["status"]
    assert shown[accepted] and shown[rejected] and shown[accepted] != shown[rejected]
    assert browser.execute_script("return !document.getElementById('tabs-notice').hidden")
    browser.switch_to.window(first)  # the first tab shows the second's decision as it is made
    assert page_state(browser)["status"] == shown
    open_page(browser, page)  # and after a reload, both are there
    state = page_state(browser)
    assert state["counter"].startswith("2 / ")
    assert state["status"][accepted] != state["status"][rejected] != ""
    browser.switch_to.window(second)
    browser.close()
    browser.switch_to.window(first)
