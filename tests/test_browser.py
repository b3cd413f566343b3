"""The review page in real headless Chromium (Debian's chromium + chromium-driver), driven
with the keyboard as a reviewer would: navigate, accept, reject, edit, filter, reload, export,
and apply the exported decisions; and a hostile article whose markup must never run."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from sejajar.align.export.html import render_html
from sejajar.align.pipeline import translate_document
from sejajar.cli import app
from sejajar.translate.split import split_document
from sejajar.translate.translator import Translation, Translator
from tests.helpers import KONTAN

pytestmark = pytest.mark.browser
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
BRIDGE = Path(__file__).parent / "data" / "kontan.bridge.txt"


class ListTranslator(Translator):
    """Returns given translations: a real article paired with a careful translation."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return (("model", "reference-list"), ("rev", "1"))

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        return [Translation(self.table.get(t, t)) for t in texts]


def _driver(tmp_path: Path) -> Any:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("SEJAJAR_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromium-driver are required (SEJAJAR_REQUIRE_BROWSER=1)")
        pytest.skip("Debian chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    return driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = _driver(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


def _page(tmp_path: Path, text: str, table: dict[str, str], name: str) -> Path:
    doc = translate_document(split_document(name, text), ListTranslator(table))
    path = tmp_path / f"{name}.html"
    path.write_text(render_html(doc), "utf-8")
    return path


def _open(driver: Any, path: Path) -> None:
    driver.get(path.as_uri())
    deadline = time.monotonic() + 10
    while "ready" not in (driver.execute_script("return document.documentElement.className") or ""):
        assert time.monotonic() < deadline, "the page's script did not run (CSP hash?)"
        time.sleep(0.05)


def _keys(driver: Any, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def _state(driver: Any) -> dict[str, Any]:
    return driver.execute_script(
        """
        const current = document.querySelector("tr.current");
        return {
          current: current ? current.dataset.id : null,
          counter: document.getElementById("counter").textContent,
          ids: Array.from(document.querySelectorAll("tr.pair")).map(r => r.dataset.id),
          status: Object.fromEntries(Array.from(document.querySelectorAll("tr.pair"))
            .map(r => [r.dataset.id, r.querySelector("td.status").textContent])),
          shown: Array.from(document.querySelectorAll("tr.pair"))
            .filter(r => r.offsetParent !== null).map(r => r.dataset.id),
        };
        """
    )


def _download(driver: Any, button: str, name: str) -> Path:
    driver.find_element("id", button).click()
    target = driver.downloads / name
    deadline = time.monotonic() + 10
    while not target.exists():
        assert time.monotonic() < deadline, f"{name} was not downloaded"
        time.sleep(0.05)
    return target


def test_review_with_the_keyboard_then_export_and_apply(browser: Any, tmp_path: Path) -> None:
    text = KONTAN.read_text("utf-8")
    doc = split_document("kontan", text)
    english = BRIDGE.read_text("utf-8").splitlines()
    table = {s.text: e for s, e in zip(doc.segments, english, strict=True)}
    # One wrong number: the only pair the flags should point at.
    wrong = doc.segments[2].text
    table[wrong] = table[wrong].replace("(26/4/2023)", "(26/4/2022)")
    page = _page(tmp_path, text, table, "kontan")
    _open(browser, page)
    state = _state(browser)
    pairs = state["ids"]  # in page order
    assert state["counter"] == f"0 / {len(pairs)} reviewed" and len(pairs) == 12

    _keys(browser, "j")
    assert _state(browser)["current"] == pairs[0]
    _keys(browser, "a")
    _keys(browser, "j")
    _keys(browser, "r")
    _keys(browser, "k")
    assert _state(browser)["current"] == pairs[0]
    _keys(browser, "n")  # next flagged: the corrupted date
    flagged = _state(browser)["current"]
    assert flagged == pairs[1]
    _keys(browser, "u")  # undo the rejection, then fix the English in place
    _keys(browser, "e")
    _keys(browser, "the United States on Wednesday (26/4/2023) promised more insight.\n")
    state = _state(browser)
    assert state["counter"] == f"2 / {len(pairs)} reviewed"
    assert state["status"][pairs[0]] == "accepted" and state["status"][flagged] == "edited"

    _keys(browser, "f")  # only flagged rows stay visible
    assert _state(browser)["shown"] == [flagged]
    _keys(browser, "f")
    _keys(browser, "/")
    _keys(browser, "Kim Jong Un")
    assert len(_state(browser)["shown"]) == 1
    _keys(browser, "\n")
    browser.find_element("id", "search").clear()

    browser.refresh()  # decisions survive a reload
    _open(browser, page)
    state = _state(browser)
    assert state["counter"] == f"2 / {len(pairs)} reviewed" and state["status"][flagged] == "edited"

    exported = _download(browser, "export-jsonl", "kontan.review.jsonl")
    records = [json.loads(line) for line in exported.read_text("utf-8").splitlines()]
    assert [r["decision"] for r in records[:3]] == ["accepted", "accepted", "pending"]
    assert records[1]["edited"] and records[1]["target"].startswith("the United States on")
    assert records[1]["original_target"] != records[1]["target"]
    tsv = _download(browser, "export-tsv", "kontan.review.tsv")
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
    page = _page(tmp_path, HOSTILE, {}, "hostile")
    _open(browser, page)
    assert browser.execute_script("return window.__pwned") is None
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('tr.pair td[lang=id]')).map(c => c.textContent)"
    )
    assert cells[0] == "Berita <script>window.__pwned = 1</script> hari ini."
    assert any('onerror="window.__pwned = 2"' in c for c in cells)
    assert browser.execute_script("return document.querySelectorAll('img, a[href]').length") == 0
    _keys(browser, "ja")
    _keys(browser, "e")
    _keys(browser, "\n")
    exported = _download(browser, "export-jsonl", "hostile.review.jsonl")
    first = json.loads(exported.read_text("utf-8").splitlines()[0])
    assert first["source"] == "Berita <script>window.__pwned = 1</script> hari ini."
    assert browser.execute_script("return window.__pwned") is None
