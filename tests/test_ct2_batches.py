"""The CTranslate2 engine runs each batch to its own longest cap (one call with the largest
cap of all made every sentence run to it), and lays out its threads as the default engine."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sejajar.translate.ct2 import CT2Translator, load_ct2
from sejajar.translate.engines import ModelSettings
from sejajar.translate.translator import output_cap

# Lengths 1, 3, 20, 40 and 2 words: caps far apart.
TEXTS = [
    "Naik.",
    "Harga beras naik.",
    " ".join(["Presiden tiba di Jakarta pada Senin pagi."] * 3),
    " ".join(["Harga beras naik tajam di pasar induk kota besar."] * 5),
    "Warga tenang.",
]


class Recorder:
    """Stands in for ctranslate2.Translator: records each call, echoes the source."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[list[str]], dict[str, Any]]] = []

    def translate_batch(self, tokens: list[list[str]], **options: Any) -> list[Any]:
        self.calls.append((tokens, options))
        results = [_Result([*t[:-1], "</s>"]) for t in tokens]
        return [_Async(r) for r in results] if options.get("asynchronous") else results


class _Result:
    def __init__(self, hypothesis: list[str]) -> None:
        self.hypotheses = [hypothesis]


class _Async:
    def __init__(self, result: _Result) -> None:
        self._result = result

    def result(self) -> _Result:
        return self._result


def test_each_batch_runs_to_its_own_cap(tiny_model: Path) -> None:
    from transformers import MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(str(tiny_model))
    recorder = Recorder()
    engine = CT2Translator(
        recorder, tokenizer, name="tiny", revision="r", beams=2, batch_size=2, quantize="none",
        max_positions=512, settings=None,
    )  # fmt: skip
    got = engine.translate(TEXTS)
    # The echo comes back in input order.
    assert [t.text for t in got] == [" ".join(tokenizer.decode(tokenizer(x)["input_ids"],
        skip_special_tokens=True).split()) for x in TEXTS]  # fmt: skip
    caps = {
        tuple(tokenizer.convert_ids_to_tokens(tokenizer(x)["input_ids"])): output_cap(
            len(tokenizer(x)["input_ids"]), 511
        )
        for x in TEXTS
    }
    assert len(recorder.calls) >= 3  # 5 sentences, batches of 2 at most (caps far apart: more)
    seen = []
    for tokens, options in recorder.calls:
        assert len(tokens) <= 2
        assert options["max_decoding_length"] == max(caps[tuple(t)] for t in tokens)
        seen.extend(caps[tuple(t)] for t in tokens)
    assert seen == sorted(caps.values(), reverse=True)  # length-sorted groups


def test_a_batch_holds_caps_within_the_spread_of_its_largest(tiny_model: Path) -> None:
    """Batches of 16 here, but caps far apart: a short sentence never waits in a long one's
    batch (an output that never ends would run to that batch's cap)."""
    from sejajar.translate.ct2 import CAP_SPREAD
    from sejajar.translate.pieces import load_tokenizer

    tokenizer = load_tokenizer(tiny_model)
    recorder = Recorder()
    engine = CT2Translator(
        recorder, tokenizer, name="tiny", revision="r", beams=2, batch_size=16, quantize="none",
        max_positions=512, settings=None,
    )  # fmt: skip
    texts = TEXTS * 4  # 20 sentences, caps of five sizes
    got = engine.translate(texts)
    assert len(got) == 20
    sizes = []
    for tokens, options in recorder.calls:
        caps = [output_cap(len(t), 511) for t in tokens]
        assert max(caps) == options["max_decoding_length"]
        assert min(caps) * CAP_SPREAD >= max(caps)
        sizes.append(len(tokens))
    assert sum(sizes) == 20 and len(sizes) < 20  # similar caps still share a batch


def test_threads_follow_the_default_engines_layout(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ctranslate2

    made: list[dict[str, Any]] = []

    def translator(path: str, **options: Any) -> object:
        made.append(options)
        return object()

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    settings = ModelSettings(model=str(tiny_model), device="cpu", conversions=tmp_path)
    load_ct2(settings)  # converts once for real
    monkeypatch.setattr(ctranslate2, "Translator", translator)
    layouts = {}
    for workers, threads in [(None, None), (None, 2), (2, None), (2, 2)]:
        load_ct2(replace(settings, workers=workers, threads=threads))
        layouts[workers, threads] = (made[-1]["inter_threads"], made[-1]["intra_threads"])
    assert layouts == {
        (None, None): (3, 1),  # one single-threaded worker per usable core
        (None, 2): (1, 2),  # --threads alone: one process of N threads, as the README says
        (2, None): (2, 1),
        (2, 2): (2, 2),
    }
