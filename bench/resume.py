"""Interrupt a run over a folder of 1,000 articles, resume it, and report what was translated
and what came from the cache. Uses the tiny test model (random weights: this measures the
plumbing, not translation quality).

    python -m bench.resume [--articles 1000] [--stop-after 300]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import options, recorded
from tests.modelfactory import build_tiny_model

SENTENCES = [
    "Presiden tiba di Jakarta pada Senin pagi.",
    "Harga beras naik 3,5 persen bulan ini.",
    "Pemerintah berjanji menambah pasokan.",
    "Warga diminta tetap tenang.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description="interrupt and resume a folder run")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--stop-after", type=int, default=300, help="outputs before Ctrl-C")
    parser.add_argument("--work", type=Path, default=None, help="folder for model and runs")
    options(parser, smoke={"articles": 12, "stop_after": 3})
    args = parser.parse_args()
    with recorded("resume", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    work = args.work or Path(tempfile.mkdtemp(prefix="sejajar-resume-"))
    work.mkdir(parents=True, exist_ok=True)
    model = build_tiny_model(work / "model")
    folder, out, cache = work / "in", work / "out", work / "cache.sqlite"
    folder.mkdir()
    for k in range(args.articles):
        # Shared sentences plus two of each article's own: realistic repetition across a feed.
        own = [
            f"Artikel {k} terbit pada hari ke-{k}.",
            f"Penulis {k} melaporkan dari kota {k % 37}.",
        ]
        (folder / f"a{k:04d}.txt").write_text("\n".join([*SENTENCES, *own]) + "\n")
    cmd = [
        sys.executable,
        "-m",
        "sejajar",
        "translate",
        str(folder),
        "--out",
        str(out),
        "--model",
        str(model),
        "--beams",
        "1",
        "--cache",
        str(cache),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while len(list(out.glob("*.html"))) < args.stop_after and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    first = time.perf_counter() - start
    done = len(list(out.glob("*.html")))
    print(f"first run: Ctrl-C after {first:.1f}s, exit {proc.returncode}, {done} articles done")
    print(f"  stderr: {err.strip().splitlines()[-1]}")
    start = time.perf_counter()
    resumed = subprocess.run([*cmd, "--skip-existing"], capture_output=True, text=True)
    print(f"resume: {time.perf_counter() - start:.1f}s, exit {resumed.returncode}")
    print(f"  {resumed.stderr.strip().splitlines()[-1]}")
    print(
        f"  expected at most {2 * (args.articles - done)} new sentences (2 per remaining article)"
    )
    outputs = len(list(out.glob("*.tsv")))
    print(f"outputs: {outputs} TSV files for {args.articles} articles; work in {work}")


if __name__ == "__main__":
    main()
