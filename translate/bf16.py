"""``--quantize bf16``: the model's matrix products in bfloat16, on CPUs that compute it
natively (avx512_bf16 or AMX, see :mod:`cpu`; elsewhere the option is refused).

What is bf16 and what stays fp32:

- bf16: the weights and biases of every linear layer (the attention projections, the feed
  forward layers and the output projection over the vocabulary) and the products themselves:
  a layer's input is rounded to bf16, oneDNN multiplies with fp32 accumulation and its
  output is rounded to bf16, then turned back into fp32.
- fp32: everything between products. The residual stream, the layer norms, attention (its
  scores, softmax and the keys and values kept between steps), the embedding table (a
  lookup, not a product; the output projection gets its own bf16 copy), the final logits
  bias, log-probabilities and beam scores. bf16 keeps fp32's exponent range but only 8 bits
  of mantissa: a softmax, a layer norm's variance or a beam's running score summed in bf16
  would lose what ranks close candidates, while a product's rounding averages out over its
  512 or 2,048 terms.

So the search (``decode.py``) and transformers' ``generate`` run unchanged on such a model:
each linear layer takes and gives fp32, as int8's dynamically quantised layers do. How close
it stays to fp32: docs/performance.md#bf16 (tested in tests/test_bf16.py).

The conversion is in place, layer by layer: each fp32 weight is dropped as its bf16 copy is
made, so the model never holds both (half the linear layers' memory, the output projection's
bf16 copy included).
"""

from __future__ import annotations

from typing import Any

import torch

# Layers converted between two hand-backs of checkpoint pages (each costs a few ms).
_RELEASE_EVERY = 8


class Bf16Linear(torch.nn.Module):
    """A linear layer with bf16 weights, taking and giving fp32 (or any float) tensors."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]
        self.weight = torch.nn.Parameter(weight.detach().to(torch.bfloat16), requires_grad=False)
        self.bias = (
            None
            if bias is None
            else torch.nn.Parameter(bias.detach().to(torch.bfloat16), requires_grad=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight.is_mkldnn:  # reordered for oneDNN (see ``hold``)
            return onednn_linear(x, self.weight, self.bias)
        out = torch.nn.functional.linear(x.to(torch.bfloat16), self.weight, self.bias)
        return out.to(x.dtype)

    def hold(self, reordered: bool) -> None:
        """Keep the weight reordered for oneDNN (the search's layers run at every step) or
        plain, as one copy either way: the reordered copy replaces the plain one instead of
        sitting beside it (fp32's plain weights are pages of the mapped checkpoint, handed
        back to the kernel; bf16's are the process's own). Exact both ways."""
        if self.weight.is_mkldnn == reordered:
            return
        with torch.no_grad():
            plain = self.weight.detach()
            weight = (
                torch.ops.mkldnn._reorder_linear_weight(plain) if reordered else plain.to_dense()
            )
        self.weight = torch.nn.Parameter(weight, requires_grad=False)


def onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """A bf16 layer through oneDNN's linear op (``weight`` plain or reordered), in and out as
    ``x``'s dtype."""
    out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(
        x.to(torch.bfloat16), weight, bias, "none", [], ""
    )
    return out.to(x.dtype)


def to_bf16(model: Any) -> Any:
    """``model`` with every ``nn.Linear`` replaced by a :class:`Bf16Linear`, in place (each
    fp32 weight freed once its copy is made, unless another module shares it: the embedding
    table the output projection is tied to). The weights read from a mapped checkpoint leave
    its pages resident: they are handed back to the kernel every few layers (see
    :mod:`pages`), or the peak would hold the whole fp32 checkpoint beside its bf16 copy.
    Returns ``model``."""
    from sejajar.translate.pages import release_checkpoint_pages

    places = [
        (parent, name)
        for parent in model.modules()
        for name, child in parent.named_children()
        if type(child) is torch.nn.Linear
    ]
    for done, (parent, name) in enumerate(places, 1):
        # Once replaced, nothing holds the fp32 layer: its weight goes before the next copy.
        fp32 = getattr(parent, name)
        setattr(parent, name, Bf16Linear(fp32.weight, fp32.bias))
        if done % _RELEASE_EVERY == 0 or done == len(places):
            release_checkpoint_pages()
    return model
