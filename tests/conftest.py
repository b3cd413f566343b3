"""Shared fixtures: sample texts, a deterministic fake translator, and a tiny real Marian model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from sejajar.translate.translator import Translation, Translator
from tests.modelfactory import ROOT, SHARED_TOKENIZER, build_full_model, build_tiny_model

SHARED_DATA = ROOT.parent / "shared" / "data"

GLOSSARY = {
    "amerika": "america",
    "serikat": "united",
    "korea": "korea",
    "selatan": "south",
    "utara": "north",
    "dan": "and",
    "di": "in",
    "yang": "which",
    "kata": "said",
    "presiden": "president",
    "harga": "price",
    "naik": "rises",
    "turun": "falls",
}


class FakeTranslator(Translator):
    """Word-by-word glossary lookup: deterministic, readable, and it records its batches."""

    def __init__(self, max_input_tokens: int = 512, batch_size: int = 4) -> None:
        self.max_input_tokens = max_input_tokens
        self.batch_size = batch_size
        self.batches: list[list[str]] = []

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        return (("model", "fake-glossary"), ("rev", "1"), ("beams", "1"))

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def generate(self, texts: Sequence[str]) -> list[Translation]:
        self.batches.append(list(texts))
        return [Translation(" ".join(GLOSSARY.get(w.lower(), w) for w in t.split())) for t in texts]


def require_shared(what: str, path: Path) -> None:
    """Skip where ``../shared`` is absent; fail instead when SEJAJAR_REQUIRE_SHARED=1 (CI), so a
    green run cannot hide tests that never ran."""
    if path.exists():
        return
    if os.environ.get("SEJAJAR_REQUIRE_SHARED") == "1":
        pytest.fail(f"{what} is missing but SEJAJAR_REQUIRE_SHARED=1")
    pytest.skip(f"{what} is not here")


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty cache folder: tests never touch the user's cache, nor
    each other's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture
def fake() -> FakeTranslator:
    return FakeTranslator()


@pytest.fixture(scope="session")
def sample_texts() -> dict[str, str]:
    return {
        p.name.removesuffix(".txt"): p.read_text("utf-8")
        for p in sorted((ROOT / "texts").glob("*.txt"))
    }


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A loadable one-layer Marian model folder (random weights, real sentencepiece)."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def full_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real opus-mt-id-en tokenizer and architecture with random weights."""
    require_shared("../shared/models/opus-mt-id-en-tokenizer", SHARED_TOKENIZER)
    return build_full_model(tmp_path_factory.mktemp("models") / "full")
