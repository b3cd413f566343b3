"""The aligner, the bead format and its scoring, and `sejajar align` / `score-align`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sejajar.align.aligner import align
from sejajar.align.bead_format import BeadPair, parse_beads, render_beads
from sejajar.align.features import anchors
from sejajar.align.scoring import score_alignments
from tests.alignment_cases import perturb, tico19_cases
from tests.helpers import KONTAN, SHARED_DATA, require_shared, run

DATA = Path(__file__).parent / "data"
KONTAN_EN = DATA / "kontan.en.txt"
GOLD = parse_beads((DATA / "kontan.gold.align.txt").read_text("utf-8"))


def test_anchors_map_indonesian_names() -> None:
    assert anchors("Presiden AS dan Korsel bertemu di PBB.", "id") == [
        "presiden",
        "us",
        "south",
        "korea",
        "un",
    ]


def test_textbook_cases() -> None:
    source = [
        "Harga naik 5 persen.",
        "Itu mengejutkan.",
        "Pasar tutup.",
        "Iklan.",
        "Presiden Biden tiba.",
    ]
    bridge = [
        "Prices rose 5 percent.",
        "That was surprising.",
        "The market closed.",
        "Ad.",
        "President Biden arrived.",
    ]
    target = [
        "Prices rose 5 percent, which was surprising.",
        "The market closed.",
        "Nobody knew why.",
        "President Biden arrived.",
    ]
    beads = [(b.source, b.target) for b in align(source, target, bridge)]
    # An ad line left out and an added target line are adjacent: their order is arbitrary.
    assert set(beads) == {((0, 1), (0,)), ((2,), (1,)), ((3,), ()), ((), (2,)), ((4,), (3,))}


def test_empty_sides() -> None:
    assert [(b.source, b.target) for b in align([], ["a", "b"])] == [((), (0,)), ((), (1,))]
    assert [(b.source, b.target) for b in align(["a"], [])] == [((0,), ())]


def test_bridge_must_match_the_source() -> None:
    with pytest.raises(ValueError, match="the bridge has 1 lines for 2 source segments"):
        align(["a", "b"], ["a"], ["x"])


_SENTENCES = st.lists(st.text(alphabet="abcde AB12.,", min_size=0, max_size=30), max_size=25)


@settings(max_examples=60, deadline=None)
@given(_SENTENCES, _SENTENCES, st.booleans())
def test_beads_cover_every_index_once_in_order(
    source: list[str], target: list[str], use_bridge: bool
) -> None:
    beads = align(source, target, source if use_bridge else None, monotone=True)
    assert [i for b in beads for i in b.source] == list(range(len(source)))
    assert [j for b in beads for j in b.target] == list(range(len(target)))
    assert not any(b.moved for b in beads)
    # With moved blocks, targets may go backwards but each is still in exactly one bead.
    beads = align(source, target, source if use_bridge else None)
    assert [i for b in beads for i in b.source] == list(range(len(source)))
    assert sorted(j for b in beads for j in b.target) == list(range(len(target)))
    assert all(len(b.source) <= 2 and len(b.target) <= 2 and (b.source or b.target) for b in beads)
    assert all(0.0 <= b.confidence <= 1.0 for b in beads)


def test_wide_shift_widens_the_band() -> None:
    """Forty target-only lines up front push the path far off the diagonal."""
    source = [f"Kalimat nomor {i} tentang topik {i * 7}." for i in range(60)]
    bridge = [f"Sentence number {i} about topic {i * 7}." for i in range(60)]
    extra = [f"Unrelated line {k} zzz{k}" for k in range(40)]
    beads = align(source, extra + bridge, bridge)
    assert [(b.source, b.target) for b in beads if b.source and b.target] == [
        ((i,), (i + 40,)) for i in range(60)
    ]


SCORING: list[tuple[list[BeadPair], list[BeadPair], tuple[float, ...]]] = [
    # identical
    ([((0,), (0,)), ((1,), (1,))], [((0,), (0,)), ((1,), (1,))], (1, 1, 1, 1, 1, 1)),
    # a 2-1 predicted as 1-1 + 1-0: strict misses both, lax keeps the overlapping one
    ([((0, 1), (0,))], [((0,), (0,)), ((1,), ())], (0, 0, 0, 0.5, 1, 2 / 3)),
    # a wrong 1-1 swap
    ([((0,), (0,)), ((1,), (1,))], [((0,), (1,)), ((1,), (0,))], (0, 0, 0, 0, 0, 0)),
    # deletions count for precision only
    ([((0,), ()), ((1,), (0,))], [((0,), ()), ((1,), (0,))], (1, 1, 1, 1, 1, 1)),
]


@pytest.mark.parametrize(("gold", "predicted", "expected"), SCORING)
def test_vecalign_scoring(
    gold: list[BeadPair], predicted: list[BeadPair], expected: tuple[float, ...]
) -> None:
    s = score_alignments([(gold, predicted)])
    got = (
        s.strict_precision,
        s.strict_recall,
        s.strict_f1,
        s.lax_precision,
        s.lax_recall,
        s.lax_f1,
    )
    assert got == pytest.approx(expected)


def test_bead_format_round_trip() -> None:
    text = render_beads(
        [((0,), (0,), 0.934), ((1, 2), (1,), 0.71), ((3,), (), 0.0), ((), (2,), None)]
    )
    assert text == "[0]:[0]:0.93\n[1, 2]:[1]:0.71\n[3]:[]:0.00\n[]:[2]\n"
    assert parse_beads(text) == [((0,), (0,)), ((1, 2), (1,)), ((3,), ()), ((), (2,))]
    with pytest.raises(ValueError, match="line 2: not a bead"):
        parse_beads("[0]:[0]\n0-0\n")


def test_perturbations_have_exact_gold() -> None:
    src = [f"s{i}" for i in range(200)]
    case = perturb(
        "x", src, [f"t{i}" for i in range(200)], [f"b{i}" for i in range(200)], seed=1, rate=0.4
    )
    assert {(len(s), len(t)) for s, t in case.gold} == {(1, 1), (2, 1), (1, 2), (1, 0), (0, 1)}
    assert [i for s, _ in case.gold for i in s] == list(range(len(case.source)))
    assert [j for _, t in case.gold for j in t] == list(range(len(case.target)))


@pytest.mark.shared
def test_tico19_accuracy_with_and_without_bridge() -> None:
    require_shared("../shared/data", SHARED_DATA)
    cases = tico19_cases(SHARED_DATA / "tico19", seed=7)

    def run(bridge: bool) -> float:
        pairs = [
            (
                c.gold,
                [
                    (b.source, b.target)
                    for b in align(c.source, c.target, c.bridge if bridge else None)
                ],
            )
            for c in cases
        ]
        return score_alignments(pairs).strict_f1

    assert run(bridge=True) >= 0.97
    assert run(bridge=False) >= 0.85


def test_align_cli_with_a_bridge_file(tmp_path: Path) -> None:
    code, out, err = run(
        "align",
        str(KONTAN),
        str(KONTAN_EN),
        "--out",
        str(tmp_path),
        "--bridge",
        str(DATA / "kontan.bridge.txt"),
    )
    assert code == 0, err
    stem = KONTAN.stem
    assert out == (
        f"{KONTAN} + {KONTAN_EN} -> {tmp_path / (stem + '.tsv')}, "
        f"{tmp_path / (stem + '.html')}, {tmp_path / (stem + '.align.txt')}\n"
    )
    predicted = parse_beads((tmp_path / f"{stem}.align.txt").read_text())
    assert predicted == GOLD or set(predicted) == set(GOLD)
    code, out, _ = run(
        "score-align",
        str(DATA / "kontan.gold.align.txt"),
        str(tmp_path / f"{stem}.align.txt"),
        "--json",
    )
    assert code == 0 and json.loads(out)["strict_f1"] == 1.0
    tsv = (tmp_path / f"{stem}.tsv").read_text().splitlines()
    assert tsv[2].startswith("Pengumuman tersebut") and tsv[2].endswith(
        "develop its own nuclear bomb."
    )
    page = (tmp_path / f"{stem}.html").read_text()
    assert "bridge:file:kontan.bridge.txt|aligner:2" in page
    assert page.count('class="flag" title="2-1 link') == 1 and page.count('title="1-2 link') == 1


def test_align_cli_without_bridge_scores_itself(tmp_path: Path) -> None:
    code, _, err = run(
        "align",
        str(KONTAN),
        str(KONTAN_EN),
        "--out",
        str(tmp_path),
        "--no-bridge",
        "--format",
        "beads",
    )
    assert code == 0, err
    code, out, _ = run(
        "score-align",
        str(DATA / "kontan.gold.align.txt"),
        str(tmp_path / f"{KONTAN.stem}.align.txt"),
    )
    assert code == 0 and out.startswith("strict  precision")
    strict_f1 = float(out.split("F1 ")[1].split()[0])
    assert strict_f1 >= 0.8


def test_align_cli_with_a_model_bridge(tiny_model: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "align",
        str(KONTAN),
        str(KONTAN_EN),
        "--out",
        str(tmp_path),
        "--model",
        str(tiny_model),
        "--beams",
        "1",
    )
    assert code == 0, err
    page = (tmp_path / f"{KONTAN.stem}.html").read_text()
    assert f"model:{tiny_model}|rev:sha256:" in page
    beads = parse_beads((tmp_path / f"{KONTAN.stem}.align.txt").read_text())
    assert [i for s, _ in beads for i in s] == list(range(15))


def test_align_cli_presplit(tmp_path: Path) -> None:
    (tmp_path / "a.id").write_text("Harga naik 5 persen.\nPasar tutup.\n")
    (tmp_path / "a.en").write_text("Prices rose 5 percent.\nThe market closed.\n")
    (tmp_path / "b.en").write_text("Prices rose 5 percent.\nThe market closed.\n")
    code, _, err = run(
        "align",
        str(tmp_path / "a.id"),
        str(tmp_path / "a.en"),
        "--presplit",
        "--bridge",
        str(tmp_path / "b.en"),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0, err
    assert (
        (tmp_path / "o" / "a.tsv").read_text()
        == "Harga naik 5 persen.\tPrices rose 5 percent.\nPasar tutup.\tThe market closed.\n"
    )


def test_align_cli_errors(tmp_path: Path) -> None:
    (tmp_path / "short.txt").write_text("one line\n")
    code, _, err = run(
        "align",
        str(KONTAN),
        str(KONTAN_EN),
        "--bridge",
        str(tmp_path / "short.txt"),
        "--out",
        str(tmp_path),
    )
    assert (code, err) == (
        1,
        f"Error: {tmp_path / 'short.txt'} has 1 lines but {KONTAN} has 15 segments (with --presplit, one per non-empty line)\n",
    )
    code, _, err = run("align", str(KONTAN), str(KONTAN_EN), "--bridge", "x", "--no-bridge")
    assert (code, err) == (2, "Error: --bridge and --no-bridge exclude each other\n")
    code, _, err = run(
        "align", str(KONTAN), str(tmp_path / "none.txt"), "--no-bridge", "--out", str(tmp_path)
    )
    assert (code, err) == (1, f"Error: {tmp_path / 'none.txt'}: no such file\n")
    (tmp_path / "bad.align.txt").write_text("[0]:[0]\nnonsense\n")
    code, _, err = run(
        "score-align", str(tmp_path / "bad.align.txt"), str(tmp_path / "bad.align.txt")
    )
    assert (code, err) == (
        1,
        f"Error: {tmp_path / 'bad.align.txt'}: line 2: not a bead like [0, 1]:[0]:0.93: 'nonsense'\n",
    )
