"""Greedy and beam search over a MarianMT model's own layers, without ``model.generate``.

The search is the one transformers runs (same logits processing, same beam bookkeeping, same
stopping rule; a test checks the outputs match), with the work it does not need left out:

- the encoder's keys and values are computed once per source and shared by its beams (the
  beams are the query length of one cross-attention call), where ``generate`` copies them for
  every beam and reorders the copies at every step;
- the decoder's own keys and values live in one preallocated buffer per layer;
- a sentence leaves the batch as soon as its result is settled, and each stops at its own
  output cap rather than the longest one in the batch.

Profiled on opus-mt-id-en's architecture at beam 4, reordering and mask building took about
two thirds of ``generate``'s time.

Beam search itself is in :mod:`beam`, what the search carries between steps in
:mod:`search_state`, the fast linear layers (private oneDNN ops, probed once) in :mod:`onednn`.
A generation config the search cannot follow exactly raises :class:`UnsupportedSettings`, and
``MarianTranslator`` then translates with ``model.generate`` (:mod:`fallback`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch

from sejajar.translate.beam import beam_search, row_max
from sejajar.translate.bf16 import Bf16Linear
from sejajar.translate.onednn import Linears
from sejajar.translate.search_state import Decoded, State, index

__all__ = ["Decoded", "MarianSearch", "UnsupportedSettings"]

# Beams of a greedy run's sentences that have terms to place (see :mod:`constraints`).
TERM_BEAMS = 4

# Generation settings whose logits processors the search does not implement, and the value
# that means "off". A model whose generation config sets one otherwise is translated by
# ``generate`` instead (see MarianTranslator).
_NOT_IMPLEMENTED: dict[str, object] = {
    "repetition_penalty": 1.0,
    "encoder_repetition_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "encoder_no_repeat_ngram_size": 0,
    "min_length": 0,
    "min_new_tokens": 0,
    "num_beam_groups": 1,
    "diversity_penalty": 0.0,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
    "forced_bos_token_id": None,
    "sequence_bias": None,
    "exponential_decay_length_penalty": None,
}


class UnsupportedSettings(ValueError):
    """The model's generation config asks for something the search does not implement."""


class MarianSearch:
    """Searches with a loaded ``MarianMTModel`` (fp32, dynamically quantised or bf16). Raises
    :class:`UnsupportedSettings` for a generation config it cannot follow exactly.
    ``onednn=False`` runs fp32 linear layers through torch's own matrix multiply;
    ``onednn="output"`` runs only the output projection through oneDNN."""

    def __init__(self, model: Any, onednn: bool | Literal["output"] = True) -> None:
        config, gen = model.config, model.generation_config
        _check(gen)
        self.encoder = model.model.encoder
        self.encoder_layers = list(self.encoder.layers)
        decoder = model.model.decoder
        self.embed = decoder.embed_tokens
        self.embed_scale = float(decoder.embed_scale)
        self.positions: torch.Tensor = decoder.embed_positions.weight
        self.layers = list(decoder.layers)
        # The decoder's layers run at every step: their weights are worth reordering for
        # oneDNN; the encoder's run once per sentence.
        stepped = [m for m in decoder.modules() if isinstance(m, (torch.nn.Linear, Bf16Linear))]
        only = (model.lm_head,) if onednn == "output" else None
        # A bf16 model (see :mod:`bf16`): its linear layers' weights are bf16, the rest fp32.
        bf16 = isinstance(model.lm_head, Bf16Linear)
        dtype = torch.bfloat16 if bf16 else torch.float32
        self.linear = Linears(
            packed=(model.lm_head, *stepped), onednn=bool(onednn), only=only, dtype=dtype
        )
        self.lm_head = self.linear(model.lm_head)
        # int8 (dynamically quantised layers): one activation scale per batch and step.
        self.batch_scaled = any(
            isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules()
        )
        self.bias: torch.Tensor = model.final_logits_bias
        self.heads: int = config.decoder_attention_heads
        self.head_dim: int = config.d_model // self.heads
        self.scaling = self.head_dim**-0.5
        start = gen.decoder_start_token_id
        self.start: int = config.decoder_start_token_id if start is None else start
        eos = gen.eos_token_id if gen.eos_token_id is not None else config.eos_token_id
        if isinstance(eos, list):
            if len(eos) != 1:
                raise UnsupportedSettings("the search handles one end-of-sentence token")
            eos = eos[0]
        self.eos: int = eos
        bad = gen.bad_words_ids or []
        if any(len(seq) != 1 for seq in bad):
            raise UnsupportedSettings("the search handles single-token bad words only")
        self.banned: list[int] = [seq[0] for seq in bad]
        # transformers 5 leaves unset fields None and applies these defaults in generate().
        self.renormalize = bool(gen.renormalize_logits)
        self.length_penalty = 1.0 if gen.length_penalty is None else float(gen.length_penalty)
        self.early_stopping: bool | str = (
            False if gen.early_stopping is None else gen.early_stopping
        )

    def run(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        caps: Sequence[int],
        beams: int,
        min_tokens: int = 0,
        constraints: Sequence[Sequence[Sequence[int]]] | None = None,
        joins: torch.Tensor | None = None,
    ) -> list[Decoded]:
        """Translate one padded batch. ``caps[i]`` is the most tokens sentence i may produce
        (end-of-sentence included); ``min_tokens`` forbids ending sooner, like ``generate``'s
        ``min_new_tokens``.

        ``constraints[i]``: the token ids of each term sentence i's output must hold (see
        :mod:`constraints`; ``joins`` the tokens that continue a word). A sentence without
        terms gets the tokens it gets without ``constraints``; greedy, sentences with terms
        are searched with :data:`TERM_BEAMS` beams.

        Without ``constraints`` the batch is searched as it is. With them, an fp32 or bf16
        batch is searched once, with the rows of sentences without terms left as they were
        (greedy: those sentences alone), as a row's numbers depend on that row only. int8
        quantises each step's activations with one scale for the whole batch, so there a
        sentence's tokens depend on the others in its batch: a batch holding sentences of
        both kinds is then searched whole as without terms first (the sentences without
        terms take those outputs, the same batch as a run without a glossary), and the
        sentences with terms again, with them, on their own."""
        from sejajar.translate.constraints import Constraints

        self.linear.settle()

        with torch.inference_mode():
            mask = None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :]
            encoded = self._encode(input_ids, mask)
            if constraints is None or not any(constraints):
                return self._search(State(self, encoded, mask, caps, beams), min_tokens)
            plain = [i for i, c in enumerate(constraints) if not c]
            placing = [i for i, c in enumerate(constraints) if c]
            if beams > 1 and not (plain and self.batch_scaled):
                terms = Constraints(constraints, beams, encoded.device, joins)
                state = State(self, encoded, mask, caps, beams)
                return beam_search(self, state, min_tokens, terms)
            results: list[Decoded | None] = [None] * len(caps)
            if plain:
                rows = list(range(len(caps))) if self.batch_scaled else plain
                found = self._search(self._part(encoded, mask, caps, rows, beams), min_tokens)
                for row, result in zip(rows, found, strict=True):
                    if not constraints[row]:
                        results[row] = result
            width = beams if beams > 1 else TERM_BEAMS
            sub = self._part(encoded, mask, caps, placing, width)
            terms = Constraints([constraints[i] for i in placing], width, sub.device, joins)
            found = beam_search(self, sub, min_tokens, terms)
            for row, result in zip(placing, found, strict=True):
                results[row] = result
            return [r for r in results if r is not None]

    def _search(self, state: State, min_tokens: int) -> list[Decoded]:
        """The batch of ``state`` without terms: greedy for one beam, beam search otherwise."""
        if state.beams == 1:
            return self._greedy(state, min_tokens)
        return beam_search(self, state, min_tokens)

    def _part(
        self,
        encoded: torch.Tensor,
        mask: torch.Tensor | None,
        caps: Sequence[int],
        rows: list[int],
        beams: int,
    ) -> State:
        """A search state for some sentences of the batch (``rows``) only."""
        if len(rows) == len(caps):
            return State(self, encoded, mask, caps, beams)
        picked = index(rows, encoded.device)
        part_mask = None if mask is None else mask[picked]
        return State(self, encoded[picked], part_mask, [caps[i] for i in rows], beams)

    def prepare(self) -> None:
        """Set up every linear layer now rather than at first use (before workers fork)."""
        modules = [self.encoder_layers, self.layers]
        for layer in (layer for group in modules for layer in group):
            for module in layer.modules():
                if isinstance(module, (torch.nn.Linear, Bf16Linear)):
                    self.linear(module)

    # -- the encoder -------------------------------------------------------------------------

    def _encode(self, input_ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """The encoder's output, as ``MarianEncoder`` computes it (its linear layers fast)."""
        F, lin = torch.nn.functional, self.linear
        items, length = input_ids.shape
        h: torch.Tensor = self.encoder.embed_tokens(input_ids) * self.encoder.embed_scale
        h = h + self.encoder.embed_positions.weight[:length]
        heads = self.encoder_layers[0].self_attn.num_heads if self.encoder_layers else 1
        size = (items, length, heads, -1)
        for layer in self.encoder_layers:
            attn = layer.self_attn
            q, k, v = (
                lin(p)(h).view(size).transpose(1, 2)
                for p in (attn.q_proj, attn.k_proj, attn.v_proj)
            )
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=attn.scaling)
            merged = out.transpose(1, 2).reshape(items, length, -1)
            h = layer.self_attn_layer_norm(h + lin(attn.out_proj)(merged))
            inner = layer.activation_fn(lin(layer.fc1)(h))
            h = layer.final_layer_norm(h + lin(layer.fc2)(inner))
        return h

    # -- one decoder step -------------------------------------------------------------------

    def logits(self, state: State, tokens: torch.Tensor, step: int) -> torch.Tensor:
        """Next-token logits for each row (a sentence, or one beam of it). ``tokens`` may hold
        one row per sentence where the state has several beams (a beam search's first step,
        when every beam is the same): those rows are the sentences' first beams."""
        F = torch.nn.functional
        rows = tokens.shape[0]
        beams = rows // state.items
        stride = state.beams // beams
        h: torch.Tensor = self.embed(tokens[:, None]) * self.embed_scale + self.positions[step]
        lin = self.linear
        if step >= state.keys[0].shape[2]:
            state.grow(max(state.caps))
        for i, layer in enumerate(self.layers):
            attn = layer.self_attn
            q = self.split_heads(lin(attn.q_proj)(h), rows)
            own_keys, own_values = state.keys[i][::stride], state.values[i][::stride]
            own_keys[:, :, step] = self.split_heads(lin(attn.k_proj)(h), rows)[:, :, 0]
            own_values[:, :, step] = self.split_heads(lin(attn.v_proj)(h), rows)[:, :, 0]
            keys, values = own_keys[:, :, : step + 1], own_values[:, :, : step + 1]
            out = F.scaled_dot_product_attention(q, keys, values, scale=self.scaling)
            h = layer.self_attn_layer_norm(h + lin(attn.out_proj)(self._merge(out, rows)))

            cross = layer.encoder_attn
            # The beams of a sentence are the queries of one call on that sentence's keys.
            q = lin(cross.q_proj)(h).view(state.items, beams, self.heads, self.head_dim)
            out = F.scaled_dot_product_attention(
                q.transpose(1, 2),
                state.cross_keys[i],
                state.cross_values[i],
                attn_mask=state.source_mask,
                scale=self.scaling,
            )
            h = layer.encoder_attn_layer_norm(h + lin(cross.out_proj)(self._merge(out, rows)))

            inner = layer.activation_fn(lin(layer.fc1)(h))
            h = layer.final_layer_norm(h + lin(layer.fc2)(inner))
        logits = self.lm_head(h)
        logits += self.bias
        return logits[:, 0].to(torch.float32)

    def split_heads(self, x: torch.Tensor, rows: int) -> torch.Tensor:
        """(rows, length, model) -> (rows, heads, length, head size)."""
        return x.view(rows, -1, self.heads, self.head_dim).transpose(1, 2)

    def _merge(self, x: torch.Tensor, rows: int) -> torch.Tensor:
        return x.transpose(1, 2).reshape(rows, 1, self.heads * self.head_dim)

    def _ban(self, scores: torch.Tensor, step: int, min_tokens: int) -> torch.Tensor:
        """transformers' logits processors for a Marian model: no end before ``min_tokens``, no
        banned token (the pad)."""
        if step < min_tokens:
            scores[:, self.eos] = -float("inf")
        if self.banned:
            scores[:, self.banned] = -float("inf")
        return scores

    def log_probs(self, logits: torch.Tensor, step: int, min_tokens: int) -> torch.Tensor:
        """Next-token log-probabilities as beam search scores them. With ``renormalize_logits``
        (opus-mt's setting) transformers takes log-probabilities, bans tokens, then takes
        log-probabilities again; banning first and taking them once is the same up to float
        rounding (log_softmax ignores a constant shift), for one pass over the vocabulary
        instead of two. ``logits`` is overwritten."""
        if self.renormalize:
            logits = self._ban(logits, step, min_tokens)
            return torch.log_softmax(logits, dim=-1, out=logits)  # in place: no new tensor
        return self._ban(torch.log_softmax(logits, dim=-1, out=logits), step, min_tokens)

    # -- greedy -----------------------------------------------------------------------------

    def _greedy(self, state: State, min_tokens: int) -> list[Decoded]:
        results: list[Decoded | None] = [None] * state.items
        tokens = torch.full((state.items,), self.start, dtype=torch.long, device=state.device)
        history: list[list[int]] = [[] for _ in range(state.items)]
        step = 0
        while state.items:
            # The best token is the best logit: no log-probabilities needed. By blocks: argmax
            # over the vocabulary is several times slower on the CPU (docs/performance.md).
            tokens = row_max(self._ban(self.logits(state, tokens, step), step, min_tokens))[1]
            keep = []
            for row, token in enumerate(tokens.tolist()):
                position = state.index[row]
                if token == self.eos:
                    results[position] = Decoded(history[position], True)
                    continue
                history[position].append(token)
                if step + 1 >= state.caps[row]:
                    results[position] = Decoded(history[position], False)
                else:
                    keep.append(row)
            step += 1
            if len(keep) < state.items:
                state.keep(keep)
                tokens = tokens[index(keep, state.device)]
        return [r for r in results if r is not None]


def _check(gen: Any) -> None:
    """Raise :class:`UnsupportedSettings` when ``gen`` turns on a setting the search lacks."""
    for name, off in _NOT_IMPLEMENTED.items():
        value = getattr(gen, name, None)
        if value is not None and value != off and not (off is None and not value):
            raise UnsupportedSettings(f"the search does not implement {name}={value!r}")
