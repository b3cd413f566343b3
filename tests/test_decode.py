"""sejajar's own search gives exactly what transformers' ``generate`` gives on the same model:
greedy and beam search, sentences that end and sentences cut at their cap, each generation
setting a Marian model can carry, and each sentence's own cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from sejajar.translate.decode import Decoded, MarianSearch
from sejajar.translate.split import split_text
from tests.modelfactory import ROOT

KONTAN = (ROOT / "texts" / "kontan-2023-04-26-us-south-korea.id.txt").read_text("utf-8")
ARTICLE = [s.text for s in split_text(KONTAN) if s.kind.value == "sentence"]
SENTENCES = [*ARTICLE[:12], "Ya.", "Harga beras naik."]


def reference(model: Any, enc: Any, beams: int, cap: int) -> list[Decoded]:
    """What ``generate`` returns, as sejajar's search reports it."""
    import torch

    with torch.inference_mode():
        out = model.generate(
            **enc, num_beams=beams, max_new_tokens=cap, forced_eos_token_id=None, do_sample=False
        )
    eos, pad = model.generation_config.eos_token_id, model.generation_config.pad_token_id
    results = []
    for row in out.tolist():
        tokens = row[1:]
        ended = eos in tokens
        tokens = tokens[: tokens.index(eos)] if ended else tokens
        results.append(Decoded([t for t in tokens if t != pad], ended))
    return results


SETTINGS = [
    {},
    {"renormalize_logits": True},  # as opus-mt-id-en's own generation config
    {"length_penalty": 0.6},
    {"length_penalty": 1.4, "early_stopping": "never"},
    {"early_stopping": True},
]


@pytest.mark.parametrize("beams", [1, 2, 4])
@pytest.mark.parametrize(
    "setting", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "defaults"
)
def test_search_matches_generate(
    lively_model: tuple[Any, Any], beams: int, setting: dict[str, Any]
) -> None:
    model, tokenizer = lively_model
    saved = model.generation_config
    model.generation_config = saved.__class__(**{**saved.to_dict(), **setting})
    try:
        enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
        expected = reference(model, enc, beams, cap=30)
        got = MarianSearch(model).run(
            enc["input_ids"], enc["attention_mask"], [30] * len(SENTENCES), beams
        )
    finally:
        model.generation_config = saved
    assert got == expected
    if not setting:
        # The comparison covers both ways a search stops: some sentences end, others hit the
        # cap (with a length penalty over 1, none may end: longer outputs score better).
        assert any(d.ended and d.ids for d in got)
        assert any(not d.ended for d in got)


@pytest.mark.parametrize("beams", [1, 4])
def test_each_sentence_stops_at_its_own_cap(lively_model: tuple[Any, Any], beams: int) -> None:
    """A batch with different caps gives each sentence what ``generate`` gives it alone."""
    model, tokenizer = lively_model
    caps = [5 + 3 * i for i in range(len(SENTENCES))]
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    got = MarianSearch(model).run(enc["input_ids"], enc["attention_mask"], caps, beams)
    for sentence, cap, result in zip(SENTENCES, caps, got, strict=True):
        alone = reference(model, tokenizer([sentence], return_tensors="pt"), beams, cap)
        assert result == alone[0]
        assert len(result.ids) + result.ended <= cap


@pytest.mark.parametrize("beams", [1, 4])
def test_long_outputs_grow_the_buffers(lively_model: tuple[Any, Any], beams: int) -> None:
    """Outputs past the first 32 steps (where the key/value buffers double) and sentences that
    leave the batch early, beside ones that run to the cap."""
    model, tokenizer = lively_model
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    got = MarianSearch(model).run(
        enc["input_ids"], enc["attention_mask"], [80] * len(SENTENCES), beams
    )
    assert got == reference(model, enc, beams, cap=80)
    assert max(len(d.ids) for d in got) > 64


def test_min_tokens_forces_length(lively_model: tuple[Any, Any]) -> None:
    model, tokenizer = lively_model
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    for beams in (1, 4):
        got = MarianSearch(model).run(
            enc["input_ids"], enc["attention_mask"], [12] * len(SENTENCES), beams, min_tokens=12
        )
        assert all(len(d.ids) == 12 and not d.ended for d in got)


def test_fast_linear_agrees_with_torch() -> None:
    import torch

    from sejajar.translate.onednn import Linears

    torch.manual_seed(0)
    layer, output = torch.nn.Linear(64, 300).eval(), torch.nn.Linear(64, 500).eval()
    linears = Linears(packed=(output,))
    x = torch.randn(7, 1, 64)
    with torch.inference_mode():
        for module in (layer, output):
            assert torch.allclose(linears(module)(x), module(x), atol=1e-5)
            if torch.backends.mkldnn.is_available():
                assert linears(module) is not module  # the fast path, where oneDNN is there
    # oneDNN for the named layers only (the "mixed" kernels): the others run as they are.
    only = Linears(packed=(output,), only=(output,))
    with torch.inference_mode():
        assert only(layer) is layer
        assert torch.allclose(only(output)(x), output(x), atol=1e-5)
        if torch.backends.mkldnn.is_available():
            assert only(output) is not output


@pytest.mark.shared
@pytest.mark.parametrize("onednn", [True, "output"])
@pytest.mark.parametrize("beams", [1, 4])
def test_search_matches_generate_full_size(
    full_model: Path, beams: int, onednn: bool | Literal["output"]
) -> None:
    """The real opus-mt-id-en architecture and tokenizer (random weights), with oneDNN for
    every layer and for the output projection only (the "mixed" kernels)."""
    from transformers import MarianMTModel, MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(str(full_model))
    model = MarianMTModel.from_pretrained(str(full_model)).eval()
    enc = tokenizer(SENTENCES[:6], return_tensors="pt", padding=True)
    search = MarianSearch(model, onednn=onednn)
    assert search.linear.only == ({id(model.lm_head)} if onednn == "output" else None)
    got = search.run(enc["input_ids"], enc["attention_mask"], [24] * 6, beams)
    assert got == reference(model, enc, beams, cap=24)


@pytest.mark.parametrize("vocab", [997, 1024, 54796])
@pytest.mark.parametrize("chunk", [7, 64, 256, 5000])
def test_best_candidates_are_the_top_totals(vocab: int, chunk: int) -> None:
    """Ranking blocks of tokens first picks what a top-k over every beam's whole vocabulary
    picks: same totals, same positions (a last block shorter than the others, banned tokens
    at minus infinity, beams ruled out by a very low score, blocks fewer than candidates)."""
    import torch

    from sejajar.translate.beam import best_candidates
    from sejajar.translate.search_state import NEG

    generator = torch.Generator().manual_seed(vocab + chunk)
    items, beams, wide = 3, 4, 8
    log_probs = torch.randn(items, beams, vocab, generator=generator).mul_(4).log_softmax(-1)
    log_probs[:, :, [0, 5]] = -float("inf")
    log_probs[:, 2, vocab - 1] = -0.01  # the last token, in a short block, among the best
    scores = torch.randn(items, beams, generator=generator) * 3
    scores[1, 1:] = NEG  # the first step: only the first beam counts
    totals = (log_probs + scores[:, :, None]).view(items, -1)
    expected_scores, expected_positions = torch.topk(totals, wide)
    got_scores, got_positions = best_candidates(log_probs, scores, wide, chunk)
    assert torch.equal(got_scores, expected_scores)
    assert torch.equal(got_positions, expected_positions)


@pytest.mark.parametrize("vocab", [997, 1024, 54796])
@pytest.mark.parametrize("chunk", [7, 256, 5000])
def test_row_max_is_max_with_its_first_index(vocab: int, chunk: int) -> None:
    """Each row's largest value and where it first stands, by blocks, as ``max`` gives them:
    the best in a short last block, two equal best values (the first one), a row of banned
    tokens but one, with maxima given or computed."""
    import torch

    from sejajar.translate.beam import block_maxima, row_max

    generator = torch.Generator().manual_seed(vocab * chunk)
    values = torch.randn(3, 4, vocab, generator=generator).log_softmax(-1)
    values[0, 1, vocab - 1] = 5.0  # in the last block
    values[1, 2, [3, vocab - 2]] = 7.0  # a tie: the first place counts
    values[2, 0] = -float("inf")
    values[2, 0, vocab // 2] = -3.0
    expected = values.max(dim=-1)
    for maxima in (None, block_maxima(values, chunk)):
        best, where = row_max(values, maxima, chunk)
        assert torch.equal(best, expected.values)
        assert torch.equal(where, expected.indices)
    assert where[1, 2] == 3 and where[0, 1] == vocab - 1


@pytest.mark.parametrize("beams", [1, 2, 4])
def test_search_with_small_blocks_matches_generate(
    lively_model: tuple[Any, Any], beams: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidates ranked (and greedy's best token found) by blocks of a few tokens (many
    blocks, a short last one) give what ``generate`` gives."""
    from sejajar.translate import beam

    monkeypatch.setattr(beam, "CHUNK", 5)
    model, tokenizer = lively_model
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    got = MarianSearch(model).run(
        enc["input_ids"], enc["attention_mask"], [30] * len(SENTENCES), beams
    )
    assert got == reference(model, enc, beams, cap=30)
