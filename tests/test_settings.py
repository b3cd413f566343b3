"""Issue 27: each model setting is declared once, in ModelSettings (default, description, rule);
the loaders take the settings object."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from sejajar.cli.common import message
from sejajar.translate.ct2 import CT2Translator, load_ct2
from sejajar.translate.engines import (
    ENGINES,
    ModelSettings,
    load_translator,
    user_settings,
)
from sejajar.translate.marian import MarianTranslator, load_marian
from sejajar.translate.translator import TranslatorError
from tests.helpers import FakeTranslator

DEFAULTS = {f.name: f.default for f in dataclasses.fields(ModelSettings)}


def test_the_user_settings_are_every_field_but_the_sessions_own() -> None:
    assert list(user_settings()) == [
        "model", "beams", "batch_size", "device", "engine", "quantize", "threads", "workers",
        "calibrate",
    ]  # fmt: skip
    assert set(DEFAULTS) - set(user_settings()) == {"conversions"}


def test_the_engine_choices_are_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TranslatorError, match=r"^engine must be transformers or ctranslate2"):
        ModelSettings(engine="fake")
    monkeypatch.setitem(ENGINES, "fake", lambda settings: FakeTranslator())
    assert isinstance(load_translator(ModelSettings(engine="fake")), FakeTranslator)


@pytest.mark.parametrize(
    ("setting", "refused"),
    [
        ({"beams": 0}, "--beams must be at least 1, not 0"),
        ({"batch_size": -1}, "--batch-size must be at least 1, not -1"),
        ({"threads": 0}, "--threads must be at least 1, not 0"),
        ({"workers": 0}, "--workers must be at least 1, not 0"),
        ({"engine": "marian"}, "--engine must be transformers or ctranslate2, not marian"),
        ({"quantize": "int4"}, "--quantize must be none or int8, not int4"),
        ({"device": "tpu"}, "--device must be auto, cpu or cuda, not tpu"),
    ],
)
def test_an_invalid_setting_is_refused_when_the_settings_are_made(
    setting: dict[str, object], refused: str
) -> None:
    with pytest.raises(TranslatorError) as info:
        ModelSettings(**setting)  # type: ignore[arg-type]
    assert message(info.value) == refused
    with pytest.raises(TranslatorError):  # a copy changed to it, too
        dataclasses.replace(ModelSettings(), **setting)  # type: ignore[arg-type]


def test_the_loaders_take_the_settings_and_restate_no_default() -> None:
    """One default per setting: the loaders and engines have none of their own to disagree
    with ModelSettings' (load_marian's workers and calibrate once did)."""
    for loader in (load_marian, load_ct2):
        assert list(inspect.signature(loader).parameters) == ["settings"]
    for engine in (MarianTranslator, CT2Translator):
        parameters = inspect.signature(engine.__init__).parameters.values()
        assert not [p.name for p in parameters if p.default is not inspect.Parameter.empty]
