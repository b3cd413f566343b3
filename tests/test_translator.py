"""The translator base class (batching, order, long sentences) and the MarianMT engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sejajar.translate.chunk import split_to_fit
from sejajar.translate.marian import load_marian
from sejajar.translate.translator import Translation, TranslatorError, output_cap
from tests.helpers import FakeTranslator, one_process


def test_batches_are_length_sorted_and_order_is_restored(fake: FakeTranslator) -> None:
    texts = ["a", "a b c d e", "a b", "a b c d e f g", "a b c", "x"]
    out = fake.translate_batch(texts)
    assert out == texts
    assert [len(b) for b in fake.batches] == [4, 2]
    assert fake.batches[0] == ["a b c d e f g", "a b c d e", "a b c", "a b"]


def test_token_budget_limits_a_batch_of_long_sentences() -> None:
    fake = FakeTranslator(batch_size=100)
    fake.token_budget = 20
    fake.translate(["w " * 9] * 5)  # 10 tokens each: two fit the budget
    assert [len(b) for b in fake.batches] == [2, 2, 1]


@given(st.lists(st.text(alphabet="ab ", max_size=30), max_size=40), st.integers(1, 7))
def test_batching_restores_order_for_any_input(texts: list[str], batch_size: int) -> None:
    fake = FakeTranslator(batch_size=batch_size)
    assert fake.translate_batch(texts) == [" ".join(t.split()) for t in texts]


def test_long_sentence_is_split_at_clauses_not_truncated() -> None:
    fake = FakeTranslator(max_input_tokens=12)
    sentence = (
        "Presiden tiba di Jakarta pada pagi hari; rombongan menteri menyambutnya di bandara, "
        "yang dijaga ketat oleh polisi dan tentara sejak malam sebelumnya."
    )
    (result,) = fake.translate([sentence])
    assert result.split_long
    pieces = [p for batch in fake.batches for p in batch]
    assert all(fake.count_tokens(p) <= 12 for p in pieces)
    assert sorted(pieces) == sorted(split_to_fit(sentence, lambda t: fake.count_tokens(t) <= 12))
    assert pieces[0].endswith(";") or any(p.endswith(";") for p in pieces)
    assert result.text.split() == [
        {"presiden": "president", "di": "in", "dan": "and", "yang": "which"}.get(w.lower(), w)
        for w in sentence.split()
    ]


@given(st.text(max_size=400), st.integers(2, 40))
def test_split_to_fit_loses_nothing(text: str, limit: int) -> None:
    pieces = split_to_fit(text, lambda t: len(t) <= limit)
    # Every non-space character survives, in order (a word longer than the limit is cut).
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())
    assert all(len(p) <= limit for p in pieces)


def test_output_cap() -> None:
    assert output_cap(10) == 36


def test_marian_loads_a_local_folder_and_is_deterministic(tiny_model: Path) -> None:
    translator = load_marian(one_process(tiny_model, beams=2, batch_size=2))
    texts = ["Amerika Serikat berjanji.", "Harga naik.", "Korea Selatan setuju dengan AS."]
    kept: dict[str, int] = {}
    finish = translator._finish

    def counting(ids: list[int], ended: bool, cap: int) -> Translation:
        result = finish(ids, ended, cap)
        kept[result.text] = min(len(ids), cap)  # the output tokens it keeps
        return result

    translator._finish = counting  # type: ignore[method-assign]
    first = translator.translate(texts)
    again = load_marian(one_process(tiny_model, beams=2, batch_size=2)).translate(texts)
    assert first == again
    assert all(t.text for t in first)
    assert dict(translator.signature)["rev"].startswith("sha256:")
    # Random weights never stop on their own: every output is cut at its own cap and says so.
    for text, result in zip(texts, first, strict=True):
        assert result.hit_length_cap
        assert kept[result.text] == output_cap(translator.count_tokens(text))


def test_marian_loads_legacy_pytorch_bin(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    legacy = tmp_path / "legacy"
    shutil.copytree(tiny_model, legacy)
    state = load_file(legacy / "model.safetensors")
    (legacy / "model.safetensors").unlink()
    torch.save(state, legacy / "pytorch_model.bin")
    texts = ["Harga naik."]
    assert load_marian(one_process(legacy, beams=1)).translate_batch(texts) == load_marian(
        one_process(tiny_model, beams=1)
    ).translate_batch(texts)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("./no/such/folder", "model folder ./no/such/folder does not exist"),
        ("/no/such/folder", "model folder /no/such/folder does not exist"),
    ],
)
def test_missing_model_folder(name: str, message: str) -> None:
    with pytest.raises(TranslatorError, match="^" + message + "$"):
        load_marian(one_process(name))


def test_incomplete_model_folder(tiny_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "model.safetensors").unlink()
    (broken / "vocab.json").unlink()
    with pytest.raises(TranslatorError, match=r"lacks vocab\.json, model\.safetensors or"):
        load_marian(one_process(broken))


def test_hub_model_unavailable_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(TranslatorError) as info:
        load_marian(one_process("Helsinki-NLP/opus-mt-id-en"))
    assert str(info.value) == (
        "model Helsinki-NLP/opus-mt-id-en is unavailable: HF_HUB_OFFLINE is set and it is not in "
        "the cache. Run once with network access to download it, or pass model DIR (a folder "
        "with config.json, the weights and the tokenizer files)"
    )


def test_cuda_requested_without_cuda(tiny_model: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(TranslatorError, match="device cuda: torch sees no CUDA device"):
        load_marian(one_process(tiny_model, device="cuda"))


def test_output_cap_respects_the_decoder_limit() -> None:
    assert output_cap(400, limit=511) == 511


@pytest.mark.shared
def test_real_tokenizer_fits_long_sentences_to_512(
    full_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real tokenizer counts decide the cut; generation is replaced by a recorder because the
    random full-size model would run every piece to its cap (minutes, and nothing learnt)."""
    translator = load_marian(one_process(full_model, beams=1, batch_size=8))
    assert translator.max_input_tokens == 512
    assert translator.count_tokens("Amerika Serikat pada Rabu (26/4/2023) berjanji.") == 15
    long = " ".join(["Presiden AS Joe Biden bertemu pemimpin Korea Selatan, yang berjanji."] * 60)
    assert translator.count_tokens(long) > 512
    seen: list[str] = []

    def record(texts: list[str]) -> list[Translation]:
        seen.extend(texts)
        return [Translation(t) for t in texts]

    monkeypatch.setattr(translator, "generate", record)
    (result,) = translator.translate([long])
    assert result.split_long and len(seen) >= 2
    assert all(translator.count_tokens(p) <= 512 for p in seen)
    assert result.text == long


def test_unreachable_hub_fails_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One probe, not minutes of retries per file, when the hub cannot be reached."""
    import time

    from huggingface_hub import HfApi

    def unreachable(*args: object, **kwargs: object) -> None:
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(HfApi, "model_info", unreachable)
    start = time.monotonic()
    with pytest.raises(
        TranslatorError, match="not in the cache and the Hugging Face hub could not"
    ):
        load_marian(one_process("someone/not-cached-model"))
    assert time.monotonic() - start < 30


def test_unknown_hub_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    def missing(*args: object, **kwargs: object) -> None:
        import httpx2  # huggingface_hub's own HTTP client

        request = httpx2.Request("GET", "http://127.0.0.1/api/models/someone/typo")
        raise RepositoryNotFoundError("404", response=httpx2.Response(404, request=request))

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(HfApi, "model_info", missing)
    with pytest.raises(
        TranslatorError, match=r"^model someone/typo is not on the Hugging Face hub"
    ):
        load_marian(one_process("someone/typo"))


@pytest.mark.slow
def test_cached_hub_model_works_without_network(tiny_model: Path, tmp_path: Path) -> None:
    """A model downloaded before loads from the hub cache when the hub is unreachable."""
    import os
    import subprocess
    import sys

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "hub" / "models--sejajar--tiny"
    shutil.copytree(tiny_model, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    source = tmp_path / "a.txt"
    source.write_text("Harga naik.\n")
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": "http://127.0.0.1:9"}
    env.pop("HF_HUB_OFFLINE", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sejajar",
            "translate",
            str(source),
            "--out",
            str(tmp_path / "o"),
            "--model",
            "sejajar/tiny",
            "--beams",
            "1",
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "o" / "a.html").read_text()
    assert "model:sejajar/tiny|rev:" in page


def test_errors_name_parameters_and_the_cli_names_flags() -> None:
    """The library speaks of its parameters; the CLI shows the same message with its flags."""
    from sejajar.cli.common import message

    error = TranslatorError("{quantize} int8 runs on the CPU only; use {device} cpu")
    assert str(error) == "quantize int8 runs on the CPU only; use device cpu"
    assert message(error) == "--quantize int8 runs on the CPU only; use --device cpu"
    assert message(TranslatorError("{batch_size} must be at least 1, not 0")) == (
        "--batch-size must be at least 1, not 0"
    )
    # Braces that name no parameter are left alone.
    assert str(TranslatorError("cannot parse {x}")) == "cannot parse {x}"
