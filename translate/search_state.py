"""What the search carries from one decoder step to the next (see :mod:`decode`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from sejajar.translate.decode import MarianSearch

NEG = -1.0e9  # what transformers adds to rule a candidate out
_FIRST_ROOM = 32  # decoder steps the key/value buffers hold before they grow


@dataclass(frozen=True)
class Decoded:
    """One output: token ids before end-of-sentence, and whether end-of-sentence was reached."""

    ids: list[int]
    ended: bool


class State:
    """The encoder's keys and values per layer, the decoder's own keys and values so far, and
    which sentences are still in the batch."""

    def __init__(
        self,
        search: MarianSearch,
        encoded: torch.Tensor,
        mask: torch.Tensor | None,
        caps: Sequence[int],
        beams: int,
    ) -> None:
        self.items, self.beams = encoded.shape[0], beams
        self.device = encoded.device
        self.index = list(range(self.items))
        self.caps = list(caps)
        # Room for the first steps; grown (doubling) only for sentences that go on longer.
        rows, length = self.items * beams, min(max(caps), _FIRST_ROOM)
        shape = (rows, search.heads, length, search.head_dim)
        self.keys = [encoded.new_empty(shape) for _ in search.layers]
        self.values = [encoded.new_empty(shape) for _ in search.layers]
        self.spare: list[torch.Tensor] = []  # beam search reorders into these, then swaps
        lin = search.linear
        self.cross_keys = [
            search.split_heads(lin(layer.encoder_attn.k_proj)(encoded), self.items).contiguous()
            for layer in search.layers
        ]
        self.cross_values = [
            search.split_heads(lin(layer.encoder_attn.v_proj)(encoded), self.items).contiguous()
            for layer in search.layers
        ]
        self.source_mask = mask  # None when no source is padded

    def grow(self, most: int) -> None:
        """Double the room for the decoder's keys and values (up to ``most`` steps)."""
        room = self.keys[0].shape[2]
        extra = min(most, 2 * room) - room

        def grown(cache: torch.Tensor) -> torch.Tensor:
            pad = cache.new_empty((*cache.shape[:2], extra, cache.shape[3]))
            return torch.cat((cache, pad), dim=2)

        self.keys = [grown(c) for c in self.keys]
        self.values = [grown(c) for c in self.values]
        self.spare = []

    def reorder(self, rows: torch.Tensor, step: int) -> None:
        """Beam search: each row's history becomes that of the beam it continues (gathered
        into a spare buffer in one pass, then the buffers swap)."""
        caches = [*self.keys, *self.values]
        if len(self.spare) != len(caches):
            self.spare = [c.new_empty(c.shape) for c in caches]
        for cache, spare in zip(caches, self.spare, strict=True):
            torch.index_select(cache[:, :, :step], 0, rows, out=spare[:, :, :step])
        layers = len(self.keys)
        self.keys, self.values = self.spare[:layers], self.spare[layers:]
        self.spare = caches

    def keep(self, items: list[int]) -> None:
        """Only these sentences (positions in the current batch) go on."""
        picked = index(items, self.device)
        beams = index(list(range(self.beams)), self.device)
        rows = (picked[:, None] * self.beams + beams[None, :]).view(-1)
        self.keys = [c[rows] for c in self.keys]
        self.values = [c[rows] for c in self.values]
        self.spare = []
        self.cross_keys = [c[picked] for c in self.cross_keys]
        self.cross_values = [c[picked] for c in self.cross_values]
        if self.source_mask is not None:
            self.source_mask = self.source_mask[picked]
        self.index = [self.index[i] for i in items]
        self.caps = [self.caps[i] for i in items]
        self.items = len(items)


def index(values: list[int], device: torch.device) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long, device=device)
