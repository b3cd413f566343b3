"""The search never ends a run because of something it does not implement: the private oneDNN
ops are probed once and dropped when they fail or disagree, and a generation config the search
cannot follow is left to transformers' ``generate``. Either way the translations are the ones
``generate`` gives."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sejajar.translate.marian import MarianTranslator, load_marian
from tests.helpers import one_process
from tests.test_decode import SENTENCES, reference

TEXTS = ["Amerika Serikat berjanji.", "Harga naik.", "Korea Selatan setuju dengan AS."]


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    """The probe runs again for this test, and again for the next one (not on patched ops)."""
    from sejajar.translate import onednn

    onednn.forget_probe()
    yield
    onednn.forget_probe()


def _wrong(*args: Any) -> Any:
    import torch

    x, weight, bias = args[0], args[1], args[2]
    out = torch.nn.functional.linear(x, weight, bias)  # a plain weight only: right shape
    return out + 1.0


def _broken(*args: Any) -> Any:
    raise RuntimeError("mkldnn::_linear_pointwise: no kernel for this build")


@pytest.mark.parametrize("op", [_broken, _wrong], ids=["raises", "wrong-numbers"])
@pytest.mark.parametrize("beams", [1, 4])
def test_failing_onednn_ops_fall_back_to_plain_layers(
    lively_model: tuple[Any, Any],
    fresh_probe: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    op: Any,
    beams: int,
) -> None:
    import torch

    from sejajar.translate.decode import MarianSearch
    from sejajar.translate.onednn import onednn_works

    if not hasattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise"):
        pytest.skip("this torch has no oneDNN linear op to replace")
    model, tokenizer = lively_model
    monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", op)
    with caplog.at_level(logging.DEBUG, logger="sejajar.translate.onednn"):
        search = MarianSearch(model)
    assert not onednn_works()
    assert "plain modules" in caplog.text
    assert search.linear(model.lm_head) is model.lm_head  # the module itself, not the op
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    got = search.run(enc["input_ids"], enc["attention_mask"], [30] * len(SENTENCES), beams)
    assert got == reference(model, enc, beams, cap=30)


def test_the_probe_runs_once(fresh_probe: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from sejajar.translate import onednn

    calls = []
    real = onednn._probe
    monkeypatch.setattr(onednn, "_probe", lambda dtype: calls.append(dtype) or real(dtype))
    first = onednn.Linears()
    second = onednn.Linears()
    assert first.onednn == second.onednn == onednn.onednn_works()
    assert calls == [torch.float32]
    # bf16 is probed on its own, once too.
    assert onednn.Linears(dtype=torch.bfloat16).onednn == onednn.onednn_works(torch.bfloat16)
    onednn.Linears(dtype=torch.bfloat16)
    assert calls == [torch.float32, torch.bfloat16]
    if torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        assert first.onednn  # this machine's torch passes the probe


def _unsupported_model(tiny_model: Path, setting: dict[str, Any]) -> MarianTranslator:
    translator = load_marian(one_process(tiny_model, beams=2, batch_size=2))
    gen = translator.model.generation_config
    translator.model.generation_config = gen.__class__(**{**gen.to_dict(), **setting})
    return translator


UNSUPPORTED = [
    {"bad_words_ids": [[5, 6]]},  # rejected since the search was written: multi-token words
    {"repetition_penalty": 1.3},  # a logits processor the search does not implement
]


@pytest.mark.parametrize("setting", UNSUPPORTED, ids=lambda s: next(iter(s)))
@pytest.mark.parametrize("beams", [1, 2])
def test_unsupported_generation_config_uses_generate(
    tiny_model: Path, setting: dict[str, Any], beams: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, such a config ended the run in "unexpected ValueError ... a bug in sejajar"."""
    from sejajar.translate.decode import MarianSearch, UnsupportedSettings

    translator = _unsupported_model(tiny_model, setting)
    translator.beams = beams
    with pytest.raises(UnsupportedSettings):
        MarianSearch(translator.model)
    with caplog.at_level(logging.DEBUG, logger="sejajar.translate.marian"):
        got = translator.generate(TEXTS)
    assert "model.generate" in caplog.text
    enc = translator.tokenizer(TEXTS, return_tensors="pt", padding=True)
    caps = translator._caps([int(n) for n in enc["attention_mask"].sum(dim=1)], 511)
    expected = [
        translator._finish(d.ids, d.ended, cap)
        for d, cap in zip(reference(translator.model, enc, beams, max(caps)), caps, strict=True)
    ]
    assert got == expected
    assert all(t.text for t in got)
    # And through the whole translate() path.
    assert translator.translate(TEXTS) == expected


@pytest.mark.parametrize("beams", [1, 3])
def test_generate_fallback_equals_generate(lively_model: tuple[Any, Any], beams: int) -> None:
    """The fallback reports exactly what ``generate`` gives, ended and capped outputs alike."""
    from sejajar.translate.fallback import generate

    model, tokenizer = lively_model
    enc = tokenizer(SENTENCES, return_tensors="pt", padding=True)
    got = generate(model, enc["input_ids"], enc["attention_mask"], [30] * len(SENTENCES), beams)
    assert got == reference(model, enc, beams, cap=30)
