"""Cost of each quality flag on one long unpunctuated sentence (a scraped article with no
sentence ends reaches the flags as a single segment).

The sentence is made from TICO-19 (Indonesian source, the recorded opus-mt-id-en output as
the target), lines joined with their final punctuation removed, cut at 25k, 50k, 100k and
200k characters; real text, so names and numbers recur and new ones keep appearing as it
grows. Prints seconds per flag and the ratio to the previous size: about 2 per doubling when
the cost is linear. Then number_mismatch alone on thousands of numbers.

    python -m bench.flags            # needs ../shared/data/tico19
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from bench.results import options, recorded
from sejajar.align.flags import DETECTORS, number_mismatch
from tests.modelfactory import ROOT

_END = re.compile(r"[.!?]+[\"'\u201d)]*\s*$")


def sentence(lines: list[str], size: int) -> str:
    """One sentence of about ``size`` characters: ``lines`` without their final punctuation,
    joined by spaces (cycled when too few), closed by one full stop."""
    parts: list[str] = []
    length, k = 0, 0
    while length < size:
        part = _END.sub("", lines[k % len(lines)].strip())
        parts.append(part)
        length += len(part) + 1
        k += 1
    return " ".join(parts)[:size].rstrip() + "."


def main() -> None:
    parser = argparse.ArgumentParser(description="quality flags on long segments")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tico19")
    parser.add_argument("--sizes", default="25000,50000,100000,200000")
    parser.add_argument("--counts", default="4000,8000,16000,32000", help="numbers")
    options(parser, smoke={"sizes": "2000,4000", "counts": "250,500"})
    args = parser.parse_args()
    with recorded("flags", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    source_file, target_file = (
        args.data / "tico19-test.id",
        args.data / "tico19-test.opus-mt-id-en.en",
    )
    if not (source_file.exists() and target_file.exists()):
        sys.exit(f"Error: {args.data} has no TICO-19 data (see ../shared/data/README.md)")
    source_lines = source_file.read_text("utf-8").splitlines()
    target_lines = target_file.read_text("utf-8").splitlines()

    names = [detect.__name__ for detect in DETECTORS]
    print("seconds per flag on one sentence (ratio to the previous size)")
    print(f"{'chars':>7} " + " ".join(f"{n:>17}" for n in names))
    previous: dict[str, float] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        source, target = sentence(source_lines, size), sentence(target_lines, size)
        cells = []
        for detect in DETECTORS:
            start = time.perf_counter()
            detect(source, target)
            seconds = time.perf_counter() - start
            before = previous.get(detect.__name__)
            ratio = f"({seconds / before:4.1f})" if before else " " * 6
            cells.append(f"{seconds:>10.3f} {ratio}")
            previous[detect.__name__] = max(seconds, 1e-6)
        print(f"{size:>7} " + " ".join(cells))

    print("\nnumber_mismatch on N numbers, the target's in reverse order (ratio per doubling)")
    before = 0.0
    for count in (int(c) for c in args.counts.split(",")):
        numbers = [f"{k:,}" for k in range(1000, 1000 + 7 * count, 7)]
        target = " ".join(numbers)
        source = " ".join(n.replace(",", ".") for n in reversed(numbers))
        start = time.perf_counter()
        number_mismatch(source, target)
        seconds = time.perf_counter() - start
        ratio = f"({seconds / before:4.1f})" if before else ""
        print(f"{count:>7} {seconds:>8.3f} {ratio}")
        before = seconds


if __name__ == "__main__":
    main()
