"""What ``bench.speed`` prints from its figures: the table of systems run alone, the ratios
of the interleaved rounds, and issue 15's targets, met or missed."""

from __future__ import annotations

import statistics
from typing import Any

# name, engine, beams, quantize: every system bench.speed runs alone, in the table's order
SYSTEMS = [
    ("naive loop (generate, model defaults: beam 6)", "naive", 6, "none"),
    ("sejajar transformers beam 4 fp32", "sejajar-transformers", 4, "none"),
    ("sejajar transformers beam 4 int8", "sejajar-transformers", 4, "int8"),
    ("sejajar transformers greedy fp32", "sejajar-transformers", 1, "none"),
    ("sejajar transformers greedy int8", "sejajar-transformers", 1, "int8"),
    ("  same, beam 4 fp32, --workers 1", "sejajar-one-process", 4, "none"),
    ("  same, greedy int8, --workers 1", "sejajar-one-process", 1, "int8"),
    ("CTranslate2 beam 4 fp32", "ct2", 4, "none"),
    ("CTranslate2 beam 4 int8", "ct2", 4, "int8"),
    ("CTranslate2 greedy fp32", "ct2", 1, "none"),
    ("CTranslate2 greedy int8", "ct2", 1, "int8"),
    ("sejajar --engine ctranslate2 beam 4 fp32", "sejajar-ct2", 4, "none"),
    ("sejajar --engine ctranslate2 beam 4 int8", "sejajar-ct2", 4, "int8"),
    ("sejajar --engine ctranslate2 greedy fp32", "sejajar-ct2", 1, "none"),
    ("sejajar --engine ctranslate2 greedy int8", "sejajar-ct2", 1, "int8"),
]
NAIVE = SYSTEMS[0][0]


def paired(bare: list[float], own: list[float]) -> float:
    """The median over rounds of bare CTranslate2's time over a system's in the same round
    (above 1: the system is faster)."""
    return statistics.median(b / o for b, o in zip(bare, own, strict=True))


def table(results: dict[str, dict[str, Any]], naive: dict[str, Any] | None) -> None:
    """Each system run alone: speed, peak memory, ratios to the naive loop and to CTranslate2."""
    print(
        f"{'system':44} {'sent/s':>8} {'tok/s':>8} {'peak MB':>8} {'x naive':>8} {'x CT2':>7}  plan"
    )
    for name, engine, beams, quantize in SYSTEMS:
        if name not in results:
            continue
        r = results[name]
        tps = r["tokens"] / r["seconds"]
        vs_naive = tps / (naive["tokens"] / naive["seconds"]) if naive else float("nan")
        twin = "CTranslate2 " + ("greedy" if beams == 1 else "beam 4")
        twin += " fp32" if quantize == "none" else " int8"
        compared = engine not in ("ct2", "naive") and twin in results
        vs_ct2 = tps / (results[twin]["tokens"] / results[twin]["seconds"]) if compared else None
        print(
            f"{name:44} {r['sentences'] / r['seconds']:>8.2f} {tps:>8.0f} {r['peak_mb']:>8.0f} "
            f"{vs_naive:>8.2f} {'' if vs_ct2 is None else f'{vs_ct2:.2f}':>7}  {r['layout']}"
        )


def targets(results: dict[str, dict[str, Any]], ratios: dict[str, tuple[float, float]]) -> None:
    """Issue 15's targets against this run's figures: met or missed, never assumed."""

    def speed(name: str) -> float | None:
        r = results.get(name)
        return None if r is None else r["tokens"] / r["seconds"]

    rows: list[tuple[str, float | None, float]] = []
    base = speed(NAIVE)
    fp32 = speed("sejajar transformers beam 4 fp32")
    rows.append(("default engine beam 4 fp32 vs naive", fp32 / base if fp32 and base else None, 10))
    for setting in ("beam 4 fp32", "beam 4 int8", "greedy fp32", "greedy int8"):
        own, engine = ratios.get(setting, (None, None))
        rows.append((f"default engine {setting} vs CT2 (interleaved, median)", own, 0.9))
        rows.append((f"--engine ctranslate2 {setting} vs CT2 (interleaved, median)", engine, 0.95))
    print(f"\n{'target':64} {'ratio':>6}    needed")
    for what, ratio, needed in rows:
        shown = "n/a" if ratio is None else f"{ratio:.2f}"
        verdict = "missing" if ratio is None else ("met" if ratio >= needed else "MISSED")
        print(f"{what:64} {shown:>6} >= {needed:<5} {verdict}")
    peak = results.get("sejajar transformers beam 4 fp32", {}).get("peak_mb")
    verdict = "missing" if peak is None else ("met" if peak < 1300 else "MISSED")
    what = "default engine beam 4 fp32 peak memory, MB"
    print(f"{what:64} {peak or 0:>6.0f} <  1300  {verdict}")
