"""The checkpoint's mapped pages go back to the kernel once the search is prepared, and the
translations do not change."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sejajar.translate.marian import load_marian
from sejajar.translate.pages import checkpoint_mappings, release_checkpoint_pages
from tests.helpers import one_process

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and madvise")

MAPS = """\
55a854a07000-55a861016000 rw-p 00000000 00:00 0                          [heap]
7f2492800000-7f24a3ba3000 rw-p 00000000 fe:00 2213379                    /m/model.safetensors
7f24ce800000-7f24e2de5000 r-xp 00000000 fe:00 13764452                   /lib/libtorch_cpu.so
7f24ce000000-7f24ce001000 r--p 00000000 fe:00 13764453                   /m/a b.safetensors
"""


def test_checkpoint_mappings_are_found_by_file_name() -> None:
    assert checkpoint_mappings(MAPS) == [
        (0x7F2492800000, 0x7F24A3BA3000),
        (0x7F24CE000000, 0x7F24CE001000),
    ]


def resident_checkpoint_kb(folder: Path) -> int:
    """Resident kB of this process's mappings of the checkpoint in ``folder`` (other tests'
    models may be mapped too, and pages another process shares stay)."""
    total, inside = 0, False
    checkpoint = str(folder / "model.safetensors")
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and not head[0].endswith(":"):
            inside = line.rstrip().endswith(checkpoint)
        elif inside and head[0] == "Rss:":
            total += int(head[1])
    return total


@pytest.fixture(scope="module")
def wider_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model's tokenizer with layers wide enough (about 12 MB of weights) for the
    pages of the checkpoint to be told apart."""
    import shutil

    import torch
    from transformers import MarianConfig, MarianMTModel

    folder = tmp_path_factory.mktemp("wider") / "model"
    shutil.copytree(tiny_model, folder)
    config = MarianConfig.from_pretrained(tiny_model)
    config.update({"d_model": 256, "encoder_ffn_dim": 1024, "decoder_ffn_dim": 1024})
    config.update({"encoder_layers": 2, "decoder_layers": 2})
    torch.manual_seed(0)
    model = MarianMTModel(config)
    model.generation_config = MarianMTModel.from_pretrained(tiny_model).generation_config
    model.save_pretrained(folder)
    return folder


@linux
def test_prepared_translator_releases_pages_and_translates_the_same(wider_model: Path) -> None:
    texts = ["Presiden meresmikan jalan tol baru.", "Harga beras naik lagi."]
    before = load_marian(one_process(wider_model, beams=2, device="cpu"))
    expected = before.translate_batch(texts)
    # The search reordered the decoder's weights and released the mapping; only what it still
    # reads (the encoder, embedding rows) came back.
    size_kb = (wider_model / "model.safetensors").stat().st_size // 1024
    assert 0 < resident_checkpoint_kb(wider_model) < 0.8 * size_kb, (
        resident_checkpoint_kb(wider_model),
        size_kb,
    )
    released = release_checkpoint_pages()
    if released == 0:
        pytest.skip("this kernel has no MADV_PAGEOUT")
    assert resident_checkpoint_kb(wider_model) < 0.05 * size_kb
    # Pages read again come back from the file: the same weights, the same translations.
    assert before.translate_batch(texts) == expected
    again = load_marian(one_process(wider_model, beams=2, device="cpu"))
    assert again.translate_batch(texts) == expected
