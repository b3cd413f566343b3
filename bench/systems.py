"""What the speed benches share: the machine's line, bare CTranslate2 set up as its fastest,
sejajar's default engine loaded with its calibrated plan and a forced output length, and the
first load that calibrates.

Random weights never stop on their own, so every system is forced to the same number of output
tokens per sentence (``translate/benchmarking.py`` for sejajar, ``min/max_decoding_length``
for CTranslate2).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CT2_BATCH = 16  # bare CTranslate2's max_batch_size, sejajar's default batch size


def machine() -> str:
    """The CPU model, its core count and the vector flags that decide which kernels run:
    every one calibration keys its plans on (``translate/cpu.py``), and fma and f16c."""
    from sejajar.translate.cpu import FLAGS, cpuinfo

    model, have = cpuinfo()
    flags = [f for f in ("fma", "f16c", *FLAGS) if f in have]
    return f"{model}; {os.cpu_count()} cores; flags: {' '.join(flags) or 'none read'}"


def bare_ct2(model: Path, quantize: str, cache: Path) -> tuple[Any, Any]:
    """(a CTranslate2 translator of ``model``, its tokenizer): converted once into ``cache``,
    one translator per core with one thread each (CTranslate2's fastest layout here)."""
    import ctranslate2
    from transformers import MarianTokenizer

    from sejajar.translate.benchmarking import convert_for_ct2

    tokenizer = MarianTokenizer.from_pretrained(str(model))
    translator = ctranslate2.Translator(
        str(convert_for_ct2(model, quantize, cache)),
        compute_type="float32" if quantize == "none" else "int8",
        inter_threads=os.cpu_count() or 1,
        intra_threads=1,
    )
    return translator, tokenizer


def ct2_tokens(tokenizer: Any, texts: list[str]) -> list[list[str]]:
    """``texts`` as the token strings CTranslate2 takes."""
    return [tokenizer.convert_ids_to_tokens(tokenizer(t)["input_ids"]) for t in texts]


def ct2_options(beams: int, length: int) -> dict[str, Any]:
    """``translate_batch`` options: sejajar's batch size and the forced output length."""
    return {
        "beam_size": beams,
        "max_batch_size": CT2_BATCH,
        "min_decoding_length": length,
        "max_decoding_length": length,
    }


def forced(translator: Any, length: int) -> Any:
    """``translator`` emitting exactly ``length`` tokens per sentence. A default-engine
    translator whose workers already run (its calibrated plan) gets them restarted, so that
    they inherit the forced length."""
    from sejajar.translate.benchmarking import BenchmarkOptions

    pool = getattr(translator, "pool", None)
    if pool is not None:
        translator.close()
    translator.benchmark = BenchmarkOptions(forced_length=length)
    if pool is not None:
        translator.start_workers(pool.workers, pool.threads)
    return translator


def first_load(model: Path, beams: int, quantize: str) -> dict[str, Any]:
    """The model's first load on this machine, as the command runs it: the calibration of
    the layout, stored in ``$XDG_CACHE_HOME`` for every later load to read. Returns the
    stored plans."""
    from sejajar.translate.calibrate import calibration_path
    from sejajar.translate.engines import ModelSettings
    from sejajar.translate.marian import load_marian

    settings = ModelSettings(
        model=str(model), beams=beams, quantize=quantize, device="cpu", workers=None, calibrate=True
    )
    load_marian(settings, rival=True).close()  # its plan only: no workers for a CTranslate2 one
    plans: dict[str, Any] = json.loads(calibration_path().read_text("utf-8"))
    return plans


def plan_lines(plans: dict[str, Any]) -> list[str]:
    """One line per stored calibration: its settings, the plan kept and every plan's time."""
    lines = []
    for key, entry in sorted(plans.items()):
        timed = ", ".join(f"{plan} {secs:.2f} s" for plan, secs in entry["seconds"].items())
        kept = f"{entry['workers']}x{entry['threads']} {entry['kernels']}"
        if entry.get("engine", "transformers") != "transformers":  # CTranslate2 won (int8)
            kept = f"{entry['engine']} {kept}"
        lines.append(f"  {key.split(' | ')[-1]}: kept {kept}; {timed}")
    return lines
