"""The team review's page in real headless Chromium against a real ``sejajar serve --db``, on
SQLite and on PostgreSQL: reviewers in their own browser sessions, a conflict shown (not
overwritten), decisions kept across reloads and restarts, the server killed with SIGKILL
mid-review (the page's outbox sends the rest, none stored twice), hostile article text inert,
and a signed-out cookie refused."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browsers import press, start_browser
from tests.helpers import run
from tests.reviewing import PASSWORD, Seeded
from tests.servers import Server
from tests.teampage import (
    Restartable,
    all_saved,
    decide,
    hostile_document,
    ids,
    open_document,
    saves,
    sign_in,
    statuses,
    stored,
    wait_for,
    waiting,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def second_browser(tmp_path: Path) -> Iterator[Any]:
    folder = tmp_path / "second"
    folder.mkdir()
    driver = start_browser(folder)
    try:
        yield driver
    finally:
        driver.quit()


def test_two_reviewers_each_save_to_their_own_document(
    served_review: tuple[Seeded, Server], browser: Any, second_browser: Any
) -> None:
    seeded, server = served_review
    sign_in(browser, server.url, "ayu")
    sign_in(second_browser, server.url, "budi")
    listed = browser.find_element("id", "document-list").text
    assert f"news / {seeded.names['ayu']}" in listed
    assert f"news / {seeded.names['budi']}" not in listed and "desk /" not in listed
    ayu, budi = seeded.documents["ayu"], seeded.documents["budi"]
    open_document(browser, server.url, ayu)
    open_document(second_browser, server.url, budi)
    decide(browser, "jajr")
    decide(second_browser, "jje")
    press(second_browser, "Budi's English.\n")
    all_saved(browser)
    all_saved(second_browser)
    first, second = ids(browser), ids(second_browser)
    assert stored(seeded.url, ayu)[first[0]] == ("accepted", 1, "ayu")
    assert stored(seeded.url, ayu)[first[1]] == ("rejected", 1, "ayu")
    assert stored(seeded.url, budi)[second[1]] == ("edited", 1, "budi")
    # Another reviewer's document: the API answers 404, and the page says it could not open it.
    open_document(browser, server.url, budi)
    assert browser.find_element("id", "failure").is_displayed()
    assert not browser.find_elements("css selector", "tr.pair")
    # Reloaded, the page shows what the server holds, edits included.
    open_document(second_browser, server.url, budi)
    assert statuses(second_browser)[second[1]] == "edited"
    text = second_browser.find_element("css selector", f'tr[data-id="{second[1]}"] .text').text
    assert text == "Budi's English."


def test_a_conflicting_save_is_shown_with_who_made_it_and_applied_only_on_request(
    served_review: tuple[Seeded, Server], browser: Any, second_browser: Any
) -> None:
    seeded, server = served_review
    dewi = seeded.documents["dewi"]
    sign_in(browser, server.url, "dewi")
    sign_in(second_browser, server.url, "chief")
    open_document(browser, server.url, dewi)
    open_document(second_browser, server.url, dewi)  # both see every pair at version 0
    decide(browser, "ja")
    all_saved(browser)
    pair = ids(browser)[0]
    decide(second_browser, "jr")  # the admin, on the same pair, from version 0
    note = wait_for(
        lambda: second_browser.find_elements(
            "css selector", f'tr[data-id="{pair}"] .conflict-note'
        ),
        "the conflict to show",
    )[0]
    assert "dewi" in note.text and "accepted" in note.text and "rejected" in note.text
    assert statuses(second_browser)[pair] == "accepted"  # the newer decision, not the admin's
    all_saved(second_browser)
    assert stored(seeded.url, dewi)[pair] == ("accepted", 1, "dewi")
    note.find_element("css selector", "button.apply-mine").click()  # deliberately
    all_saved(second_browser)
    assert stored(seeded.url, dewi)[pair] == ("rejected", 2, "chief")
    assert statuses(second_browser)[pair] == "rejected"
    assert not second_browser.find_elements("css selector", ".conflict-note")


@pytest.fixture
def restartable(seeded_review: Seeded, tiny_model: Path) -> Iterator[Restartable]:
    server = Restartable(tiny_model, seeded_review)
    try:
        yield server
    finally:
        server.stop()


def test_decisions_persist_across_reload_and_restart(
    seeded_review: Seeded, restartable: Restartable, browser: Any
) -> None:
    ayu = seeded_review.documents["ayu"]
    sign_in(browser, restartable.url, "ayu")
    open_document(browser, restartable.url, ayu)
    decide(browser, "jajjr")
    all_saved(browser)
    before = statuses(browser)
    browser.refresh()
    wait_for(lambda: statuses(browser) == before, "the decisions after a reload")
    restartable.stop()
    restartable.start()
    open_document(browser, restartable.url, ayu)  # the same cookie, a new server process
    assert statuses(browser) == before
    assert waiting(browser) == 0


def test_a_server_killed_mid_review_loses_and_doubles_nothing(
    seeded_review: Seeded, restartable: Restartable, browser: Any
) -> None:
    ayu, url = seeded_review.documents["ayu"], seeded_review.url
    sign_in(browser, restartable.url, "ayu")
    open_document(browser, restartable.url, ayu)
    pairs = ids(browser)
    decide(browser, "jaja")
    all_saved(browser)
    acknowledged = stored(url, ayu)
    decide(browser, "jrja")  # some in flight as the server dies
    restartable.stop(signal.SIGKILL)
    decide(browser, "jrjajr")  # the server down: these wait in the outbox
    wait_for(lambda: waiting(browser) > 0, "the outbox to hold the waiting decisions")
    assert "waiting" in browser.find_element("id", "sync").text
    browser.refresh()  # the page is gone (the server is down): its outbox stays
    restartable.start()
    open_document(browser, restartable.url, ayu)
    all_saved(browser)
    held = stored(url, ayu)
    for pair, (_, version, _) in acknowledged.items():
        assert held[pair][1] >= version, "an acknowledged decision was lost"
    decided = ["accepted", "accepted", "rejected", "accepted", "rejected", "accepted", "rejected"]
    expected = dict(zip(pairs, decided, strict=False))
    assert {p: held[p][0] for p in expected} == expected
    assert statuses(browser) == {p: expected.get(p, "") for p in pairs}
    assert saves(url, ayu) == 7  # each decision stored once
    assert {held[p][1] for p in expected} == {1}


PAYLOADS = ['<img src=x onerror="alert(1)">', "</script><script>alert(2)</script>",
            '"><svg onload=alert(3)>', "<b>bold</b> & <i>x</i>"]  # fmt: skip


def test_hostile_article_text_stays_text(
    served_review: tuple[Seeded, Server], browser: Any, tmp_path: Path
) -> None:
    seeded, server = served_review
    path = hostile_document(seeded.outputs, tmp_path, PAYLOADS)
    password = tmp_path / "pw"
    password.write_text(PASSWORD + "\n")
    added = run("review", "add-user", "eve", "--role", "reviewer", "--password-file",
                str(password), "--db", seeded.url)  # fmt: skip
    assert added[0] == 0, added
    imported = run("review", "import", str(path), "--project", "hostile", "--assign", "eve",
                   "--db", seeded.url)  # fmt: skip
    assert imported[0] == 0, imported
    sign_in(browser, server.url, "eve")
    browser.find_element("css selector", "#document-list a").click()
    wait_for(lambda: browser.find_elements("css selector", "tr.pair"), "the hostile document")
    decide(browser, "je")
    press(browser, '<img src=y onerror="alert(4)">\n')
    all_saved(browser)
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('tr.pair')).slice(0, 4)"
        ".map(r => [r.children[1].textContent, r.querySelector('.text').textContent])"
    )
    assert [s for s, _ in shown] == PAYLOADS
    assert [t for _, t in shown][1:] == PAYLOADS[1:]
    assert shown[0][1] == '<img src=y onerror="alert(4)">'
    assert (
        browser.find_elements("css selector", "#pairs img, #pairs svg, #pairs b, #pairs script")
        == []
    )
    assert browser.execute_script("return document.scripts.length") == 3
    browser.refresh()  # the edit, back from the server, is text too
    wait_for(lambda: browser.find_elements("css selector", "tr.pair"), "the page again")
    assert browser.find_elements("css selector", "#pairs img, #pairs svg") == []
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text


def test_signing_out_ends_the_session_for_its_cookie(
    served_review: tuple[Seeded, Server], browser: Any
) -> None:
    server = served_review[1]
    sign_in(browser, server.url, "budi")
    cookie = browser.get_cookie("sejajar_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    jar = {"sejajar_session": cookie["value"]}
    assert httpx.get(server.url + "/v1/review/documents", cookies=jar).status_code == 200
    browser.find_element("id", "sign-out").click()
    wait_for(lambda: browser.find_element("id", "sign-in").is_displayed(), "the sign-in form")
    assert httpx.get(server.url + "/v1/review/documents", cookies=jar).status_code == 401
