"""transformers' own ``generate``, for a generation config the search of :mod:`decode` does
not implement: the same results' shape as :meth:`decode.MarianSearch.run`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from sejajar.translate.search_state import Decoded


def generate(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    caps: Sequence[int],
    beams: int,
    min_tokens: int = 0,
) -> list[Decoded]:
    """What :meth:`MarianSearch.run` returns, from transformers' own ``generate`` (for a
    generation config the search does not implement): deterministic, no forced end, run to
    the batch's longest cap (the caller cuts each output to its own)."""
    config, gen = model.config, model.generation_config
    eos = gen.eos_token_id if gen.eos_token_id is not None else config.eos_token_id
    ends = set(eos) if isinstance(eos, list) else {eos}
    pad = gen.pad_token_id if gen.pad_token_id is not None else config.pad_token_id
    with torch.inference_mode():
        out = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            num_beams=beams,
            max_new_tokens=max(caps),
            min_new_tokens=min_tokens or None,
            forced_eos_token_id=None,
            do_sample=False,
        )
    results = []
    for row in out.tolist():
        tokens = row[1:]  # after the decoder start token
        end = next((i for i, t in enumerate(tokens) if t in ends), None)
        kept = tokens if end is None else tokens[:end]
        results.append(Decoded([t for t in kept if t != pad], end is not None))
    return results
