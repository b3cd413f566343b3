"""What this CPU offers, as ``/proc/cpuinfo`` says: its model name and the vector extensions
that decide which kernels run (calibration keys its plans on them, the benches print them),
and whether it runs bf16 natively.

bf16 needs avx512_bf16 (its dot products) or amx_bf16 (AMX tiles): without either, torch
emulates bf16 products, slower than fp32, so ``--quantize bf16`` is refused there rather than
run slowly (see :mod:`bf16`). Nothing heavy is imported here.
"""

from __future__ import annotations

import platform
from pathlib import Path

# The extensions a calibration's plan is keyed on, and a bench's machine line prints.
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_int8", "amx_bf16")
# Either gives native bf16 products.
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpuinfo() -> tuple[str, frozenset[str]]:
    """(the CPU's model name, its flags); the platform's processor name and no flags where
    ``/proc/cpuinfo`` cannot be read."""
    name, flags = platform.processor() or platform.machine(), frozenset[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                name = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and ":" in line:
                flags = frozenset(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    return name, flags


def described() -> str:
    """This CPU's model name and which of :data:`FLAGS` it has: ``NAME [FLAG FLAG]``."""
    name, have = cpuinfo()
    return f"{name} [{' '.join(f for f in FLAGS if f in have)}]"


def has_bf16() -> bool:
    """Whether this CPU computes bf16 products natively (avx512_bf16 or amx_bf16)."""
    return any(f in cpuinfo()[1] for f in BF16_FLAGS)


def bf16_refusal(engine: str) -> str | None:
    """Why ``{quantize} bf16`` cannot run with ``engine`` on this CPU, as the one-line error
    (settings written ``{name}``), or None when it can."""
    alternatives = "use {quantize} int8 or {quantize} none"
    if engine == "ctranslate2":
        return f"{{engine}} ctranslate2 has no bf16 on a CPU; {alternatives}, or the default engine"
    if has_bf16():
        return None
    return (
        f"{{quantize}} bf16 needs a CPU with {' or '.join(BF16_FLAGS)} and this one "
        f"({cpuinfo()[0]}) has neither (bf16 emulated would be slower than fp32); {alternatives}"
    )
