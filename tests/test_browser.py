"""The review page in real headless Chromium (Debian's chromium + chromium-driver), driven
with the keyboard as a reviewer would: navigate, accept, reject, edit, filter, reload, export,
and apply the exported decisions; and a hostile article whose markup must never run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate.split import split_document
from tests.browsers import BRIDGE, download, open_page, page_state, press, write_page
from tests.helpers import KONTAN

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_review_with_the_keyboard_then_export_and_apply(browser: Any, tmp_path: Path) -> None:
    text = KONTAN.read_text("utf-8")
    doc = split_document("kontan", text)
    english = BRIDGE.read_text("utf-8").splitlines()
    table = {s.text: e for s, e in zip(doc.segments, english, strict=True)}
    # One wrong number: the only pair the flags should point at.
    wrong = doc.segments[2].text
    table[wrong] = table[wrong].replace("(26/4/2023)", "(26/4/2022)")
    page = write_page(tmp_path, text, table, "kontan")
    open_page(browser, page)
    state = page_state(browser)
    pairs = state["ids"]  # in page order
    assert state["counter"] == f"0 / {len(pairs)} reviewed" and len(pairs) == 12

    press(browser, "j")
    assert page_state(browser)["current"] == pairs[0]
    press(browser, "a")
    press(browser, "j")
    press(browser, "r")
    press(browser, "k")
    assert page_state(browser)["current"] == pairs[0]
    press(browser, "n")  # next flagged: the corrupted date
    flagged = page_state(browser)["current"]
    assert flagged == pairs[1]
    press(browser, "u")  # undo the rejection, then fix the English in place
    press(browser, "e")
    press(browser, "the United States on Wednesday (26/4/2023) promised more insight.\n")
    state = page_state(browser)
    assert state["counter"] == f"2 / {len(pairs)} reviewed"
    assert state["status"][pairs[0]] == "accepted" and state["status"][flagged] == "edited"

    press(browser, "f")  # only flagged rows stay visible
    assert page_state(browser)["shown"] == [flagged]
    press(browser, "f")
    press(browser, "/")
    press(browser, "Kim Jong Un")
    assert len(page_state(browser)["shown"]) == 1
    press(browser, "\n")
    browser.find_element("id", "search").clear()

    browser.refresh()  # decisions survive a reload
    open_page(browser, page)
    state = page_state(browser)
    assert state["counter"] == f"2 / {len(pairs)} reviewed" and state["status"][flagged] == "edited"

    exported = download(browser, "export-jsonl", "kontan.review.jsonl")
    records = [json.loads(line) for line in exported.read_text("utf-8").splitlines()]
    assert [r["decision"] for r in records[:3]] == ["accepted", "accepted", "pending"]
    assert records[1]["edited"] and records[1]["target"].startswith("the United States on")
    assert records[1]["original_target"] != records[1]["target"]
    tsv = download(browser, "export-tsv", "kontan.review.tsv")
    assert tsv.read_text("utf-8").splitlines()[1].split("\t")[0] == "accepted"

    result = CliRunner().invoke(
        app, ["apply-review", str(exported), "--out", str(tmp_path / "clean")]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("12 pairs: 2 accepted (1 edited), 0 rejected, 10 pending -> ")
    accepted = (tmp_path / "clean" / "kontan.accepted.tsv").read_text("utf-8").splitlines()
    assert len(accepted) == 2 and accepted[1].endswith("promised more insight.")
    root = ElementTree.parse(tmp_path / "clean" / "kontan.accepted.tmx").getroot()
    assert len(root.findall("body/tu")) == 2
    result = CliRunner().invoke(app, ["apply-review", str(tsv), "--out", str(tmp_path / "t")])
    assert result.exit_code == 0 and "2 accepted (0 edited)" in result.stdout


HOSTILE = """Berita <script>window.__pwned = 1</script> hari ini.
Foto <img src=x onerror="window.__pwned = 2"> presiden tiba.
Klik <a href="javascript:window.__pwned = 3">tautan</a> ini.
Teks "></td></tr></table><script>window.__pwned = 4</script> selesai.
Data </script><script>window.__pwned = 5</script> juga.
"""


def test_a_hostile_article_runs_nothing(browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    # The "translation" copies the source: the hostile text is on both sides and in the data.
    page = write_page(tmp_path, HOSTILE, {}, "hostile")
    open_page(browser, page)
    assert browser.execute_script("return window.__pwned") is None
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('tr.pair td[lang=id]')).map(c => c.textContent)"
    )
    assert cells[0] == "Berita <script>window.__pwned = 1</script> hari ini."
    assert any('onerror="window.__pwned = 2"' in c for c in cells)
    assert browser.execute_script("return document.querySelectorAll('img, a[href]').length") == 0
    press(browser, "ja")
    press(browser, "e")
    press(browser, "\n")
    exported = download(browser, "export-jsonl", "hostile.review.jsonl")
    first = json.loads(exported.read_text("utf-8").splitlines()[0])
    assert first["source"] == "Berita <script>window.__pwned = 1</script> hari ini."
    assert browser.execute_script("return window.__pwned") is None
