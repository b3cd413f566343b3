"""The crawl-like workload of ``bench.crawl``: articles of real Indonesian sentences where a
share of the occurrences recur (see that script's docstring), written as a folder of ``.txt``
files and as JSONL shards, and the sentences ``sejajar translate`` hands to the model for them."""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.modelfactory import ROOT

SHARD_DOCS = 100  # articles per JSONL shard


def real_sentences(shared: Path) -> list[str]:
    """Distinct real Indonesian sentences that the splitter keeps whole, as one sentence."""
    from sejajar.core.text import fold
    from sejajar.translate.split import split_text

    lines = [
        s.text
        for p in sorted((ROOT / "texts").glob("*.txt"))
        for s in split_text(p.read_text("utf-8"))
        if s.kind.value == "sentence"
    ]
    for name in ("tico19/tico19-test.id", "tatoeba/tatoeba-test.id"):
        path = shared / "data" / name
        if path.exists():
            lines += path.read_text("utf-8").splitlines()
    return list(dict.fromkeys(fold(t) for t in lines if whole(t)))


def whole(text: str) -> bool:
    """Whether the splitter reads ``text`` as one sentence of four words or more."""
    from sejajar.core.text import fold
    from sejajar.translate.split import split_text

    segments = split_text(text + "\n")
    return (
        len(text.split()) >= 4
        and len(segments) == 1
        and segments[0].kind.value == "sentence"
        and segments[0].text == fold(text)
    )


def articles(
    count: int, shared: Path, recur: float, pool_size: int, lengths: tuple[int, int], seed: int
) -> tuple[list[str], dict[str, int]]:
    """``count`` articles (one sentence a line) and what they are made of."""
    rng = random.Random(seed)
    real = real_sentences(shared)
    rng.shuffle(real)
    pool, rest = real[:pool_size], real[pool_size:]
    sizes = [rng.randint(*lengths) for _ in range(count)]
    recurring = [rng.random() < recur for _ in range(sum(sizes))]
    needed = recurring.count(False)
    distinct = rest[:needed]
    joined = 0
    seen = set(real)
    while len(distinct) < needed:  # too few real ones: join two real sentences into one
        a, b = rng.sample(rest, 2)
        text = f"{a.rstrip('.!?')}, {b[0].lower()}{b[1:]}"
        if text not in seen and whole(text):
            seen.add(text)
            distinct.append(text)
            joined += 1
    fresh = iter(distinct)
    docs, at = [], 0
    for size in sizes:
        body = [rng.choice(pool) if recurring[at + k] else next(fresh) for k in range(size)]
        at += size
        docs.append("\n".join(body) + "\n")
    return docs, {"real": len(real), "joined": joined, "pool": len(pool)}


def write_inputs(docs: list[str], folder: Path) -> tuple[Path, Path]:
    """(folder of .txt articles, folder of JSONL shards)."""
    texts, shards = folder / "txt", folder / "shards"
    texts.mkdir(parents=True)
    shards.mkdir()
    for i, doc in enumerate(docs):
        (texts / f"a{i:05d}.txt").write_text(doc, "utf-8")
    for start in range(0, len(docs), SHARD_DOCS):
        rows = [{"id": f"a{i:05d}", "text": docs[i]} for i in range(start, start + SHARD_DOCS)
                if i < len(docs)]  # fmt: skip
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (shards / f"part-{start // SHARD_DOCS:04d}.jsonl").write_text(lines, "utf-8")
    return texts, shards


def segments(texts: Path) -> list[str]:
    """What ``sejajar translate`` hands to the model for the folder, in order."""
    from sejajar.align.pipeline import to_translate
    from sejajar.jobs.files import expand_inputs, load_document

    out = []
    for path in expand_inputs([texts])[0]:
        doc = load_document(path)
        out += [doc.segments[i].text for i in to_translate(doc, False)]
    return out
