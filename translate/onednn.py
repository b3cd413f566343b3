"""Linear layers through oneDNN's private torch ops, where they work.

An fp32 linear layer on the CPU runs through ``torch.ops.mkldnn._linear_pointwise`` (to within
float32 rounding of torch's default matrix multiply). A layer that runs at every decoder step
can also have its weight reordered once for oneDNN (``_reorder_linear_weight``), but the
reordered copy takes twice the weight's size. Which is faster depends on the CPU and the shape:
on the AVX2 EPYC of docs/performance.md oneDNN's reordered weights won on the output projection
(512 x 54,796) and lost on the smaller layers (figures: docs/performance.md#calibration),
hence the calibration's "mixed" kernels (``only``: oneDNN for the named layers).

These ops are private: a torch release may change or drop them. So they are probed once per
process on a small tensor against ``torch.nn.functional.linear``; on an exception or a
mismatch every layer runs as the plain module (a debug log says why), before any decoding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import torch

from sejajar.translate.bf16 import Bf16Linear, onednn_linear

log = logging.getLogger(__name__)

Linear = Callable[[torch.Tensor], torch.Tensor]

_probed: dict[torch.dtype, bool] = {}  # the probe's result in this process, by dtype

# How close oneDNN's products must come to ``F.linear``'s: float32 rounding; for bf16 its own
# (8 bits of mantissa), against the product of the same bf16-rounded numbers.
_CLOSE = {torch.float32: 1e-4, torch.bfloat16: 2e-2}


def onednn_works(dtype: torch.dtype = torch.float32) -> bool:
    """Whether the private oneDNN linear ops exist and agree with ``F.linear`` on ``dtype``
    (float32 or bfloat16) weights (probed once per dtype)."""
    found = _probed.get(dtype)
    if found is None:
        found = _probed[dtype] = _probe(dtype)
    return found


def forget_probe() -> None:
    """Probe again at the next :func:`onednn_works` (tests that replace the ops)."""
    _probed.clear()


def _probe(dtype: torch.dtype) -> bool:
    ops = getattr(torch.ops, "mkldnn", None)
    if not torch.backends.mkldnn.is_available() or not (  # type: ignore[no-untyped-call]
        hasattr(ops, "_reorder_linear_weight") and hasattr(ops, "_linear_pointwise")
    ):
        log.debug("oneDNN linear ops unavailable; linear layers run as plain modules")
        return False
    generator = torch.Generator().manual_seed(0)
    x, weight, bias = (
        torch.randn(size, generator=generator).to(dtype) for size in ((3, 2, 16), (24, 16), (24,))
    )
    close = _CLOSE[dtype]
    try:
        with torch.inference_mode():
            expected = torch.nn.functional.linear(x.float(), weight.float(), bias.float())
            plain = torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")
            reordered = torch.ops.mkldnn._reorder_linear_weight(weight)
            packed = torch.ops.mkldnn._linear_pointwise(x, reordered, bias, "none", [], "")
            agree = all(
                isinstance(got, torch.Tensor)
                and got.shape == expected.shape
                and torch.allclose(got.float(), expected, rtol=close, atol=close)
                for got in (plain, packed)
            )
    except Exception as exc:  # a private op: any failure means "do not use it"
        log.debug("oneDNN linear ops failed their probe (%r); using plain modules", exc)
        return False
    if not agree:
        log.debug("oneDNN linear ops disagree with F.linear; using plain modules")
    return agree


class Linears:
    """Linear layers as fast callables: an fp32 ``nn.Linear`` or a bf16 layer (``dtype``
    bfloat16, see :mod:`bf16`) on the CPU runs through oneDNN when the probe passed; others
    (quantised, GPU, or no working oneDNN) run as they are. A layer named in ``packed`` gets
    its weight reordered once (for layers run at every step). With ``only``, oneDNN runs just
    the layers named there."""

    def __init__(
        self,
        packed: Iterable[torch.nn.Module] = (),
        onednn: bool = True,
        only: Iterable[torch.nn.Module] | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.packed = {id(module) for module in packed}
        self.only = None if only is None else {id(module) for module in only}
        self.ready: dict[int, Linear] = {}
        # The bf16 layers and whether their weight is to be held reordered (see ``settle``).
        self.held: list[tuple[Bf16Linear, bool]] = []
        self.dtype = dtype
        # ``onednn=False`` keeps torch's own matrix multiply (the "plain" kernels of a plan).
        self.onednn = onednn and onednn_works(dtype)

    def __call__(self, module: torch.nn.Module) -> Linear:
        fast = self.ready.get(id(module))
        if fast is None:
            fast = self.ready[id(module)] = self._prepare(module)
        return fast

    def settle(self) -> None:
        """Hold each bf16 layer's weight as these layers want it (reordered or plain): another
        search on the same model, such as calibration's other kernels, may have changed it."""
        for module, reordered in self.held:
            module.hold(reordered)

    def _prepare(self, module: torch.nn.Module) -> Linear:
        weight = getattr(module, "weight", None)
        fast = (
            self.onednn
            and (self.only is None or id(module) in self.only)
            and type(module) in (torch.nn.Linear, Bf16Linear)
            and isinstance(weight, torch.Tensor)
            and weight.dtype == self.dtype
            and weight.device.type == "cpu"
        )
        if isinstance(module, Bf16Linear):
            return self._bf16(module, bool(fast))
        if not fast or weight is None:
            return module
        matrix = weight.detach()
        if id(module) in self.packed:
            with torch.inference_mode():
                matrix = torch.ops.mkldnn._reorder_linear_weight(matrix)
        bias = module.bias.detach() if isinstance(module.bias, torch.Tensor) else None

        def linear(x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(x, matrix, bias, "none", [], "")
            return out

        return linear

    def _bf16(self, module: Bf16Linear, fast: bool) -> Linear:
        """A bf16 layer through oneDNN (``fast``), its weight held reordered when it runs at
        every step, or as it is (its own ``F.linear``), the weight held plain."""
        reordered = fast and id(module) in self.packed
        self.held.append((module, reordered))
        module.hold(reordered)
        if not fast:
            return module

        def bf16_linear(x: torch.Tensor) -> torch.Tensor:
            # The weight read at each call, as ``settle`` may hold it otherwise.
            return onednn_linear(x, module.weight, module.bias)

        return bf16_linear
