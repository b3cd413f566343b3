"""Foreign passages on a real article: an English quote and a Javanese line set into the
Kontan article are kept from the model, copied, dropped or translated by ``--foreign``; the
article alone comes out exactly as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.align.export.html import render_html
from sejajar.align.pipeline import translate_document
from sejajar.cli import app
from sejajar.core.records import Kind
from sejajar.translate.split import split_document
from tests.helpers import KONTAN, FakeTranslator, run

ENGLISH = "The United States will respond swiftly and decisively to any nuclear attack."
JAVANESE = "Wilujeng sumping ing kutha Solo, kula badhe ngaturaken sugeng rawuh."


def _article() -> str:
    lines = KONTAN.read_text("utf-8").splitlines()
    return "\n".join([*lines[:3], ENGLISH, *lines[3:5], JAVANESE, *lines[5:]]) + "\n"


def test_the_sample_article_has_nothing_foreign() -> None:
    doc = split_document(KONTAN.name, KONTAN.read_text("utf-8"))
    fake = FakeTranslator()
    parallel = translate_document(doc, fake)
    assert not any(s.kind is Kind.FOREIGN for s in parallel.source)
    assert not any(f.name == "foreign" for link in parallel.links for f in link.flags)
    assert ("foreign", "keep") not in parallel.signature
    sent = [s.text for s in doc.segments if s.kind in (Kind.SENTENCE, Kind.HEADING)]
    assert sorted(t for batch in fake.batches for t in batch) == sorted(sent)


@pytest.mark.parametrize("mode", ["keep", "drop", "translate"])
def test_foreign_passages(mode: str) -> None:
    doc = split_document("mixed", _article())
    fake = FakeTranslator()
    parallel = translate_document(doc, fake, foreign=mode)
    sent = [t for batch in fake.batches for t in batch]
    assert (ENGLISH in sent) is (mode == "translate")
    assert (JAVANESE in sent) is (mode == "translate")
    foreign = [i for i, s in enumerate(parallel.source) if s.kind is Kind.FOREIGN]
    assert [parallel.source[i].text for i in foreign] == [ENGLISH, JAVANESE]
    for link in parallel.links:
        flagged = [f for f in link.flags if f.name == "foreign"]
        assert bool(flagged) is (link.source[0] in foreign)
        if link.source[0] not in foreign:
            continue
        assert flagged[0].reason.startswith("not Indonesian (")
        if mode == "keep":
            assert parallel.target_text(link) == parallel.source_text(link)
            assert link.flags == tuple(flagged)  # a copy on purpose: no other check
        elif mode == "drop":
            assert link.target == ()
            row = render_html(parallel).split(f"{JAVANESE}</td>", 1)[1].split("</tr>")[0]
            assert '<span class="note">foreign, not translated</span>' in row
        else:
            assert len(link.target) == 1
    assert ("foreign", mode) in parallel.signature
    assert ("langid", "py3langid") in parallel.signature


def test_cli_copies_foreign_sentences_to_the_english_side(tiny_model: Path) -> None:
    args = ["translate", "-", "--model", str(tiny_model), "--beams", "1", "--no-cache"]
    result = CliRunner().invoke(app, args, input=_article())
    assert result.exit_code == 0, result.stderr
    assert f"{ENGLISH}\t{ENGLISH}\n" in result.stdout
    assert f"{JAVANESE}\t{JAVANESE}\n" in result.stdout


def test_cli_refuses_an_unknown_mode() -> None:
    code, _, err = run("translate", "-", "--foreign", "skip")
    assert code == 2
    assert "Invalid value for '--foreign': must be keep, translate or drop, not skip" in err


def test_align_flags_a_foreign_source_sentence() -> None:
    from sejajar.align.pipeline import align_documents
    from sejajar.translate.rules import EN_RULES

    source = split_document("id", f"Harga naik tajam di Jakarta pada hari Senin.\n{ENGLISH}\n")
    target = split_document(
        "en", f"Prices rose sharply in Jakarta on Monday.\n{ENGLISH}\n", EN_RULES
    )
    parallel = align_documents(source, target, None, ())
    flagged = {parallel.source_text(link): [f.name for f in link.flags] for link in parallel.links}
    assert "foreign" in flagged[ENGLISH]
    assert "foreign" not in flagged["Harga naik tajam di Jakarta pada hari Senin."]


@pytest.mark.slow
def test_the_service_drops_foreign_sentences_when_told(tiny_model: Path, tmp_path: Path) -> None:
    """``sejajar serve --foreign drop``: LibreTranslate's answer leaves the English sentence
    out, /v1/translate gives it a 1-0 link, as ``translate --foreign drop`` writes it."""
    import httpx

    from tests.servers import ONE, private_env, serving

    one = ["--no-cache", "--foreign", "drop", *ONE]
    source = tmp_path / "mixed.txt"
    source.write_text(_article(), "utf-8")
    code, _, err = run("translate", str(source), "--out", str(tmp_path / "out"), "--format",
                       "jsonl", "--model", str(tiny_model), *one)  # fmt: skip
    assert code == 0, err
    lines = (tmp_path / "out" / "mixed.jsonl").read_text("utf-8").splitlines()
    with serving(tiny_model, *one, env=private_env(tmp_path / "xdg")) as server:
        reply = httpx.post(server.url + "/translate", timeout=120, json={
            "q": f"Harga beras naik. {ENGLISH}", "source": "id", "target": "en"})  # fmt: skip
        article = httpx.post(server.url + "/v1/translate", timeout=120,
                             json={"text": _article(), "name": "mixed"})  # fmt: skip
    assert reply.status_code == article.status_code == 200, reply.text + article.text
    assert ENGLISH not in reply.json()["translatedText"]
    records = article.json()["records"]
    assert records == [json.loads(line) for line in lines]
    dropped = [r for r in records if r["source"] == ENGLISH]
    assert len(dropped) == 1 and dropped[0]["target"] == ""
