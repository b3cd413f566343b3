"""Moved blocks (issue 13): out-of-order links after the monotone search, their bead format,
link-level scoring, the exports, and `sejajar align --monotone`."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sejajar.align.aligner import align
from sejajar.align.bead_format import moved_beads, parse_beads, render_beads
from sejajar.align.scoring import link_scores, links
from sejajar.cli import app
from tests.adapted_cases import adapt, tico19_adapted
from tests.helpers import SHARED_DATA, require_shared
from tests.modelfactory import ROOT

runner = CliRunner()
DATA = Path(__file__).parent / "data"
KONTAN = ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt"
MOVED_EN = DATA / "kontan.moved.en.txt"
MOVED_GOLD = DATA / "kontan.moved.gold.align.txt"
STEM = KONTAN.stem


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _align_kontan(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    code, _, err = run(
        "align",
        str(KONTAN),
        str(MOVED_EN),
        "--bridge",
        str(DATA / "kontan.bridge.txt"),
        "--out",
        str(out),
        "--format",
        "beads,jsonl,tmx,tsv,html",
        *extra,
    )
    assert code == 0, err
    return out


def test_kontan_wire_order_is_aligned_with_its_moved_block(tmp_path: Path) -> None:
    """The English has the background paragraphs (Indonesian 11-13) right after the lede, as
    the Reuters original would; the Kontan version has them at the end."""
    out = _align_kontan(tmp_path)
    text = (out / f"{STEM}.align.txt").read_text()
    gold = parse_beads(MOVED_GOLD.read_text())
    predicted = parse_beads(text)
    assert set(predicted) == set(gold)
    marked = {b for b, m in zip(predicted, moved_beads(text), strict=True) if m}
    assert marked == {((11,), (2,)), ((12,), (3,)), ((13,), (4,))}
    # Written where the source segment is: source indices stay in order.
    assert [i for s, _ in predicted for i in s] == list(range(15))
    code, out_text, _ = run("score-align", str(MOVED_GOLD), str(out / f"{STEM}.align.txt"))
    assert code == 0 and "links   precision 1.000  recall 1.000  F1 1.000" in out_text
    records = [json.loads(line) for line in (out / f"{STEM}.jsonl").read_text().splitlines()]
    assert [r["source_ids"] for r in records if r["moved"]] == [[11], [12], [13]]
    assert all("moved" in r for r in records)
    tmx = (out / f"{STEM}.tmx").read_text()
    assert tmx.count('<prop type="x-moved">target 3</prop>') == 1
    tsv = (out / f"{STEM}.tsv").read_text().splitlines()
    assert tsv[-3].startswith("Program senjata") and tsv[-3].endswith('"extended deterrence."')
    page = (out / f"{STEM}.html").read_text()
    assert "aligner:2" in page and "3 moved" in page and "from English #3" in page


def test_monotone_keeps_the_old_alignment(tmp_path: Path) -> None:
    out = _align_kontan(tmp_path, "--monotone")
    text = (out / f"{STEM}.align.txt").read_text()
    assert ":moved" not in text and not any(moved_beads(text))
    predicted = parse_beads(text)
    assert ((11,), (2,)) not in predicted  # the moved block is left unaligned
    records = [json.loads(line) for line in (out / f"{STEM}.jsonl").read_text().splitlines()]
    assert not any("moved" in r for r in records)
    assert "aligner:1" in (out / f"{STEM}.html").read_text()
    beads = align(["a b c"], ["a b c"], ["a b c"], monotone=True)
    assert [(b.source, b.target, b.moved) for b in beads] == [((0,), (0,), False)]


def test_moved_block_without_shared_data() -> None:
    """Three sentences moved to the front of the English, each matched by its bridge."""
    topics = [
        "harga beras",
        "banjir Jakarta",
        "pemilu 2024",
        "ekspor batu bara",
        "vaksin",
        "kereta cepat",
        "pajak karbon",
        "nikel Sulawesi",
        "gempa Cianjur",
        "rupiah",
    ]
    english = [
        "rice prices",
        "Jakarta floods",
        "the 2024 election",
        "coal exports",
        "vaccines",
        "the high-speed train",
        "a carbon tax",
        "Sulawesi nickel",
        "the Cianjur earthquake",
        "the rupiah",
    ]
    source = [f"Berita tentang {t} nomor {k} hari ini." for k, t in enumerate(topics)]
    bridge = [f"News about {e} number {k} today." for k, e in enumerate(english)]
    order = [6, 7, 8, 0, 1, 2, 3, 4, 5, 9]
    target = [bridge[k] for k in order]
    beads = align(source, target, bridge)
    got = {(b.source, b.target, b.moved) for b in beads}
    assert got == {((k,), (order.index(k),), k in (6, 7, 8)) for k in range(10)} or got == {
        ((k,), (order.index(k),), k not in (6, 7, 8)) for k in range(10)
    }


def test_dropped_sentences_stay_unaligned() -> None:
    source = ["Harga naik 5 persen.", "Kucing itu tidur di atas meja.", "Pasar tutup pukul 14.30."]
    bridge = [
        "Prices rose 5 percent.",
        "The cat slept on the table.",
        "The market closed at 14:30.",
    ]
    target = ["The market closed at 14:30.", "Prices rose 5 percent.", "Oil exports fell sharply."]
    beads = align(source, target, bridge)
    assert {(b.source, b.target) for b in beads if b.source and b.target} == {
        ((0,), (1,)),
        ((2,), (0,)),
    }
    assert ((1,), ()) in {(b.source, b.target) for b in beads}


def test_moved_marker_in_the_bead_format() -> None:
    text = render_beads([((0,), (3,), 0.91), ((1,), (0,), 0.8), ((2,), (), 0.0)], [True])
    assert text == "[0]:[3]:0.91:moved\n[1]:[0]:0.80\n[2]:[]:0.00\n"
    assert parse_beads(text) == [((0,), (3,)), ((1,), (0,)), ((2,), ())]
    assert moved_beads(text) == [True, False, False]
    # Vecalign's reader: split on ':', literal_eval the first two fields, ignore the rest.
    for line in text.splitlines():
        fields = [x.strip() for x in line.split(":") if x.strip()]
        assert isinstance(ast.literal_eval(fields[0]), list)
        assert isinstance(ast.literal_eval(fields[1]), list)
        assert float(fields[2]) >= 0


def test_link_scores_handle_non_monotone_gold() -> None:
    gold = [((0,), (2,)), ((1,), (0,)), ((2,), (1,)), ((3,), ())]
    predicted = [((0,), (2,)), ((1,), ()), ((2,), (1,)), ((), (0,)), ((3,), (3,))]
    score = link_scores([(gold, predicted)])
    assert (score.precision, score.recall) == pytest.approx((2 / 3, 2 / 3))
    assert links([((0, 1), (5,))]) == {(0, 5), (1, 5)}


def test_adapted_cases_have_exact_gold() -> None:
    n = 40
    case = adapt(
        "x",
        [f"s{i}" for i in range(n)],
        [f"t{i}" for i in range(n)],
        [f"b{i}" for i in range(n)],
        moves=3,
        seed=4,
    )
    assert sorted(i for s, _ in case.gold for i in s) == list(range(len(case.source)))
    assert sorted(j for _, t in case.gold for j in t) == list(range(len(case.target)))
    for s, t in case.gold:  # gold pairs the lines that were parallel
        src = " ".join(case.source[i] for i in s).replace("s", "")
        tgt = " ".join(case.target[j] for j in t).replace("t", "")
        assert not (s and t) or src == tgt
    assert sum(case.moved) >= 4
    targets = [t[0] for (s, t), m in zip(case.gold, case.moved, strict=True) if s and t]
    assert targets != sorted(targets)


@pytest.mark.shared
def test_adapted_news_with_a_bridge() -> None:
    require_shared("../shared/data", SHARED_DATA)
    cases = tico19_adapted(SHARED_DATA / "tico19", seed=7, moves=2)[:30]
    pairs = [
        (c.gold, [(b.source, b.target) for b in align(c.source, c.target, c.bridge)]) for c in cases
    ]
    monotone = [
        (c.gold, [(b.source, b.target) for b in align(c.source, c.target, c.bridge, monotone=True)])
        for c in cases
    ]
    assert link_scores(pairs).f1 >= 0.97
    assert link_scores(pairs).f1 > link_scores(monotone).f1 + 0.05
