"""Driving the review page in real headless Chromium (Debian's chromium and chromium-driver),
for the browser tests: start a browser (the ``browser`` fixture in conftest.py uses it), write
a page from a list of translations, open it, press keys, read its state, download an export."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sejajar.align.export.html import render_html
from sejajar.align.pipeline import translate_document
from sejajar.translate.split import split_document
from sejajar.translate.translator import Translation, Translator

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


def start_browser(tmp_path: Path) -> Any:
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


def write_page(tmp_path: Path, text: str, table: dict[str, str], name: str) -> Path:
    doc = translate_document(split_document(name, text), ListTranslator(table))
    path = tmp_path / f"{name}.html"
    path.write_text(render_html(doc), "utf-8")
    return path


def open_page(driver: Any, path: Path) -> None:
    driver.get(path.as_uri())
    deadline = time.monotonic() + 10
    while "ready" not in (driver.execute_script("return document.documentElement.className") or ""):
        assert time.monotonic() < deadline, "the page's script did not run (CSP hash?)"
        time.sleep(0.05)


def press(driver: Any, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def page_state(driver: Any) -> dict[str, Any]:
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


def download(driver: Any, button: str, name: str) -> Path:
    driver.find_element("id", button).click()
    target = driver.downloads / name
    deadline = time.monotonic() + 10
    # Chromium reserves the final name with an empty file while it writes NAME.crdownload, then
    # renames that over it: done when no partial file is left and the name holds something (no
    # export of a page is empty: each has at least one line).
    while (
        not target.exists()
        or any(driver.downloads.glob("*.crdownload"))
        or target.stat().st_size == 0
    ):
        assert time.monotonic() < deadline, f"{name} was not downloaded"
        time.sleep(0.05)
    return target
