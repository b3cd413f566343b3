"""Time the splitter on one single-line paragraph of growing size (64 KB to 4 MB), and the
long-sentence cutter (``translate/chunk.py``) on one unpunctuated line (64 KB to 1 MB).
Linear cost shows as a ratio near 2 per doubling; the quadratic splitter of issue 14 gave
about 4 (2.4 s at 64 KB, 541 s at 1 MB).

    python -m bench.split [--max-kb 4096] [--chunk-max-kb 1024]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.results import options, recorded
from sejajar.translate.chunk import split_to_fit
from sejajar.translate.split import split_text
from tests.modelfactory import SHARED_TOKENIZER, build_tiny_model

SHAPES = {
    # Sentences with abbreviations, initials and numbers: every period is a candidate.
    "prose": "Presiden tiba di Jakarta pada Senin pagi dr. Budi Y. Yeol datang. Harga naik 3,5 "
    "persen. Warga diminta tenang! ",
    "periods": ".",  # one long run of terminators
    "no-punct": "harga beras naik tajam di pasar induk kota ",
}


def text_of(unit: str, kb: int) -> str:
    return (unit * (kb * 1024 // len(unit) + 1))[: kb * 1024]


def split_unit(unit: str, kb: int) -> object:
    return split_text(text_of(unit, kb))


def rows(label: str, sizes: list[int], run: Callable[[int], object]) -> None:
    print(f"{label}\n     KB  seconds  ratio")
    previous = None
    for kb in sizes:
        start = time.perf_counter()
        run(kb)
        seconds = time.perf_counter() - start
        ratio = f"{seconds / previous:6.2f}" if previous else "     -"
        print(f"{kb:7d} {seconds:8.3f} {ratio}")
        previous = seconds


def doublings(low: int, high: int) -> list[int]:
    sizes = [low]
    while sizes[-1] * 2 <= high:
        sizes.append(sizes[-1] * 2)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description="splitter and chunker cost on long lines")
    parser.add_argument("--max-kb", type=int, default=4096)
    parser.add_argument("--chunk-max-kb", type=int, default=1024)
    options(parser, smoke={"max_kb": 128, "chunk_max_kb": 128})
    args = parser.parse_args()
    with recorded("split", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    for shape, unit in SHAPES.items():
        rows(
            f"split_text, one {shape} line",
            doublings(64, args.max_kb),
            partial(split_unit, unit),
        )
    from transformers import MarianTokenizer

    folder = SHARED_TOKENIZER
    if not folder.exists():
        folder = build_tiny_model(Path(tempfile.mkdtemp(prefix="sejajar-bench-")) / "model")
    tokenizer = MarianTokenizer.from_pretrained(str(folder))

    def fits(text: str) -> bool:
        return len(tokenizer(text, truncation=False)["input_ids"]) <= 512

    unit = SHAPES["no-punct"]
    rows(
        f"split_to_fit, one unpunctuated line, 512-token pieces ({folder.name} tokenizer)",
        doublings(64, args.chunk_max_kb),
        lambda kb: split_to_fit(text_of(unit, kb), fits),
    )


if __name__ == "__main__":
    main()
