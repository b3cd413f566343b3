"""Required terms placed by the constrained search (translate/constraints.py): every term it
can spell is in the output as written, with random weights, at beam and greedy, fp32 and
int8, in-process and in workers; sentences without terms get the same tokens as without
any term in the batch; a term it cannot place is reported, never dropped silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sejajar.translate.decode import MarianSearch
from sejajar.translate.int8 import quantized
from sejajar.translate.marian import MarianTranslator
from sejajar.translate.required import Speller, holds, missing
from sejajar.translate.split import split_text
from tests.modelfactory import ROOT

KONTAN = (ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt").read_text("utf-8")
ARTICLE = [s.text for s in split_text(KONTAN) if s.kind.value == "sentence"]
SENTENCES = [*ARTICLE[:10], "Ya.", "Harga beras naik."]
# Spelt by the tiny vocabulary (trained on the sample articles and a little English).
TINY_TERMS = [["Korea"], ["Washington", "White House"], [], ["Seoul", "Korea", "Biden"], []]


def terms_for(count: int, pool: list[list[str]]) -> list[list[str]]:
    return [pool[i % len(pool)] for i in range(count)]


def translator(model: Any, tokenizer: Any, beams: int, quantize: str = "none") -> Any:
    return MarianTranslator(
        model, tokenizer, name="m", revision="r", beams=beams, batch_size=8, device="cpu",
        quantize=quantize, kernels="fbgemm" if quantize == "int8" else "onednn",
    )  # fmt: skip


@pytest.mark.parametrize("quantize", ["none", "int8"])
@pytest.mark.parametrize("beams", [1, 2, 4])
def test_search_places_every_term_and_leaves_the_others_alone(
    lively_model: tuple[Any, Any], beams: int, quantize: str
) -> None:
    """int8 scales a batch's activations together: there the sentences without terms still
    get the tokens of their batch without terms."""
    model, tokenizer = lively_model
    search = MarianSearch(quantized(model) if quantize == "int8" else model)
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    caps = [2 * int(n) + 16 for n in enc["attention_mask"].sum(dim=1)]
    terms = terms_for(len(SENTENCES), TINY_TERMS)
    speller = Speller(tokenizer, int(model.final_logits_bias.shape[-1]))
    ids = speller.constraints(terms)
    assert [len(i) for i in ids] == [len(t) for t in terms]  # all spelt
    args = (enc["input_ids"], enc["attention_mask"], caps, beams)
    plain = search.run(*args)
    placed = search.run(*args, constraints=ids, joins=speller.joins)
    for sentence_terms, without, got in zip(terms, plain, placed, strict=True):
        text = tokenizer.decode(got.ids, skip_special_tokens=True)
        assert missing(text, sentence_terms) == ()
        if not sentence_terms:
            assert got == without  # the same tokens as in a batch without terms
    # The terms changed what their sentences say.
    assert any(p != g for p, g, t in zip(plain, placed, terms, strict=True) if t)


@pytest.mark.parametrize("beams", [1, 4])
def test_translator_reports_terms_it_cannot_place(
    lively_model: tuple[Any, Any], beams: int
) -> None:
    model, tokenizer = lively_model
    engine = translator(model, tokenizer, beams)
    too_long = " ".join(["Korea Washington Seoul"] * 12)  # more tokens than the cap holds
    unspelt = "Finance Ministry"  # no "F" in the tiny vocabulary
    texts = ["Ya.", "Harga beras naik.", "Harga beras naik.", SENTENCES[0]]
    terms = [[too_long], [unspelt, "Korea"], [], ["Seoul"]]
    got = engine.translate(texts, terms=terms)
    assert got[0].missing_terms == (too_long,)
    assert got[1].missing_terms == (unspelt,) and holds(got[1].text, "Korea")
    assert got[2].missing_terms == ()
    assert got[3].missing_terms == () and holds(got[3].text, "Seoul")
    assert [t.text for t in engine.translate(texts[2:3])] == [got[2].text]


def test_terms_are_placed_in_worker_processes(lively_model: tuple[Any, Any]) -> None:
    model, tokenizer = lively_model
    engine = translator(model, tokenizer, 4)
    terms = terms_for(len(SENTENCES), TINY_TERMS)
    alone = engine.translate(SENTENCES, terms=terms)
    engine.start_workers(2, 1)
    try:
        pooled = engine.translate(SENTENCES, terms=terms)
        plain = engine.translate(SENTENCES)
    finally:
        engine.close()
    assert pooled == alone
    assert all(t.missing_terms == () for t in pooled)
    assert [p.text for p, t in zip(plain, terms, strict=True) if not t] == [
        a.text for a, t in zip(alone, terms, strict=True) if not t
    ]


def test_a_term_followed_by_more_of_its_word_is_not_the_term(
    lively_model: tuple[Any, Any],
) -> None:
    """``joins`` undoes a term that the next token carries on: the term ends a word."""
    model, tokenizer = lively_model
    speller = Speller(tokenizer, int(model.final_logits_bias.shape[-1]))
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(speller.joins))))
    joined = [p for p, j in zip(pieces, speller.joins.tolist(), strict=True) if j]
    assert joined and all(not p.startswith("\u2581") for p in joined)
    assert not speller.joins[tokenizer.eos_token_id]
    assert holds("the OJK's rule", "OJK") and holds("(OJK) said", "OJK")
    assert not holds("OJKs said", "OJK") and not holds("said ojk", "OJK")


FULL_TERMS = [
    ["Finance Ministry"],
    ["Financial Services Authority (OJK)", "House of Representatives"],
    [],
    ["the police's Criminal Investigation Agency"],
]


@pytest.mark.slow
@pytest.mark.parametrize("quantize", ["none", "int8"])
@pytest.mark.parametrize("beams", [1, 4])
def test_full_model_places_terms(full_model: Path, beams: int, quantize: str) -> None:
    """The real architecture and tokenizer with random weights: every term, as written."""
    from transformers import MarianMTModel, MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(str(full_model))
    model = MarianMTModel.from_pretrained(str(full_model)).eval()
    if quantize == "int8":
        model = quantized(model)
    engine = translator(model, tokenizer, beams, quantize)
    # Short sentences: random weights never end, so each output runs to its cap.
    texts = [
        "Kemenkeu menaikkan pajak.", "OJK dan DPR bertemu di Jakarta.", "Harga beras naik.",
        "Bareskrim memeriksa saksi.",
    ]  # fmt: skip
    terms = terms_for(len(texts), FULL_TERMS)
    got = engine.translate(texts, terms=terms)
    for translation, sentence_terms in zip(got, terms, strict=True):
        assert translation.missing_terms == ()
        assert missing(translation.text, sentence_terms) == ()
    assert got[2].text == engine.translate(texts)[2].text  # no terms: as without any


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_ctranslate2_leaves_sentences_with_terms_to_the_default_engine(
    tiny_model: Path, tmp_path: Path, quantize: str
) -> None:
    from sejajar.jobs.counts import RunCounts
    from sejajar.translate.ct2 import load_ct2
    from sejajar.translate.engines import ModelSettings, open_translator

    settings = ModelSettings(
        model=str(tiny_model), engine="ctranslate2", beams=2, quantize=quantize,
        conversions=tmp_path, workers=1, threads=1,
    )  # fmt: skip
    texts = [SENTENCES[0], "Harga beras naik.", SENTENCES[3]]
    terms = [["Korea"], [], ["Seoul", "Washington"]]
    with open_translator(settings, cache=False) as session:
        got = session().translate(texts, terms=terms)
        assert session.rerouted == 2
    assert all(g.missing_terms == () for g in got)
    assert all(missing(g.text, t) == () for g, t in zip(got, terms, strict=True))
    assert got[1] == load_ct2(settings).translate(texts[1:2])[0]  # CTranslate2's own
    assert "(2 with terms by the default engine" in RunCounts(rerouted=2).render_sentences()


def test_repeated_candidates_and_ranks_within_banks() -> None:
    """The search's two sorts: one of each repeated candidate kept (a valid one), and each
    candidate's rank among those of its bank."""
    import torch

    from sejajar.translate.constraints import _rank_in_group, _repeats

    flat = torch.tensor([[5, 3, 5, 7, 3, 5], [5, 3, 5, 0, 0, 0]])
    valid = torch.tensor([[True, True, True, True, False, True], [False, True, True] * 2])
    assert _repeats(flat, valid).tolist() == [
        [False, False, True, False, True, True],
        [True, False, False, True, False, True],
    ]
    banks = torch.tensor([[2, 0, 2, 1, 0, 2]])
    assert _rank_in_group(banks).tolist() == [[0, 0, 1, 0, 1, 2]]


def test_a_beam_that_just_met_its_term_can_keep_it() -> None:
    """A beam whose last token completed its term, whose best token would carry the term's
    word on (undoing it) and which may not end yet, still gets a candidate that keeps the
    term: its best token that opens a word. Without it, a model that repeats its last piece
    (random weights do) loses the term at every step and reaches its cap without it."""
    import torch

    from sejajar.translate.beam import best_candidates
    from sejajar.translate.constraints import Constraints

    eos, vocab = 0, 8
    joins = torch.tensor([False] * 5 + [True] * 3)  # pieces 5, 6, 7 carry a word on
    terms = Constraints([[[1, 2]]], beams=2, device=torch.device("cpu"), joins=joins)
    terms.pos = torch.tensor([[[2], [0]]])  # beam 0 has just placed 1 2; beam 1 nothing
    terms.just = torch.tensor([[[True], [False]]])
    log_probs = torch.full((1, 2, vocab), -6.0)
    log_probs[0, 0, 5] = -0.1  # beam 0 would carry "2" on
    log_probs[0, 0, 3] = -4.0  # its best word-opening token
    log_probs[0, 1, 4:] = -0.5  # beam 1 scores better everywhere
    log_probs[:, :, eos] = -float("inf")  # too soon to end
    running = torch.tensor([[-10.0, 0.0]])
    terms.ban_end(log_probs, eos)
    top_scores, top = best_candidates(log_probs, running, 4)
    scores, flat = terms.allocate(log_probs, running, top_scores, top, eos)
    kept = [(int(f) // vocab, int(f) % vocab) for f in flat[0]]
    assert kept[0] == (0, 3)  # the fullest bank first: the term kept
    assert terms._pos[0, 0].tolist() == [2]
    assert (0, 5) not in kept[:1] and float(scores[0, 0]) == -14.0


@pytest.mark.slow
@pytest.mark.parametrize("beams", [1, 4])
def test_full_model_keeps_terms_it_would_carry_on(full_model: Path, beams: int) -> None:
    """Random weights repeat their last piece (``Yogyakarta`` then ``ta``), which undoes a
    term that ends a word; with every output forced to 48 tokens (no end before), each term
    is still there at the end."""
    from transformers import MarianMTModel, MarianTokenizer

    from sejajar.translate.benchmarking import BenchmarkOptions

    tokenizer = MarianTokenizer.from_pretrained(str(full_model))
    model = MarianMTModel.from_pretrained(str(full_model)).eval()
    engine = translator(model, tokenizer, beams)
    engine.benchmark = BenchmarkOptions(forced_length=48)
    pool = [
        ["Yogyakarta Special Region"], ["West Nusa Tenggara", "Jakarta"], ["South Sulawesi"],
        ["Directorate General of Customs and Excise"],
    ]  # fmt: skip
    texts = ARTICLE[:8]
    terms = terms_for(len(texts), pool)
    got = engine.translate(texts, terms=terms)
    assert [g.missing_terms for g in got] == [()] * len(texts)
    assert all(missing(g.text, t) == () for g, t in zip(got, terms, strict=True))
