"""The corpus job against ``sejajar translate`` on the same documents and cores.

Builds N distinct news-like documents (sentences of ../shared/data/tico19 and of texts/, shuffled,
each document with its own first sentence), writes them once as a folder of .txt articles and
once as JSONL.gz shards of 25 documents, and runs both commands with the same model, beam size
and no cache (every sentence really translated), each as a whole process tree whose memory is
sampled. Prints documents/s and sentences/s, the Ray path's overhead (whole run, and without
each command's fixed cost, measured by a run on one document), peak memory, and a projection
of hours for 10 GB of news on 1 to 16 nodes from the measured throughput of this node.

    python -m bench.corpus                       # tiny model, 2,000 documents
    python -m bench.corpus --full --docs 200     # full-size architecture (../shared)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import cpu_kind, options, recorded
from bench.sampler import MemorySampler
from sejajar.translate.split import split_text
from tests.modelfactory import ROOT, SHARED_TOKENIZER, build_full_model, build_tiny_model

TICO = ROOT.parent / "shared" / "data" / "tico19" / "tico19-test.id"
SHARD_DOCS = 25
NEWS_BYTES = 10 * 1024**3


def sentences() -> list[str]:
    pool = [
        s.text
        for p in sorted((ROOT / "texts").glob("*.id.txt"))
        for s in split_text(p.read_text("utf-8"))
        if s.kind.value == "sentence"
    ]
    if TICO.exists():
        pool += [line.strip() for line in TICO.read_text("utf-8").splitlines() if line.strip()]
    return pool


def build(folder: Path, docs: int, per_doc: int, seed: int = 0) -> tuple[Path, Path, int]:
    """(folder of .txt, folder of shards, bytes of text)."""
    rng = random.Random(seed)
    pool = sentences()
    texts, shards = folder / "txt", folder / "shards"
    texts.mkdir(parents=True)
    shards.mkdir()
    total = 0
    rows = []
    for i in range(docs):
        body = [f"Artikel nomor {i} dari arsip ini.", *rng.sample(pool, per_doc - 1)]
        text = "\n\n".join(" ".join(body[j : j + 3]) for j in range(0, len(body), 3)) + "\n"
        (texts / f"doc-{i:05d}.txt").write_text(text, "utf-8")
        rows.append({"id": f"doc-{i:05d}", "text": text})
        total += len(text.encode("utf-8"))
    for start in range(0, docs, SHARD_DOCS):
        with gzip.open(shards / f"part-{start // SHARD_DOCS:04d}.jsonl.gz", "wt") as handle:
            for row in rows[start : start + SHARD_DOCS]:
                handle.write(json.dumps(row) + "\n")
    return texts, shards, total


def timed(cmd: list[str]) -> tuple[float, float, str, list[float]]:
    """(seconds, peak MB of the process tree, stderr, times at which stdout lines came)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env, cwd=ROOT
        )
        sampler = MemorySampler(proc.pid)
        stamps = []
        assert proc.stdout is not None
        for _ in proc.stdout:
            stamps.append(time.perf_counter() - start)
        proc.wait()
        errors.seek(0)
        err = errors.read()
    seconds = time.perf_counter() - start
    peak = sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err[-2000:]}")
    return seconds, peak, err, stamps


def translated(err: str) -> int:
    return int(re.findall(r"(\d+) sentences translated", err)[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--sentences", type=int, default=12, help="sentences per document")
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="full-size architecture (../shared)")
    options(parser, smoke={"docs": 8, "sentences": 4})
    args = parser.parse_args()
    with recorded("corpus", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    cpu = cpu_kind()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.full:
            if not SHARED_TOKENIZER.is_dir():
                raise SystemExit("--full needs ../shared/models/opus-mt-id-en-tokenizer")
            model = build_full_model(work / "model")
        else:
            model = build_tiny_model(work / "model")
        texts, shards, size = build(work / "data", args.docs, args.sentences)
        common = ["--model", str(model), "--beams", str(args.beams), "--no-cache"]
        one_texts, one_shards, _ = build(work / "one", 1, args.sentences, seed=1)
        runs = {}
        for name, texts_in, shards_in in (("fixed", one_texts, one_shards), ("run", texts, shards)):
            runs[("translate", name)] = timed(
                [sys.executable, "-m", "sejajar", "translate", str(texts_in),
                 "--out", str(work / f"t-{name}"), "--format", "tsv", *common]
            )  # fmt: skip
            runs[("corpus", name)] = timed(
                [sys.executable, "-m", "sejajar", "corpus", str(shards_in),
                 "--out", str(work / f"c-{name}"), *common]
            )  # fmt: skip
    print(f"CPU: {cpu}, {os.cpu_count()} cores; model: {'full-size' if args.full else 'tiny'}, "
          f"beams {args.beams}; {args.docs} documents, {size / 1e6:.1f} MB")  # fmt: skip
    print(f"{'system':<12}{'seconds':>9}{'docs/s':>9}{'sent/s':>9}{'peak MB':>9}{'fixed s':>9}")
    work_seconds = {}
    for system in ("translate", "corpus"):
        seconds, peak, err, _ = runs[(system, "run")]
        fixed = runs[(system, "fixed")][0]
        work_seconds[system] = seconds - fixed
        sents = translated(err)
        print(f"{system:<12}{seconds:>9.1f}{args.docs / seconds:>9.1f}{sents / seconds:>9.1f}"
              f"{peak:>9.0f}{fixed:>9.1f}")  # fmt: skip
    t_seconds, c_seconds = runs[("translate", "run")][0], runs[("corpus", "run")][0]
    print(f"corpus overhead over translate: {c_seconds / t_seconds - 1:+.1%} whole run, "
          f"{work_seconds['corpus'] / work_seconds['translate'] - 1:+.1%} without each "
          "command's fixed cost (its run on one document: start-up, model load)")  # fmt: skip
    per_node = args.docs / work_seconds["corpus"]  # documents per second on this one node
    docs_10gb = NEWS_BYTES / (size / args.docs)
    hours = ", ".join(
        f"{n} node{'s' if n > 1 else ''}: {docs_10gb / (per_node * n) / 3600:,.0f} h"
        for n in (1, 4, 16)
    )
    print(f"projection for 10 GB of news ({docs_10gb:,.0f} documents like these, nodes like "
          f"this one): {hours}")  # fmt: skip


if __name__ == "__main__":
    main()
