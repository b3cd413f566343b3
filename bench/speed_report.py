"""What ``bench.speed`` prints from its figures: the table of systems run alone, the ratios
of the interleaved rounds (bf16's against fp32 and bare CTranslate2 included), and the targets
of issues 15 and 29, met or missed."""

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
    ("sejajar transformers beam 4 bf16", "sejajar-transformers", 4, "bf16"),
    ("sejajar transformers greedy bf16", "sejajar-transformers", 1, "bf16"),
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
# name, engine, quantize: what one interleaved bf16 round runs, bf16 first (the ratios' base)
BF16_ROUND = (
    ("default bf16", "sejajar-transformers", "bf16"),
    ("default fp32", "sejajar-transformers", "none"),
    ("CT2 float32", "ct2", "none"),
    ("CT2 int8", "ct2", "int8"),
)


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
        twin += " int8" if quantize == "int8" else " fp32"  # bf16: CTranslate2 has none
        compared = engine not in ("ct2", "naive") and twin in results
        vs_ct2 = tps / (results[twin]["tokens"] / results[twin]["seconds"]) if compared else None
        print(
            f"{name:44} {r['sentences'] / r['seconds']:>8.2f} {tps:>8.0f} {r['peak_mb']:>8.0f} "
            f"{vs_naive:>8.2f} {'' if vs_ct2 is None else f'{vs_ct2:.2f}':>7}  {r['layout']}"
        )


def bf16_header(rounds: int) -> None:
    print(
        f"\nbf16 interleaved: the default engine in bf16 and in fp32 (each its calibrated plan), "
        f"bare CTranslate2 float32 and int8 loaded in one process and run in turn, {rounds} "
        f"rounds (order reversed every other round); tok/s of each one's best round; bf16's "
        f"speed over each other's: median of the rounds' ratios (in brackets: best over best)"
    )
    names = [name for name, _, _ in BF16_ROUND]
    print(f"{'setting':8} " + " ".join(f"{n + ' tok/s':>19}" for n in names)
          + "".join(f"{'bf16 / ' + n:>22}" for n in names[1:]))  # fmt: skip


def bf16_row(label: str, figures: dict[str, Any], tokens: int) -> dict[str, float]:
    """One setting's row of the bf16 rounds; returns bf16's median speed-up over each other."""
    secs, runs = figures["seconds"], figures["runs"]
    names = [name for name, _, _ in BF16_ROUND]
    base = names[0]
    speedups = {n: paired(runs[n], runs[base]) for n in names[1:]}
    shown = [f"{speedups[n]:.2f} ({secs[n] / secs[base]:.2f})" for n in names[1:]]
    print(f"{label:8} " + " ".join(f"{tokens / secs[n]:>19.0f}" for n in names)
          + "".join(f"{s:>22}" for s in shown), flush=True)  # fmt: skip
    return speedups


def targets(
    results: dict[str, dict[str, Any]],
    ratios: dict[str, tuple[float, ...]],
    bf16: dict[str, dict[str, float]] | None = None,
) -> None:
    """Issue 15's and 29's targets against this run's figures: met or missed, never assumed.
    ``bf16``: bf16's speed-ups by setting (none on a CPU without bf16)."""

    def speed(name: str) -> float | None:
        r = results.get(name)
        return None if r is None else r["tokens"] / r["seconds"]

    rows: list[tuple[str, float | None, float]] = []
    base = speed(NAIVE)
    fp32 = speed("sejajar transformers beam 4 fp32")
    rows.append(("default engine beam 4 fp32 vs naive", fp32 / base if fp32 and base else None, 10))
    for setting in ("beam 4 fp32", "beam 4 int8", "greedy fp32", "greedy int8"):
        own, engine, ran = ratios.get(setting, (None, None, None))
        rows.append((f"default engine {setting} vs CT2 (interleaved, median)", own, 0.9))
        rows.append((f"--engine ctranslate2 {setting} vs CT2 (interleaved, median)", engine, 0.95))
        # Issue 29: no setting behind CTranslate2, calibration's choice of engine included.
        rows.append((f"as run (the plan's engine) {setting} vs CT2 (interleaved)", ran, 1.0))
    if bf16 is not None:
        beam = bf16.get("beam 4", {})
        rows.append(("default beam 4 bf16 vs default fp32 (interleaved, median)",
                     beam.get("default fp32"), 2.0))  # fmt: skip
        rows.append(("default beam 4 bf16 vs CT2 float32 (interleaved, median)",
                     beam.get("CT2 float32"), 1.5))  # fmt: skip
    print(f"\n{'target':64} {'ratio':>6}    needed")
    for what, ratio, needed in rows:
        shown = "n/a" if ratio is None else f"{ratio:.2f}"
        verdict = "missing" if ratio is None else ("met" if ratio >= needed else "MISSED")
        print(f"{what:64} {shown:>6} >= {needed:<5} {verdict}")
    peak = results.get("sejajar transformers beam 4 fp32", {}).get("peak_mb")
    verdict = "missing" if peak is None else ("met" if peak < 1300 else "MISSED")
    what = "default engine beam 4 fp32 peak memory, MB"
    print(f"{what:64} {peak or 0:>6.0f} <  1300  {verdict}")
    if bf16 is not None:
        low = results.get("sejajar transformers beam 4 bf16", {}).get("peak_mb")
        verdict = "missing" if low is None or peak is None else ("met" if low <= peak else "MISSED")
        what = "default engine beam 4 bf16 peak memory, MB (run alone)"
        print(f"{what:64} {low or 0:>6.0f} <= {peak or 0:<5.0f} {verdict} (fp32's)")
