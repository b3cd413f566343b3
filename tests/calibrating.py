"""What the calibration tests share: sentences, a ``fastest`` that chooses without timing, a
load with the layout left open (calibration on: the ``calibrating`` fixture in conftest), and
the tokens a loaded translator's search gives beside ``generate()``'s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sejajar.translate.calibrate import Plan
from sejajar.translate.engines import ModelSettings
from sejajar.translate.marian import MarianTranslator, load_marian

TEXTS = [
    "Amerika Serikat pada Rabu berjanji memberi Korea Selatan wawasan.",
    "Harga naik.",
    "Biden mengulangi tawaran AS kepada Korea Utara untuk mengadakan pembicaraan.",
]
Fastest = Callable[[Sequence[Plan], Callable[[Plan], float]], tuple[Plan, dict[Plan, float]]]


def load(model: Path, **options: Any) -> MarianTranslator:
    settings: dict[str, Any] = {"beams": 1, "calibrate": True, "workers": None, "threads": None}
    return load_marian(ModelSettings(model=str(model), **{**settings, **options}))


def choosing_kernels(plans: Sequence[Plan]) -> bool:
    """Whether a call of ``fastest`` is the calibration's kernel stage (plans of several
    kernels) rather than its layout stage (one kernel)."""
    return len({p.kernels for p in plans}) > 1


def forced(plan: Plan, calls: list[int]) -> Fastest:
    """A ``fastest`` that times nothing and chooses ``plan`` (its kernels among kernels, then
    its layout), counting calibrations: calls that choose a layout."""

    def choose(plans: Sequence[Plan], time_plan: Callable[[Plan], float]) -> Any:
        if not choosing_kernels(plans):
            calls.append(len(plans))
        return plan, {p: 1.0 for p in plans}

    return choose


def decoded(translator: MarianTranslator, beams: int) -> Any:
    """Token ids from sejajar's search with this translator's kernels, and from
    ``model.generate``, on the same batch."""
    from sejajar.translate.fallback import generate

    enc = translator.tokenizer(TEXTS, return_tensors="pt", padding=True)
    args = (enc["input_ids"], enc["attention_mask"], [24] * len(TEXTS), beams)
    translator.prepare()
    assert translator._search is not None
    return translator._search.run(*args), generate(translator.model, *args)
