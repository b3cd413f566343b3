"""``--quantize int8``: the linear layers dynamically quantised (weights int8, activations
quantised on the fly, per batch), for the quantised engine calibration chose. Beside
:mod:`bf16`, the other precision the default engine converts a model to."""

from __future__ import annotations

from typing import Any


def quantized(model: Any, engine: str = "fbgemm") -> Any:
    """int8 dynamic quantisation of the linear layers (weights int8, activations quantised on
    the fly) for torch's quantised ``engine`` (fbgemm or onednn), a copy: faster on a CPU, at a
    small cost in quality (docs/performance.md)."""
    import warnings

    import torch

    # The engine packs the weights its own way; the setting is the process's (forks inherit it).
    if engine in torch.backends.quantized.supported_engines:
        torch.backends.quantized.engine = engine
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, an extra dependency; the
        # eager API still works in the torch we pin.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        quantize: Any = torch.ao.quantization.quantize_dynamic
        return quantize(model, {torch.nn.Linear}, dtype=torch.qint8)
