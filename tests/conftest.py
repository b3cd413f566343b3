"""Shared fixtures: a private cache per test, torch's process-wide settings restored after
each, sample texts, the fake translator, and tiny and full-size Marian models built locally,
calibration switched on for the tests of it (helpers.py holds the plain helpers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FakeTranslator, require_shared
from tests.modelfactory import ROOT, SHARED_TOKENIZER, build_full_model, build_tiny_model
from tests.servers import Server, private_env, tiny_serving

# The team review's fixtures (databases, seeded data, a served review, signed-in clients).
pytest_plugins = ("tests.reviewing",)


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty cache folder (and data folder): tests never touch the
    user's cache or data, nor each other's. Calibration at load is off (it would time every model each test loads);
    tests/test_calibrate.py turns it on."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "data"))
    monkeypatch.delenv("SEJAJAR_DB", raising=False)
    monkeypatch.setenv("SEJAJAR_CALIBRATE", "0")
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
def lively_model(tiny_model: Path) -> tuple[Any, Any]:
    """The tiny vocabulary under a two-layer model whose outputs depend on the source and end
    at different lengths (the tiny model itself says the same thing for every sentence)."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(str(tiny_model))
    base = MarianMTModel.from_pretrained(str(tiny_model))
    config = base.config.to_dict()
    config.update(
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        init_std=0.5,
    )
    torch.manual_seed(1)
    model = MarianMTModel(MarianConfig(**config)).eval()
    model.generation_config = base.generation_config
    with torch.no_grad():
        model.final_logits_bias[0, model.config.eos_token_id] += 9.0
        # A likely banned token (the pad), so that renormalising after banning it matters.
        model.final_logits_bias[0, model.config.pad_token_id] += 9.0
    return model, tokenizer


@pytest.fixture(scope="session")
def full_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real opus-mt-id-en tokenizer and architecture with random weights."""
    require_shared("../shared/models/opus-mt-id-en-tokenizer", SHARED_TOKENIZER)
    return build_full_model(tmp_path_factory.mktemp("models") / "full")


@pytest.fixture
def calibrating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calibration on (``private_cache`` turns it off): the calibration tests."""
    monkeypatch.setenv("SEJAJAR_CALIBRATE", "1")


@pytest.fixture(autouse=True)
def torch_settings() -> Iterator[None]:
    """Torch's process-wide settings put back as the test found them: the threads and the
    quantized engine (loading a model sets them), grad mode and the default dtype, and the
    random generator (tests seed it). So no test sees another's, in any order
    (tests/test_fixtures.py shows it)."""
    import torch

    threads, engine = torch.get_num_threads(), torch.backends.quantized.engine
    grad, dtype, rng = torch.is_grad_enabled(), torch.get_default_dtype(), torch.get_rng_state()
    yield
    torch.set_num_threads(threads)
    torch.backends.quantized.engine = engine
    torch.set_grad_enabled(grad)
    torch.set_default_dtype(dtype)
    torch.set_rng_state(rng)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium (tests/browsers.py), quit after the test."""
    from tests.browsers import start_browser

    driver = start_browser(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A module's ``sejajar serve`` environment (see ``tests.servers.private_env``)."""
    return private_env(tmp_path_factory.mktemp("xdg"))


@pytest.fixture(scope="module")
def server(tiny_model: Path, env: dict[str, str]) -> Iterator[Server]:
    """The tiny model served for a module's tests (see ``tests.servers.tiny_serving``)."""
    with tiny_serving(tiny_model, env) as running:
        yield running
