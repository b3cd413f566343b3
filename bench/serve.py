"""``sejajar serve`` under load against ``sejajar translate``'s own path on the same sentences,
in one run (issue 22's targets).

Sentences: the crawl-like workload's real Indonesian sentences (the sample articles, TICO-19
and Tatoeba, each one sentence to the splitter). Model: the real opus-mt-id-en architecture with
random weights (``../shared/models/opus-mt-id-en-tokenizer``; the tiny test model without it),
every output forced to ``--length`` tokens, as in the other speed benches. Each row's server is
a fresh process (so no row is served from an earlier row's run memory), started with
``--no-cache`` and the calibrated plan of this machine; the offline figure is the same
translator (``TranslatorSession``, as the CLI opens it) translating the sentences in the CLI's
windows of 512, in a process of its own. Clients are threads with a keep-alive connection each
(``http.client``), on the same 2 cores as the server: their own CPU time is part of the cost.

Rows: 1, 8 and 64 concurrent clients sending one sentence a request, and one client sending 64
a request (throughput against offline, latency p50/p95); a single sentence on an idle server
against the bare ``translate`` call for it (p50); one request of growing size (time per
sentence, which must stay flat); and memory (PSS of the server and its workers) over
``--soak`` seconds of 64 clients.

With ``--ray`` (issue 26) it runs only the Ray Serve rows instead: 64 one-sentence clients
against the one-machine server, then ``sejajar serve --ray local`` with one replica holding
every core and with two replicas of half the cores each (a fresh local Ray per row; the forced
length reaches the replicas through Ray's worker setup hook): throughput, p50/p95 latency, the
mean sentences per model call (the shared batches within a replica), and Ray Serve's overhead
at one replica against the one-machine server (target: within 15%).

    python -m bench.serve                 # full run, ~20 min (10 of them the soak)
    python -m bench.serve --sentences 128 --soak 30 --tiny    # a quick look
    python -m bench.serve --ray --sentences 64 --tiny         # Ray Serve, a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.child import report, run_child
from bench.crawl import force_length
from bench.crawl_workload import real_sentences
from bench.results import options, recorded
from bench.serve_load import (
    Client,
    calls,
    child_env,
    load,
    percentile,
    serve_child,
    warmup,
    with_server,
)
from bench.serve_ray import ray_rows
from bench.serve_soak import memory
from bench.systems import first_load, machine, plan_lines
from sejajar.jobs.windows import WINDOW_SENTENCES
from tests.modelfactory import ROOT, build_full_model, build_tiny_model
from tests.servers import Server

WINDOW = WINDOW_SENTENCES  # the CLI's window of sentences


# --- in a process of its own --------------------------------------------------------------


def offline(args: argparse.Namespace) -> dict[str, Any]:
    """The translator as ``sejajar translate`` opens it: throughput on the sentences in the
    CLI's windows, then single sentences' latency (distinct ones, each once)."""
    from sejajar.translate.engines import ModelSettings, open_translator

    force_length()
    texts = json.loads(Path(args.texts).read_text("utf-8"))
    single = json.loads(Path(args.single).read_text("utf-8"))
    settings = ModelSettings(model=str(args.model), beams=args.beams, quantize=args.quantize)
    with open_translator(settings, cache=False) as session:
        translator = session()
        translator.translate(warmup(texts))
        start = time.perf_counter()
        for at in range(0, len(texts), WINDOW):
            translator.translate(texts[at : at + WINDOW])
        seconds = time.perf_counter() - start
        if args.throughput_only:
            return {"seconds": seconds}
        # The same sentences (made distinct again) in calls of 32 and 64: what a server whose
        # clients have that many sentences in flight can give them at best, one call at a time.
        calls = {}
        for size in (32, 64):
            again = [f"{t[:-1]} ({size})." for t in texts]
            start = time.perf_counter()
            for at in range(0, len(again), size):
                translator.translate(again[at : at + size])
            calls[size] = time.perf_counter() - start
        latencies = []
        for text in single:
            start = time.perf_counter()
            translator.translate([text])
            latencies.append(time.perf_counter() - start)
    return {"seconds": seconds, "latencies": latencies, "calls": calls}


# --- the driver -----------------------------------------------------------------------------


def offline_run(args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    """:func:`offline` in a process of its own."""
    options = ["--offline", "--model", str(args.model), "--beams", str(args.beams),
               "--quantize", args.quantize, "--texts", str(args.work / "texts.json"),
               "--single", str(args.work / "single.json"), *extra]  # fmt: skip
    found: dict[str, Any] = run_child("bench.serve", options)
    return found


def interleaved(args: argparse.Namespace, texts: list[str]) -> None:
    """The throughput target in rounds that alternate their order (offline, then 64
    one-sentence clients; then the other way), each round's ratio and their median: a single
    pair of runs on a shared machine moves by a fifth from one run to the next."""
    print(f"\n{args.interleave} rounds, 64 clients x 1 sentence against offline (windows)")
    ratios = []
    for round_ in range(args.interleave):
        order = ["offline", "served"] if round_ % 2 == 0 else ["served", "offline"]
        seconds = {}
        for what in order:
            if what == "offline":
                seconds[what] = offline_run(args, "--throughput-only")["seconds"]
            else:
                seconds[what] = with_server(args, lambda s: load(s.url, list(texts), 64)[0])
        ratios.append(seconds["offline"] / seconds["served"])
        print(f"  round {round_ + 1} ({' then '.join(order)}): offline {seconds['offline']:.1f} s,"
              f" served {seconds['served']:.1f} s, {ratios[-1]:.2f}x", flush=True)  # fmt: skip
    median = statistics.median(ratios)
    print(f"  64 one-sentence clients >= 0.9x offline, median of {len(ratios)} rounds: "
          f"{median:.2f} {'met' if median >= 0.9 else 'MISSED'}")  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-child":
        serve_child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--length", type=int, default=20, help="output tokens, forced")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--quantize", default="none", choices=["none", "int8"])
    parser.add_argument("--soak", type=float, default=600, help="seconds of load for memory")
    parser.add_argument("--tiny", action="store_true", help="the tiny test model")
    parser.add_argument("--ray", action="store_true", help="only the Ray Serve rows")
    parser.add_argument(
        "--interleave", type=int, default=0,
        help="only the throughput target: N rounds of offline then 64 clients, median ratio",
    )  # fmt: skip
    parser.add_argument("--throughput-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--offline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts", help=argparse.SUPPRESS)
    parser.add_argument("--single", help=argparse.SUPPRESS)
    options(parser, smoke={"sentences": 16, "soak": 2.0, "tiny": True, "length": 4, "beams": 1})
    args = parser.parse_args()
    with recorded("serve", args):
        run(args)


def run(args: argparse.Namespace) -> None:
    if args.offline:
        report(offline(args))
        return
    args.work = (args.work or Path(tempfile.mkdtemp(prefix="sejajar-serve-"))).resolve()
    tokenizer = args.shared / "models" / "opus-mt-id-en-tokenizer"
    args.model = args.work / "model"
    if not (args.model / "model.safetensors").exists():
        if args.tiny or not tokenizer.is_dir():
            build_tiny_model(args.model)
        else:
            build_full_model(args.model, seed=0, tokenizer_dir=tokenizer)
    sentences = real_sentences(args.shared)
    single = sentences[-40:]
    texts = sentences[: args.sentences]
    while len(texts) < args.sentences:  # few sources: numbered variants, each distinct
        texts.append(f"{sentences[len(texts) % len(sentences)][:-1]} {len(texts)}.")
    (args.work / "texts.json").write_text(json.dumps(texts), "utf-8")
    (args.work / "single.json").write_text(json.dumps(single), "utf-8")
    print(f"machine: {machine()}")
    kind = "tiny test model" if args.tiny or not tokenizer.is_dir() else "opus-mt-id-en, random"
    print(f"model: {kind}; beams {args.beams}, {args.quantize}, {args.length} output tokens "
          f"forced; {len(texts)} distinct sentences")  # fmt: skip
    os.environ.update(child_env(args))
    print("calibration (first load):")
    print("\n".join(plan_lines(first_load(args.model, args.beams, args.quantize))))
    if args.ray:
        ray_rows(args, texts)
        return
    if args.interleave:
        interleaved(args, texts)
        return

    base = offline_run(args)
    rate = len(texts) / base["seconds"]
    print(f"\noffline (the CLI's translator, windows of {WINDOW}): {base['seconds']:.1f} s, "
          f"{rate:.1f} sentences/s")  # fmt: skip
    for size, seconds in base["calls"].items():
        print(f"  the same translator in calls of {size} sentences: {seconds:.1f} s, "
              f"{base['seconds'] / seconds:.2f}x the windows")  # fmt: skip

    print(f"\n{'clients':<28} {'requests':>8} {'seconds':>8} {'sent/s':>7} {'x offline':>9} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'per call':>8}")  # fmt: skip
    rows: list[tuple[str, list[str | list[str]], int]] = [
        ("1 client, 1 sentence each", list(texts), 1),
        ("8 clients, 1 sentence each", list(texts), 8),
        ("64 clients, 1 sentence each", list(texts), 64),
        ("1 client, 64 sentences each", [texts[i : i + 64] for i in range(0, len(texts), 64)], 1),
    ]
    ratios = {}
    for name, requests, clients in rows:

        def measured(s: Server) -> tuple[float, list[float], str]:
            before = calls(s)  # the warm-up's call
            seconds, lat = load(s.url, requests, clients)  # noqa: B023
            after = calls(s)
            return seconds, lat, f"{(after[0] - before[0]) / (after[1] - before[1]):.1f}"

        seconds, lat, per_call = with_server(args, measured)
        ratio = base["seconds"] / seconds
        ratios[name] = ratio
        print(f"{name:<28} {len(requests):>8} {seconds:>8.1f} {len(texts) / seconds:>7.1f} "
              f"{ratio:>9.2f} {1000 * percentile(lat, 0.5):>8.1f} "
              f"{1000 * percentile(lat, 0.95):>8.1f} {per_call:>8}", flush=True)  # fmt: skip

    def idle(s: Server) -> list[float]:
        client = Client(s.url)
        client.translate("Presiden tiba di Jakarta pada hari Rabu.")  # warm
        found = [client.translate(text) for text in single]
        client.close()
        return found

    served = statistics.median(with_server(args, idle))
    bare = statistics.median(base["latencies"])
    print(f"\nidle server, one sentence: p50 {1000 * served:.1f} ms; bare translate call "
          f"{1000 * bare:.1f} ms; difference {1000 * (served - bare):+.1f} ms")  # fmt: skip

    def growth(s: Server) -> list[tuple[int, float]]:
        client = Client(s.url)
        found, at = [], 0
        for size in (16, 64, 256):
            chunk = [texts[(at + i) % len(texts)][:-1] + f" {at + i}." for i in range(size)]
            at += size
            found.append((size, client.translate(" ".join(chunk))))
        client.close()
        return found

    print("\none request of growing size (a q of N sentences): ms per sentence should stay flat")
    for size, seconds in with_server(args, growth):
        print(f"  {size:>5} sentences: {seconds:6.2f} s, {1000 * seconds / size:6.1f} ms each")

    last_to_first = memory(args, texts)

    single_64 = ratios["64 clients, 1 sentence each"]
    print("\ntargets:")
    print(f"  64 one-sentence clients >= 0.9x offline: {single_64:.2f} "
          f"{'met' if single_64 >= 0.9 else 'MISSED'}")  # fmt: skip
    gap = 1000 * (served - bare)
    print(f"  idle single sentence within 10 ms of the bare call (p50): {gap:+.1f} ms "
          f"{'met' if gap <= 10 else 'MISSED'}")  # fmt: skip
    flat = abs(last_to_first - 1) < 0.05
    print(f"  memory flat under load (within 5%): {last_to_first - 1:+.1%} "
          f"{'met' if flat else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
