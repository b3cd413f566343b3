"""Speed options: the CTranslate2 engine gives the default engine's output on the same weights,
int8 quantisation runs, and the options' errors are one line."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.translate.ct2 import load_ct2
from sejajar.translate.engines import ModelSettings
from sejajar.translate.marian import load_marian
from sejajar.translate.translator import TranslatorError
from tests.helpers import KONTAN, one_process

TEXTS = [
    "Amerika Serikat pada Rabu (26/4/2023) berjanji memberi Korea Selatan wawasan.",
    "Harga naik.",
    "Biden mengulangi tawaran AS kepada Korea Utara untuk mengadakan pembicaraan.",
]


@pytest.mark.parametrize("beams", [1, 3])
def test_ctranslate2_matches_transformers(tiny_model: Path, tmp_path: Path, beams: int) -> None:
    reference = load_marian(one_process(tiny_model, beams=beams)).translate(TEXTS)
    fast = load_ct2(
        ModelSettings(model=str(tiny_model), beams=beams, conversions=tmp_path)
    ).translate(TEXTS)
    if beams == 1:  # greedy, fp32: the same text, caps and token counts
        assert fast == reference
    else:  # beam search implementations may break ties differently; the plumbing must agree
        assert [f.hit_length_cap for f in fast] == [r.hit_length_cap for r in reference]


def test_conversion_is_cached_per_revision(tiny_model: Path, tmp_path: Path) -> None:
    load_ct2(ModelSettings(model=str(tiny_model), beams=1, conversions=tmp_path))
    (converted,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    stamp = (converted / "model.bin").stat().st_mtime_ns
    second = load_ct2(
        ModelSettings(model=str(tiny_model), beams=1, conversions=tmp_path, quantize="int8")
    )
    assert (converted / "model.bin").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [converted.name, converted.name.replace("-none", "-int8")]
    )
    assert dict(second.signature)["quantize"] == "int8"
    assert all(t.text for t in second.translate(TEXTS))


def test_int8_transformers_runs_and_is_deterministic(tiny_model: Path) -> None:
    first = load_marian(one_process(tiny_model, beams=1, quantize="int8"))
    assert dict(first.signature)["quantize"] == "int8"
    assert first.translate(TEXTS) == load_marian(
        one_process(tiny_model, beams=1, quantize="int8")
    ).translate(TEXTS)


def test_cli_engines_write_the_same_outputs(tiny_model: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for engine in ("transformers", "ctranslate2"):
        result = runner.invoke(
            app,
            [
                "translate",
                str(KONTAN),
                "--out",
                str(tmp_path / engine),
                "--model",
                str(tiny_model),
                "--beams",
                "1",
                "--engine",
                engine,
                "--no-cache",
            ],
        )
        assert result.exit_code == 0, result.stderr
    tsv = KONTAN.stem + ".tsv"
    assert (tmp_path / "transformers" / tsv).read_text() == (
        tmp_path / "ctranslate2" / tsv
    ).read_text()
    assert (
        "engine:ctranslate2|quantize:none"
        in (tmp_path / "ctranslate2" / (KONTAN.stem + ".html")).read_text()
    )


def test_option_errors(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    base = [
        "translate",
        str(KONTAN),
        "--out",
        str(tmp_path),
        "--model",
        str(tiny_model),
        "--no-cache",
    ]
    result = runner.invoke(app, [*base, "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.stderr
    result = runner.invoke(app, [*base, "--quantize", "int4"])
    assert result.exit_code == 2
    real_import = builtins.__import__

    def no_ct2(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ctranslate2":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ct2)
    with pytest.raises(
        TranslatorError, match=r"needs the ctranslate2 package: pip install 'sejajar\[ct2\]'"
    ):
        load_ct2(ModelSettings(model=str(tiny_model)))


def test_a_config_that_does_not_match_its_weights_says_how(
    tiny_model: Path, tmp_path: Path
) -> None:
    """Issue 25, item 19: transformers' own words were "look at the above report", which it
    logs where the user does not see it."""
    import json
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    config = json.loads((folder / "config.json").read_text())
    width = config["d_model"]
    config["d_model"] = width * 2
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(TranslatorError) as error:
        load_marian(one_process(folder))
    assert str(error.value) == (
        f"cannot load the model in {folder}: config.json says d_model {width * 2} but the weights "
        f"are {width} wide (model.shared.weight); config.json and the weights are of different "
        "models"
    )
