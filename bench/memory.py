"""Memory does not grow with the input: ``sejajar translate`` on article folders of growing size.

Builds folders of distinct articles (the sample articles' sentences, shuffled, each article
with its own numbered sentence) of the given sizes, translates each with the CLI's defaults
(worker processes included) and the tiny test model, greedy and without the cache so that every
sentence is really translated, and samples the memory of the whole process tree. Documents are
read, translated and written one at a time, so the peak should be the same at every size.

    python -m bench.memory                 # 1 MB and 20 MB, about ten minutes on 2 cores
    python -m bench.memory --sizes 1 5 20
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import options, recorded
from bench.sampler import MemorySampler
from sejajar.translate.split import split_text
from tests.modelfactory import ROOT, build_tiny_model

ARTICLE_BYTES = 20_000


def build_folder(folder: Path, megabytes: float, seed: int = 0) -> int:
    """Distinct articles of about ARTICLE_BYTES each, adding up to ``megabytes``."""
    sentences = [
        s.text
        for p in sorted((ROOT / "texts").glob("*.id.txt"))
        for s in split_text(p.read_text("utf-8"))
        if s.kind.value == "sentence"
    ]
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    total, count = 0, 0
    while total < megabytes * 1_000_000:
        lines = [f"Artikel nomor {count} dari arsip ini."]
        size = len(lines[0])
        while size < ARTICLE_BYTES:
            paragraph = " ".join(rng.sample(sentences, 3))
            lines.append(paragraph)
            size += len(paragraph.encode("utf-8")) + 2
        text = "\n\n".join(lines) + "\n"
        (folder / f"artikel-{count:05}.id.txt").write_text(text, "utf-8")
        total += len(text.encode("utf-8"))
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 20], help="folder MB")
    parser.add_argument("--work", type=Path, default=None, help="folder for model and inputs")
    options(parser, smoke={"sizes": [0.05]})
    args = parser.parse_args()
    with recorded("memory", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    work = args.work or Path(tempfile.gettempdir()) / "sejajar-bench-memory"
    model = work / "tiny"
    if not (model / "config.json").exists():
        build_tiny_model(model)
    print(f"{'input MB':>9} {'articles':>9} {'sentences':>10} {'seconds':>8} {'peak MB':>8}")
    peaks = []
    for megabytes in args.sizes:
        folder, out = work / f"in-{megabytes:g}", work / f"out-{megabytes:g}"
        for old in (folder, out):
            shutil.rmtree(old, ignore_errors=True)
        articles = build_folder(folder, megabytes)
        cmd = [sys.executable, "-m", "sejajar", "translate", str(folder), "--out", str(out)]
        cmd += ["--model", str(model), "--beams", "1", "--no-cache"]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        memory = MemorySampler(proc.pid)
        _, err = proc.communicate()
        seconds = time.perf_counter() - start
        peak = memory.stop()
        if proc.returncode != 0:
            sys.exit(f"sejajar failed on {folder}:\n{err[-2000:]}")
        summary = err.strip().splitlines()[-1]  # "N inputs: N done, ...; S sentences translated"
        sentences = summary.split("; ")[1].split()[0]
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1_000_000
        print(f"{size:>9.1f} {articles:>9} {sentences:>10} {seconds:>8.0f} {peak:>8.0f}")
        peaks.append(peak)
    if len(peaks) > 1:
        ratio = peaks[-1] / peaks[0]
        print(f"\npeak at {args.sizes[-1]:g} MB / peak at {args.sizes[0]:g} MB: {ratio:.2f}")


if __name__ == "__main__":
    main()
