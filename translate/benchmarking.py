"""The benchmarking hook: what ``bench/`` needs from the engines and a normal run never uses.

Random weights never emit end-of-sentence, and real ones stop at different lengths on
different engines, so a fair speed comparison makes every system produce the same number of
tokens per sentence. Set it on a loaded engine, before :meth:`MarianTranslator.start_workers`
(the workers inherit it)::

    translator = load_marian(ModelSettings(model=folder, workers=1, calibrate=False))
    translator.benchmark = BenchmarkOptions(forced_length=30)

Every output is then exactly ``forced_length`` tokens: end-of-sentence is forbidden before,
and the output is cut there (and flagged as having hit its cap). Both engines
(``MarianTranslator`` and ``CT2Translator``) follow it. Never cache or export such output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchmarkOptions:
    """Settings for benchmark runs only (see the module's docstring)."""

    forced_length: int

    def __post_init__(self) -> None:
        if self.forced_length < 1:
            raise ValueError(f"forced_length must be at least 1, not {self.forced_length}")


def convert_for_ct2(folder: Path, quantize: str, cache_root: Path) -> Path:
    """The CTranslate2 conversion of the model in ``folder`` (made once under ``cache_root``,
    as ``load_ct2`` makes it), for benchmarks that drive ``ctranslate2`` directly."""
    from sejajar.translate.ct2 import _converted
    from sejajar.translate.models import folder_revision

    return _converted(folder, folder_revision(folder), quantize, cache_root)
