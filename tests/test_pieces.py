"""The CTranslate2 engine's tokenizer read straight from the model's files (translate/pieces.py):
the same ids, tokens and decoded text as transformers' MarianTokenizer on the tiny model's
vocabulary and on the real opus-mt-id-en one (sample articles, the shared test sets, special
tokens and language codes in the text, random ids), MarianTokenizer wherever the folder asks
for anything else, and a run whose plan is CTranslate2's that imports neither torch nor
transformers."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sejajar.translate.pieces import Pieces, load_tokenizer
from sejajar.translate.translator import TranslatorError
from tests.helpers import KONTAN, SHARED_DATA, TEXTS, require_shared
from tests.modelfactory import ROOT, SHARED_TOKENIZER
from tests.test_rival import plan_file

ODD = [
    "", " ", "  spasi   ganda  ", "tab\tdi sini", "Halo </s> dunia <unk>x <pad>", "</s>",
    "<unk><unk>", ">>fr<< Bonjour", "a >>b<< c", ">>en<<", "emoji 😀 ok", "Rp1.500.000, 14.30 WIB.",
    "don 't", "I 'm here . Yes ? No !", "“Kami siap,” kata Yoon.", "x" * 3000,
]  # fmt: skip


def lines() -> list[str]:
    found = [line for path in sorted(TEXTS.glob("*.txt")) for line in path.read_text().splitlines()]
    for name in ("tico19/tico19-test", "tatoeba/tatoeba-test"):
        for side in ("id", "en"):
            path = SHARED_DATA / f"{name}.{side}"
            if path.exists():
                found += path.read_text("utf-8").splitlines()
    return found + ODD


@pytest.fixture(params=["tiny", "real"])
def folder(request: pytest.FixtureRequest, tiny_model: Path) -> Path:
    if request.param == "real":
        require_shared("../shared/models/opus-mt-id-en-tokenizer", SHARED_TOKENIZER)
        return SHARED_TOKENIZER
    return tiny_model


def test_ids_tokens_and_text_are_marian_tokenizers(folder: Path) -> None:
    from transformers import MarianTokenizer

    marian = MarianTokenizer.from_pretrained(str(folder))
    ours = load_tokenizer(folder)
    assert isinstance(ours, Pieces)
    texts = lines()
    assert ours(texts)["input_ids"] == marian(texts)["input_ids"]
    for text in texts:
        ids = marian(text)["input_ids"]
        assert ours(text, truncation=False)["input_ids"] == ids, text
        assert ours.convert_ids_to_tokens(ids) == marian.convert_ids_to_tokens(ids)
        for skip in (True, False):
            assert ours.decode(ids, skip_special_tokens=skip) == marian.decode(
                ids, skip_special_tokens=skip
            ), text
    rng = random.Random(0)
    for _ in range(500):
        ids = [rng.randrange(len(marian)) for _ in range(rng.randrange(30))]
        assert ours.decode(ids, skip_special_tokens=True) == marian.decode(
            ids, skip_special_tokens=True
        )
        assert ours.convert_tokens_to_ids(marian.convert_ids_to_tokens(ids)) == ids


@pytest.mark.parametrize(
    "change",
    [
        {"tokenizer_config.json": {"do_lower_case": True}},
        {"tokenizer_config.json": {"separate_vocabs": True}, "target_vocab.json": "@vocab.json"},
        {"tokenizer_config.json": {"sp_model_kwargs": {"enable_sampling": True}}},
        {"tokenizer_config.json": {"eos_token": "<eos>"}},
        {"special_tokens_map.json": {"additional_special_tokens": ["<x>"]}},
        {
            "tokenizer_config.json": {
                "added_tokens_decoder": {"0": {"content": "</s>", "lstrip": True}}
            }
        },
        {"added_tokens.json": {"<x>": 9}},
    ],
    ids=["unknown", "separate", "spm-options", "eos", "more-specials", "strip", "added"],
)
def test_a_folder_asking_for_more_is_read_by_marian_tokenizer(
    tiny_model: Path, tmp_path: Path, change: dict[str, Any]
) -> None:
    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    for name, value in change.items():
        path = copy / name
        if isinstance(value, str) and value.startswith("@"):  # a copy of another file
            value = (copy / value[1:]).read_text("utf-8")
        if isinstance(value, dict) and path.exists():
            value = {**json.loads(path.read_text("utf-8")), **value}
        path.write_text(value if isinstance(value, str) else json.dumps(value), "utf-8")
    assert type(load_tokenizer(copy)).__name__ == "MarianTokenizer"
    assert isinstance(load_tokenizer(tiny_model), Pieces)


def test_a_damaged_tokenizer_file_is_a_one_line_error(tiny_model: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    (copy / "tokenizer_config.json").write_text("{not json", "utf-8")
    with pytest.raises(TranslatorError, match=r"cannot read the tokenizer of .*model: "):
        load_tokenizer(copy)


RUN = """
import json, sys
from typer.main import get_command
from sejajar.cli import app
code = get_command(app).main(sys.argv[1:], prog_name="sejajar", standalone_mode=False)
print(json.dumps({"code": code, "torch": "torch" in sys.modules,
                  "transformers": "transformers" in sys.modules}))
"""


@pytest.mark.parametrize("plan_from", ["file", "short job"])
def test_a_ctranslate2_plan_runs_without_torch_or_transformers(
    tiny_model: Path, tmp_path: Path, private_cache: Path, plan_from: str
) -> None:
    """A plan file's CTranslate2 plan, or this machine's default-engine plan switched to
    CTranslate2 for a short job (translate/rival.py's ``short_job``)."""
    pytest.importorskip("ctranslate2")
    from sejajar.translate.ct2 import load_ct2
    from tests.test_rival import settings
    from tests.test_rival_startup import kept_default_plan

    load_ct2(settings(tiny_model, engine="ctranslate2")).close()  # converted once, as a run does
    if plan_from == "file":
        plan = plan_file(tmp_path / "plan.json", tiny_model, {"workers": 1, "threads": 1,
                         "kernels": "fbgemm", "engine": "ctranslate2"})  # fmt: skip
        chosen = ["--plan", str(plan)]
    else:
        kept_default_plan(tiny_model, own=0.64, rival_seconds=0.76)
        chosen = []
    out = tmp_path / "out"
    args = ["translate", str(KONTAN), "--model", str(tiny_model), "--quantize", "int8",
            "--beams", "1", *chosen, "--no-cache", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "XDG_CACHE_HOME": str(private_cache), "PYTHONPATH": str(ROOT),
           "SEJAJAR_CALIBRATE": "1"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ctranslate2" in done.stderr.lower()  # the plan line says which engine ran
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "code": None, "torch": False, "transformers": False
    }  # fmt: skip
    assert (out / f"{KONTAN.name.removesuffix('.txt')}.html").exists()
