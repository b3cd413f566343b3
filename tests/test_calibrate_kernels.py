"""Every calibration plan's kernels give the same translations: fp32 through torch's own
products, oneDNN, or both (mixed) gives ``generate()``'s tokens, and int8 translates with each
quantised engine this torch build offers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sejajar.translate import calibrate
from sejajar.translate.calibrate import Plan
from tests.calibrating import TEXTS, choosing_kernels, decoded, forced, load

pytestmark = pytest.mark.usefixtures("calibrating")


@pytest.mark.parametrize("beams", [1, 3])
def test_fp32_plain_onednn_and_mixed_kernels_give_generates_tokens(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, beams: int
) -> None:
    import torch

    from sejajar.translate.onednn import onednn_works

    results = []
    assert set(calibrate.KERNELS["none"]) == {"plain", "onednn", "mixed"}
    for kernels in calibrate.KERNELS["none"]:
        monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, kernels), []))
        calibrate.calibration_path().unlink(missing_ok=True)
        translator = load(tiny_model, beams=beams)
        assert translator.kernels == kernels
        ours, reference = decoded(translator, beams)
        search = translator._search
        assert search is not None
        assert search.linear.onednn == (kernels != "plain" and onednn_works())
        # Mixed: oneDNN for the output projection alone.
        output = {id(translator.model.lm_head)}
        assert search.linear.only == (output if kernels == "mixed" else None)
        if onednn_works():
            model = translator.model
            for layer in model.model.modules():  # every layer but the output projection
                if isinstance(layer, torch.nn.Linear):
                    assert (search.linear(layer) is layer) == (kernels != "onednn")
            assert (search.lm_head is not model.lm_head) == (kernels != "plain")
        assert ours == reference
        results.append(ours)
    assert all(r == results[0] for r in results)


def test_int8_with_each_engine_translates(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    engines = calibrate.int8_kernels()
    assert "fbgemm" in engines
    outputs = []
    for kernels in engines:
        monkeypatch.setattr(calibrate, "fastest", forced(Plan(1, 1, kernels), []))
        calibrate.calibration_path().unlink(missing_ok=True)
        translator = load(tiny_model, quantize="int8")
        assert translator.kernels == kernels == torch.backends.quantized.engine
        assert dict(translator.signature)["quantize"] == "int8"
        outputs.append(translator.translate(TEXTS))
        assert all(t.text for t in outputs[-1])
    # int8 kernels round differently: the README promises no exact equality, but on the tiny
    # model every engine says the same.
    assert all(o == outputs[0] for o in outputs)


def test_int8_calibration_leaves_the_kept_engine_on(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building each engine's copy switches the process's quantised engine: after a real
    calibration it is the kept one's, which the workers inherit."""
    import torch

    if len(calibrate.int8_kernels()) < 2:
        pytest.skip("this torch build has one quantised engine")
    real = calibrate.fastest
    for winner in calibrate.int8_kernels():
        # Every timing is real (both engines' copies are built); the kernels kept are each
        # engine in turn.
        def rigged(plans: Any, time_plan: Any, winner: str = winner) -> Any:
            chosen, seconds = real(plans, time_plan)
            if choosing_kernels(plans):
                chosen = next(p for p in plans if p.kernels == winner)
            return chosen, seconds

        monkeypatch.setattr(calibrate, "fastest", rigged)
        calibrate.calibration_path().unlink(missing_ok=True)
        translator = load(tiny_model, quantize="int8")
        try:
            assert translator.kernels == winner == torch.backends.quantized.engine
            assert all(t.text for t in translator.translate(TEXTS))
        finally:
            translator.close()
