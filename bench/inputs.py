"""Reading reviews, bead files, page identities and saved web pages at growing sizes: each
doubling of the input should about double the time (linear cost), checks included.

    python -m bench.inputs [--start 25000] [--steps 4]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial

from bench.results import options, recorded
from sejajar.align.bead_format import parse_beads
from sejajar.align.export.html import document_digest
from sejajar.align.review import parse_review
from sejajar.core.records import Kind, Link, ParallelDocument, Segment
from sejajar.core.webpage import html_to_text


def review(n: int) -> str:
    rows = (
        {
            "id": i, "source": f"Kalimat nomor {i}.", "target": f"Sentence number {i}.",
            "decision": "accepted", "edited": False, "original_target": f"Sentence number {i}.",
            "signature": "sejajar:0.1.0", "document": "ab" * 32, "links": n,
            "flags": [{"name": "names", "reason": "x"}],
        }
        for i in range(n)
    )  # fmt: skip
    return "".join(json.dumps(r) + "\n" for r in rows)


def beads(n: int) -> str:
    return "".join(f"[{2 * i}, {2 * i + 1}]:[{i}]:0.50\n" for i in range(n))


def document(n: int) -> ParallelDocument:
    side = tuple(Segment(f"Kalimat nomor {i}.", Kind.SENTENCE, i // 5) for i in range(n))
    links = tuple(Link((i,), (i,), 0.5) for i in range(n))
    return ParallelDocument("bench", side, side, links, (("model", "x"),))


def web_page(n: int) -> str:
    """A page of ``n`` paragraphs between navigation, with links, entities and a script."""
    paragraph = "<p>Presiden AS <a href='/x'>Joe Biden</a> &amp; Yoon bertemu.<br>Lagi.</p>"
    return (
        "<!DOCTYPE html><html><head><title>Berita</title><script>x()</script></head><body>"
        "<nav><a href='/'>Beranda</a></nav><header><h1>Judul</h1></header>"
        + paragraph * n
        + "<footer>Hak cipta</footer></body></html>"
    )


def unclosed_tags(n: int) -> str:
    """``"<a"`` 16n times: quadratic in Python's html.parser (21 s for 100k)."""
    return "<html><body><p>Isi.</p>" + "<a" * (16 * n)


def best(work: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--start", type=int, default=25000)
    parser.add_argument("--steps", type=int, default=4)
    options(parser, smoke={"start": 500, "steps": 2})
    args = parser.parse_args()
    with recorded("inputs", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    cases: list[tuple[str, Callable[[int], object], Callable[[object], object]]] = [
        ("apply-review JSONL", review, lambda t: parse_review(str(t), jsonl=True)),
        ("score-align beads", beads, lambda t: parse_beads(str(t))),
        ("page digest", document, lambda d: document_digest(d)),  # type: ignore[arg-type]
        ("HTML page", web_page, lambda t: html_to_text(str(t))),
        ('HTML "<a" x 16N', unclosed_tags, lambda t: html_to_text(str(t))),
    ]
    print(f"{'input':<20}{'lines':>10}{'seconds':>10}{'x previous':>12}")
    for name, make, run in cases:
        previous = None
        for step in range(args.steps):
            n = args.start * 2**step
            data = make(n)
            seconds = best(partial(run, data))
            ratio = f"{seconds / previous:.2f}" if previous else ""
            print(f"{name:<20}{n:>10}{seconds:>10.3f}{ratio:>12}")
            previous = seconds


if __name__ == "__main__":
    main()
