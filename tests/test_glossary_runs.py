"""``--glossary`` in the runs: the ``term`` flag on sejajar's own translations (translate,
the corpus's rows), on a person's English (align), in the HTML page and ``export
--drop-flag term``; the glossary's digest in the signature and the cache's key; bad files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sejajar.jobs.pairs import CorpusOptions, document_pairs, run_shard
from sejajar.jobs.shards import CorpusDocument, find_shards
from sejajar.translate.engines import TranslatorSession
from sejajar.translate.termbase import read_glossary
from tests.helpers import KONTAN, ROOT, one_process, run
from tests.servers import ONE, private_env, serving

DATA = ROOT / "tests" / "data"
# House terms for the sample article (US and South Korea against North Korea); "Korea Utara"
# is written "North Korea (DPRK)", which the article's human English never does.
TERMS = (
    "source\ttarget\tnote\n"
    "Korea Selatan\tSouth Korea\n"
    "Korea Utara\tNorth Korea (DPRK)\thouse style\n"
    "Amerika Serikat\tUnited States\n"
    "Gedung Putih\tWhite House\n"
    "nuklir\tnuclear\n"
)


# Terms the tiny model's vocabulary cannot spell (Hangul): the search cannot place them, so
# each sentence with one is flagged, never silently left as it is.
UNSPELLABLE = "Korea Selatan\t대한민국\nKorea Utara\t조선\nGedung Putih\tWhite House\n"


@pytest.fixture
def glossary(tmp_path: Path) -> Path:
    path = tmp_path / "house.tsv"
    path.write_text(TERMS, "utf-8")
    return path


@pytest.fixture
def unspellable(tmp_path: Path) -> Path:
    path = tmp_path / "hangul.tsv"
    path.write_text(UNSPELLABLE, "utf-8")
    return path


def _model_args(model: Path) -> list[str]:
    return ["--model", str(model), "--beams", "1", "--workers", "1", "--no-calibrate"]


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _terms(record: dict[str, Any]) -> list[str]:
    return [f["reason"] for f in record["flags"] if f["name"] == "term"]


def test_translate_flags_each_term_its_output_lacks(
    tiny_model: Path, unspellable: Path, tmp_path: Path
) -> None:
    glossary = unspellable
    digest = read_glossary([glossary]).digest  # type: ignore[union-attr]
    plain, termed = tmp_path / "plain", tmp_path / "termed"
    for out, extra in ((plain, []), (termed, ["--glossary", str(glossary)])):
        code, _, err = run("translate", str(KONTAN), "--out", str(out), "--format",
                           "jsonl,html", *_model_args(tiny_model), *extra)  # fmt: skip
        assert code == 0, err
    name = KONTAN.name.removesuffix(".txt")
    before, after = _records(plain / f"{name}.jsonl"), _records(termed / f"{name}.jsonl")
    checked = read_glossary([glossary])
    assert checked is not None
    flagged = 0
    for old, new in zip(before, after, strict=True):
        required = checked.required(new["source"]) if new["target"] else []
        if not required:  # no term, or not translated: as without the glossary
            assert new == old
            continue
        missing = [t for t in required if not checked.has_target(new["target"], t.target)]
        assert _terms(new) == (["; ".join(t.shown() for t in missing)] if missing else [])
        flagged += bool(missing)
    assert flagged > 5  # every sentence with Korea in it
    first = next(r for r in after if _terms(r))
    meta = json.loads((termed / f"{name}.meta.json").read_text("utf-8"))
    assert meta["signature"].endswith(f"|glossary:{digest}")
    assert (
        "glossary" not in json.loads((plain / f"{name}.meta.json").read_text("utf-8"))["signature"]
    )
    page = (termed / f"{name}.html").read_text("utf-8")
    shown = _terms(first)[0].replace("'", "&#x27;")
    assert f'<span class="flag" title="{shown}">term: {shown}</span>' in page


def test_the_cache_key_holds_the_glossary(tiny_model: Path, glossary: Path, tmp_path: Path) -> None:
    """A sentence translated without the glossary is never served from the cache to a run
    with one (its key is another), and a second run with it is served entirely."""
    cache = tmp_path / "cache.sqlite"
    args = ["translate", str(KONTAN), "--format", "tsv", "--cache", str(cache),
            *_model_args(tiny_model)]  # fmt: skip
    code, _, err = run(*args, "--out", str(tmp_path / "a"))
    assert code == 0 and ", 0 from the cache" in err, err
    code, _, err = run(*args, "--out", str(tmp_path / "b"), "--glossary", str(glossary))
    assert code == 0 and ", 0 from the cache" in err, err
    code, _, err = run(*args, "--out", str(tmp_path / "c"), "--glossary", str(glossary))
    assert code == 0 and "0 sentences translated" in err, err


def test_align_flags_a_human_translation_without_the_house_term(
    glossary: Path, tmp_path: Path
) -> None:
    """The article's own English says "North Korea", the house "North Korea (DPRK)": each
    pair with "Korea Utara" is flagged, no other pair is, and without the glossary none."""
    out = tmp_path / "out"
    code, _, err = run("align", str(KONTAN), str(DATA / "kontan.en.txt"), "--bridge",
                       str(DATA / "kontan.bridge.txt"), "--out", str(out), "--format", "jsonl",
                       "--glossary", str(glossary))  # fmt: skip
    assert code == 0, err
    name = KONTAN.name.removesuffix(".txt")
    records = [r for r in _records(out / f"{name}.jsonl") if r["source"] and r["target"]]
    north = "Korea Utara \u2192 North Korea (DPRK)"
    with_north = [r["id"] for r in records if "Korea Utara" in r["source"]]
    assert len(with_north) > 5
    assert [r["id"] for r in records if north in _terms(r)] == with_north
    # Beside those, one pair: its English has the adjective "South Korean" only.
    others = {r["id"]: _terms(r) for r in records if _terms(r) and north not in _terms(r)}
    assert others == {3: ["Korea Selatan \u2192 South Korea"]}
    assert "South Korean leader" in next(r["target"] for r in records if r["id"] == 3)
    digest = read_glossary([glossary]).digest  # type: ignore[union-attr]
    meta = json.loads((out / f"{name}.meta.json").read_text("utf-8"))
    assert meta["signature"].endswith(f"|bridge:file:kontan.bridge.txt|glossary:{digest}|aligner:2")


def test_corpus_rows_carry_the_term_flag_and_export_drops_them(
    tiny_model: Path, unspellable: Path, tmp_path: Path
) -> None:
    glossary = unspellable
    pq = pytest.importorskip("pyarrow.parquet")
    settings = one_process(tiny_model, beams=1, glossary=(glossary,))
    session = TranslatorSession(settings, cache=False)
    try:
        doc = CorpusDocument("kontan", KONTAN.read_text("utf-8"), None)
        rows = document_pairs(doc, session, CorpusOptions())
        (shard,) = find_shards([KONTAN])
        result = run_shard(shard, session, CorpusOptions(cache=False), tmp_path / "corpus")
    finally:
        session.close()
    checked = read_glossary([glossary])
    assert checked is not None and result.error is None
    termed = [r for r in rows if checked.missing(r["source"] or "", r["target"] or "")]
    assert len(termed) > 5 and all("term" in r["flags"] for r in termed)
    assert not any("term" in r["flags"] for r in rows if r not in termed)
    assert all(str(r["signature"]).endswith(f"|glossary:{checked.digest}") for r in rows)
    written = pq.read_table(tmp_path / "corpus" / f"{shard.name}.parquet").to_pylist()
    assert [r["flags"] for r in written] == [r["flags"] for r in rows]
    # export --drop-flag term leaves out exactly the pairs without the house terms
    kept = {}
    for drop in ("", "term"):
        out = tmp_path / f"release-{drop or 'all'}"
        code, _, err = run("export", str(tmp_path / "corpus"), "--out", str(out),
                           "--format", "moses", "--keep-duplicates",
                           *(["--drop-flag", drop] if drop else []))  # fmt: skip
        assert code == 0, err
        kept[drop] = (out / "corpus.id").read_text("utf-8").splitlines()
    assert kept["term"] == [s for s in kept[""] if s not in {r["source"] for r in termed}]
    assert len(kept["term"]) == len(kept[""]) - len(termed)


def test_evaluate_src_signs_its_scores_with_the_glossary(
    tiny_model: Path, glossary: Path, tmp_path: Path
) -> None:
    (tmp_path / "src.id").write_text("Korea Selatan setuju.\nHarga naik.\n", "utf-8")
    (tmp_path / "ref.en").write_text("South Korea agrees.\nPrices rise.\n", "utf-8")
    code, out, err = run("evaluate", "--src", str(tmp_path / "src.id"), "--ref",
                         str(tmp_path / "ref.en"), *_model_args(tiny_model), "--json",
                         "--glossary", str(glossary))  # fmt: skip
    assert code == 0, err
    digest = read_glossary([glossary]).digest  # type: ignore[union-attr]
    assert f"|glossary:{digest}|resplit:no" in json.loads(out)["run_signature"]


@pytest.mark.slow
def test_the_service_flags_terms_as_the_command_line_does(
    tiny_model: Path, glossary: Path, tmp_path: Path
) -> None:
    """``sejajar serve --glossary``: /v1/translate and /v1/align answer what ``translate`` and
    ``align`` write with the same glossary (term flags and signature included)."""
    import httpx

    target = DATA / "kontan.en.txt"
    one = ["--model", str(tiny_model), "--no-cache", "--glossary", str(glossary), *ONE]
    code, _, err = run("translate", str(KONTAN), "--out", str(tmp_path / "t"), "--format",
                       "jsonl", *one)  # fmt: skip
    assert code == 0, err
    code, _, err = run("align", str(KONTAN), str(target), "--out", str(tmp_path / "a"),
                       "--format", "jsonl", *one)  # fmt: skip
    assert code == 0, err
    name = KONTAN.name.removesuffix(".txt")
    env = private_env(tmp_path / "xdg")
    with serving(tiny_model, *one[2:], "--deadline", "600", env=env) as server:
        translated = httpx.post(server.url + "/v1/translate", timeout=300,
                                json={"text": KONTAN.read_text("utf-8"), "name": name})  # fmt: skip
        aligned = httpx.post(server.url + "/v1/align", timeout=300, json={
            "source": KONTAN.read_text("utf-8"), "target": target.read_text("utf-8"),
            "name": KONTAN.stem})  # fmt: skip
    assert translated.status_code == aligned.status_code == 200, translated.text + aligned.text
    for reply, folder in ((translated, "t"), (aligned, "a")):
        assert reply.json()["records"] == _records(tmp_path / folder / f"{name}.jsonl")
        meta = json.loads((tmp_path / folder / f"{name}.meta.json").read_text("utf-8"))
        assert reply.json()["meta"] == meta and "|glossary:" in meta["signature"]
    assert any(_terms(r) for r in aligned.json()["records"])  # the human English


@pytest.mark.parametrize("command", ["translate", "align", "corpus", "evaluate", "serve"])
def test_a_bad_glossary_stops_every_command_with_exit_2(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("Kemenkeu\tFinance Ministry\nOJK\n", "utf-8")
    args = {"translate": [str(KONTAN)], "align": [str(KONTAN), str(KONTAN)],
            "corpus": [str(tmp_path), "--out", str(tmp_path / "out")],
            "evaluate": ["--src", str(KONTAN), "--ref", str(KONTAN)], "serve": []}[command]  # fmt: skip
    code, out, err = run(command, *args, "--glossary", str(bad))
    assert (code, out) == (2, "")
    assert err == (
        f"Error: {bad}: line 2: 1 tab-separated fields; expected source, target and an "
        "optional note\n"
    )


@pytest.mark.parametrize("beams", ["1", "3"])
def test_translate_places_every_matched_term(
    tiny_model: Path, glossary: Path, tmp_path: Path, beams: str
) -> None:
    """End to end on the tiny random model: each sentence's terms stand in its translation as
    written (the constrained search), so no pair is flagged ``term``; sentences without a
    term are translated exactly as without the glossary."""
    args = ["--model", str(tiny_model), "--beams", beams, "--workers", "1", "--no-calibrate",
            "--format", "jsonl", "--no-cache"]  # fmt: skip
    plain, termed = tmp_path / "plain", tmp_path / "termed"
    for out, extra in ((plain, []), (termed, ["--glossary", str(glossary)])):
        code, _, err = run("translate", str(KONTAN), "--out", str(out), *args, *extra)
        assert code == 0, err
    name = KONTAN.name.removesuffix(".txt")
    checked = read_glossary([glossary])
    assert checked is not None
    before, after = _records(plain / f"{name}.jsonl"), _records(termed / f"{name}.jsonl")
    placed = 0
    for old, new in zip(before, after, strict=True):
        required = checked.required(new["source"]) if new["target"] else []
        if not required:
            assert new["target"] == old["target"]
            continue
        for term in required:
            assert checked.has_target(new["target"], term.target), (term, new["target"])
            placed += 1
        assert _terms(new) == []
    assert placed > 10


@pytest.mark.slow
@pytest.mark.ray
def test_corpus_on_ray_with_a_relative_glossary(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sejajar corpus --glossary house.tsv`` (a path relative to where the command runs):
    Ray's actors read the same file, and the rows carry its flags and digest."""
    pytest.importorskip("ray", reason="the ray extra is not installed")
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.chdir(tmp_path)
    Path("hangul.tsv").write_text(UNSPELLABLE, "utf-8")
    Path("crawl").mkdir()
    Path("crawl", "kontan.txt").write_text(KONTAN.read_text("utf-8"), "utf-8")
    code, _, err = run("corpus", "crawl", "--out", "corpus", "--glossary", "hangul.tsv",
                       *_model_args(tiny_model)[:4])  # fmt: skip
    assert code == 0, err
    rows = [
        r for p in sorted(Path("corpus").glob("*.parquet")) for r in pq.read_table(p).to_pylist()
    ]
    digest = read_glossary([Path("hangul.tsv")]).digest  # type: ignore[union-attr]
    assert rows and all(str(r["signature"]).endswith(f"|glossary:{digest}") for r in rows)
    assert sum("term" in r["flags"] for r in rows) > 5


def test_alternatives_keep_the_house_terms(tiny_model: Path, tmp_path: Path) -> None:
    """LibreTranslate's alternatives come from an n-best search without terms: one that
    lacks a sentence's house term is not offered; a sentence without terms gets them all."""
    from sejajar.translate.alternatives import n_best
    from sejajar.translate.engines import ModelSettings, open_translator

    path = tmp_path / "odd.tsv"
    path.write_text("Korea Selatan\tSeoul Korea\n", "utf-8")  # never the model's own wording
    texts = ["Korea Selatan dan Amerika Serikat.", "Amerika Serikat dan Korea Utara."]
    settings = ModelSettings(model=str(tiny_model), beams=4, workers=1, threads=1,
                             calibrate=False)  # fmt: skip
    with open_translator(settings, cache=False) as plain:
        free = n_best(plain(), texts, 4)
    with open_translator(replace(settings, glossary=(path,)), cache=False) as session:
        main = session().translate(texts)
        kept = n_best(session(), texts, 4)
    assert "Seoul Korea" in main[0].text and main[0].missing_terms == ()
    assert any("Seoul Korea" not in text for text in free[0])  # what the search offers
    assert kept[0] == [text for text in free[0] if "Seoul Korea" in text]
    assert kept[1] == free[1] and len(free[1]) > 1
