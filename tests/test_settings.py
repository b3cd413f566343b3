"""Issue 27: each model setting is declared once, in ModelSettings (default, description, rule);
the loaders take the settings object, and the command line's options are made from it."""

from __future__ import annotations

import dataclasses
import inspect
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.cli.common import flag, message, model_options
from sejajar.core.errors import PARAMETERS, name_parameters
from sejajar.translate.cache import CacheUnavailable
from sejajar.translate.ct2 import CT2Translator, load_ct2
from sejajar.translate.engines import (
    ENGINES,
    ModelSettings,
    TranslatorSession,
    load_translator,
    user_settings,
)
from sejajar.translate.marian import MarianTranslator, load_marian
from sejajar.translate.translator import TranslatorError
from tests.helpers import FakeTranslator

DEFAULTS = {f.name: f.default for f in dataclasses.fields(ModelSettings)}
# The commands that take the model options (see ``model_options``).
MODEL_COMMANDS = ("translate", "align", "corpus", "evaluate")


def _options(command: str) -> dict[str, typer.core.TyperOption]:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {p.name: p for p in click_command.params if p.name}


def test_the_user_settings_are_every_field_but_the_sessions_own() -> None:
    assert list(user_settings()) == [
        "model", "beams", "batch_size", "device", "engine", "quantize", "threads", "workers",
        "calibrate", "plan", "glossary",
    ]  # fmt: skip
    assert set(DEFAULTS) - set(user_settings()) == {"conversions", "workload", "rivals"}
    # Every setting can be named in a message, as the command line names it.
    assert set(user_settings()) <= set(PARAMETERS)


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_setting_is_an_option_with_its_default_help_and_rule(command: str) -> None:
    options = _options(command)
    for name, about in user_settings().items():
        option = options[name]
        assert option.opts == [flag(name)]
        default = option.default.value if isinstance(option.default, Enum) else option.default
        if option.multiple:  # a repeatable option (--glossary): none given is its default
            default = tuple(default or ())
        if name == "engine":  # left out: None, told apart from the default engine given
            assert (default, option.show_default) == (None, DEFAULTS[name])
        else:
            assert default == DEFAULTS[name]
        assert option.help is not None
        assert option.help.startswith(name_parameters(about.help, flag).removesuffix("."))
        if about.unset is not None:  # shown as a default, not as text rich takes for markup
            assert option.show_default == about.unset and "[" not in option.help
        assert option.min == about.least
        if about.choices:
            assert [c.value for c in _choices(option)] == list(about.choices)
    assert options["calibrate"].secondary_opts == ["--no-calibrate"]
    assert options["glossary"].multiple and not options["beams"].multiple
    assert "{" not in options["calibrate"].help  # "(not with --workers or --threads)"
    assert (options["model"].envvar, options["calibrate"].envvar, options["plan"].envvar) == (
        "SEJAJAR_MODEL",
        "SEJAJAR_CALIBRATE",
        "SEJAJAR_PLAN",
    )
    assert all(options[name].envvar == about.envvar for name, about in user_settings().items())


def _choices(option: typer.core.TyperOption) -> Any:
    """The Enum of an option's choices."""
    return option.type_descriptor.annotation


def test_the_engine_choices_are_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [c.value for c in _choices(_options("translate")["engine"])] == list(ENGINES)
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
        ({"quantize": "int4"}, "--quantize must be none, int8 or bf16, not int4"),
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
        # load_marian's ``bake`` is sejajar calibrate's request and ``rival`` its caller's
        # (see translate/rival.py), no settings.
        parameters = list(inspect.signature(loader).parameters)
        assert parameters in (["settings"], ["settings", "bake", "rival"])
    for engine in (MarianTranslator, CT2Translator):
        parameters = inspect.signature(engine.__init__).parameters.values()
        assert not [p.name for p in parameters if p.default is not inspect.Parameter.empty]


def test_model_options_hand_the_command_settings_and_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SEJAJAR_CALIBRATE")  # conftest's: the CLI's default is under test
    monkeypatch.delenv("SEJAJAR_MODEL", raising=False)
    seen: list[tuple[ModelSettings, Path | bool]] = []
    probe = typer.Typer()

    @probe.command()
    @model_options
    def show(*, settings: ModelSettings, cache: Path | bool) -> None:
        seen.append((settings, cache))

    runner = CliRunner()
    assert runner.invoke(probe, []).exit_code == 0
    assert seen.pop() == (ModelSettings(), True)
    argv = ["--beams", "1", "--engine", "ctranslate2", "--no-calibrate", "--cache", "c.sqlite"]
    assert runner.invoke(probe, argv).exit_code == 0
    assert seen.pop() == (
        ModelSettings(beams=1, engine="ctranslate2", calibrate=False, rivals=False),
        Path("c.sqlite"),
    )
    # An engine given is binding, the default one too (see translate/rival.py).
    assert runner.invoke(probe, ["--engine", "transformers"]).exit_code == 0
    assert seen.pop() == (ModelSettings(rivals=False), True)
    assert runner.invoke(probe, ["--no-cache", "--cache", str(tmp_path)]).exit_code == 0
    assert seen.pop()[1] is False
    result = runner.invoke(probe, ["--cache", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: --cache {tmp_path} is a folder; give the path of a file\n",
    )
    assert not seen


def test_a_session_refuses_a_folder_as_its_cache(tmp_path: Path) -> None:
    with pytest.raises(CacheUnavailable) as info:
        TranslatorSession(ModelSettings(), tmp_path)
    assert message(info.value) == f"--cache {tmp_path} is a folder; give the path of a file"
    assert str(info.value) == f"cache {tmp_path} is a folder; give the path of a file"
