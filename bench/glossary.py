"""Time glossary matching (``translate/glossary.py``): texts of 10k to 1M characters (the
sample articles repeated, with terms of the news glossary in them) against glossaries of 200
to 100,000 entries (the 200 real ones of ``bench/data/glossary-news.tsv``, then made-up names
beside them). Linear matching shows as a time per character that stays the same down each
column (more text) and across the glossaries (more entries); the automaton's build grows with
the entries only, once per run.

    python -m bench.glossary [--max-chars 1000000] [--max-entries 100000]
"""

from __future__ import annotations

import argparse
import random
import time

from bench.results import options, recorded
from sejajar.translate.glossary import Glossary, Term
from sejajar.translate.termbase import read_glossary
from tests.helpers import KONTAN, LIPUTAN
from tests.modelfactory import ROOT

NEWS = ROOT / "bench" / "data" / "glossary-news.tsv"
# Sentences that hold terms of the news glossary, between the articles' own.
TERMED = (
    "Kemenkeu dan OJK-lah yang diminta DPR menjelaskan APBN. ",
    "Bareskrim Polri memeriksa pejabat Kementerian Keuangan di Jakarta Selatan. ",
    "Gubernur BI bertemu Ketua KPK di Istana Kepresidenan soal pemilu. ",
)


def news_text(size: int) -> str:
    """``size`` characters of news: the two sample articles and the termed sentences, again
    and again."""
    unit = KONTAN.read_text("utf-8") + "".join(TERMED) + LIPUTAN.read_text("utf-8")
    return (unit * (size // len(unit) + 1))[:size]


def made_up(count: int, seed: int = 24) -> list[Term]:
    """``count`` names that are no Indonesian words (``Zupek Varo``, ``KTRX``): they share
    the automaton with the real terms without being found."""
    rng = random.Random(seed)
    letters = "bcdfgjkpqrtvwxz"
    terms = []
    for n in range(count):
        if n % 3 == 0:
            source = "".join(rng.choice(letters.upper()) for _ in range(4)) + str(n)
        else:
            words = ("".join(rng.choice(letters) for _ in range(5)).title() for _ in range(2))
            source = " ".join(words) + f" {n}"
        terms.append(Term(source, f"Made-up {n}"))
    return terms


def sizes(low: int, high: int) -> list[int]:
    """``low``, ten times it, ... up to ``high`` (which ends the list)."""
    found = [low]
    while found[-1] * 10 < high:
        found.append(found[-1] * 10)
    return found + ([high] if found[-1] != high else [])


def main() -> None:
    parser = argparse.ArgumentParser(description="glossary matching cost")
    parser.add_argument("--max-chars", type=int, default=1_000_000)
    parser.add_argument("--max-entries", type=int, default=100_000)
    options(parser, smoke={"max_chars": 20_000, "max_entries": 2_000})
    args = parser.parse_args()
    with recorded("glossary", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    real = read_glossary([NEWS])
    assert real is not None
    print("entries  characters  build s  match s  us/1k chars  matches")
    for entries in sizes(len(real), args.max_entries):
        start = time.perf_counter()
        glossary = Glossary([*real.terms, *made_up(entries - len(real))])
        glossary.matches("Kemenkeu")  # the automaton is built on first use
        built = time.perf_counter() - start
        for chars in sizes(10_000, args.max_chars):
            text = news_text(chars)
            start = time.perf_counter()
            found = glossary.matches(text)
            seconds = time.perf_counter() - start
            per = seconds / chars * 1000 * 1e6
            print(f"{entries:7d} {chars:11d} {built:8.3f} {seconds:8.3f} {per:12.1f} "
                  f"{len(found):8d}")  # fmt: skip


if __name__ == "__main__":
    main()
