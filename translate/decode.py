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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NEG = -1.0e9  # what transformers adds to rule a candidate out
_FIRST_ROOM = 32  # decoder steps the key/value buffers hold before they grow


@dataclass(frozen=True)
class Decoded:
    """One output: token ids before end-of-sentence, and whether end-of-sentence was reached."""

    ids: list[int]
    ended: bool


class MarianSearch:
    """Searches with a loaded ``MarianMTModel`` (fp32 or dynamically quantised)."""

    def __init__(self, model: Any) -> None:
        import torch

        self.torch = torch
        config, gen = model.config, model.generation_config
        self.encoder = model.model.encoder
        self.encoder_layers = list(self.encoder.layers)
        decoder = model.model.decoder
        self.embed = decoder.embed_tokens
        self.embed_scale = float(decoder.embed_scale)
        self.positions = decoder.embed_positions.weight
        self.layers = list(decoder.layers)
        # The decoder's layers run at every step: their weights are worth reordering for
        # oneDNN; the encoder's run once per sentence.
        stepped = [m for m in decoder.modules() if isinstance(m, torch.nn.Linear)]
        self.linear = _Linears(torch, packed=(model.lm_head, *stepped))
        self.lm_head = self.linear(model.lm_head)
        self.bias = model.final_logits_bias
        self.heads = config.decoder_attention_heads
        self.head_dim = config.d_model // self.heads
        self.scaling = self.head_dim**-0.5
        self.start = gen.decoder_start_token_id
        if self.start is None:
            self.start = config.decoder_start_token_id
        self.eos = gen.eos_token_id if gen.eos_token_id is not None else config.eos_token_id
        if isinstance(self.eos, list):
            if len(self.eos) != 1:
                raise ValueError("the search handles one end-of-sentence token")
            self.eos = self.eos[0]
        bad = gen.bad_words_ids or []
        if any(len(seq) != 1 for seq in bad):
            raise ValueError("the search handles single-token bad words only")
        self.banned = [seq[0] for seq in bad]
        # transformers 5 leaves unset fields None and applies these defaults in generate().
        self.renormalize = bool(gen.renormalize_logits)
        self.length_penalty = 1.0 if gen.length_penalty is None else float(gen.length_penalty)
        self.early_stopping = False if gen.early_stopping is None else gen.early_stopping

    def run(
        self,
        input_ids: Any,
        attention_mask: Any,
        caps: Sequence[int],
        beams: int,
        min_tokens: int = 0,
    ) -> list[Decoded]:
        """Translate one padded batch. ``caps[i]`` is the most tokens sentence i may produce
        (end-of-sentence included); ``min_tokens`` forbids ending sooner (benchmarks only)."""
        with self.torch.inference_mode():
            mask = None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :]
            encoded = self._encode(input_ids, mask)
            state = _State(self, encoded, mask, caps, beams)
            if beams == 1:
                return self._greedy(state, min_tokens)
            return self._beam(state, min_tokens)

    def prepare(self) -> None:
        """Set up every linear layer now rather than at first use (before workers fork)."""
        modules = [self.encoder_layers, self.layers]
        for layer in (layer for group in modules for layer in group):
            for module in layer.modules():
                if isinstance(module, self.torch.nn.Linear):
                    self.linear(module)

    # -- the encoder -------------------------------------------------------------------------

    def _encode(self, input_ids: Any, mask: Any) -> Any:
        """The encoder's output, as ``MarianEncoder`` computes it (its linear layers fast)."""
        F, lin = self.torch.nn.functional, self.linear
        items, length = input_ids.shape
        h = self.encoder.embed_tokens(input_ids) * self.encoder.embed_scale
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

    def _logits(self, state: _State, tokens: Any, step: int) -> Any:
        """Next-token logits for each row (a sentence, or one beam of it). ``tokens`` may hold
        one row per sentence where the state has several beams (a beam search's first step,
        when every beam is the same): those rows are the sentences' first beams."""
        torch, F = self.torch, self.torch.nn.functional
        rows = tokens.shape[0]
        beams = rows // state.items
        stride = state.beams // beams
        h = self.embed(tokens[:, None]) * self.embed_scale + self.positions[step]
        lin = self.linear
        if step >= state.keys[0].shape[2]:
            state.grow(max(state.caps))
        for i, layer in enumerate(self.layers):
            attn = layer.self_attn
            q = self._heads(lin(attn.q_proj)(h), rows)
            own_keys, own_values = state.keys[i][::stride], state.values[i][::stride]
            own_keys[:, :, step] = self._heads(lin(attn.k_proj)(h), rows)[:, :, 0]
            own_values[:, :, step] = self._heads(lin(attn.v_proj)(h), rows)[:, :, 0]
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
        return (self.lm_head(h) + self.bias)[:, 0].to(torch.float32)

    def _heads(self, x: Any, rows: int) -> Any:
        return x.view(rows, -1, self.heads, self.head_dim).transpose(1, 2)

    def _merge(self, x: Any, rows: int) -> Any:
        return x.transpose(1, 2).reshape(rows, 1, self.heads * self.head_dim)

    def _ban(self, scores: Any, step: int, min_tokens: int) -> Any:
        """transformers' logits processors for a Marian model: no end before ``min_tokens``, no
        banned token (the pad)."""
        if step < min_tokens:
            scores[:, self.eos] = -float("inf")
        if self.banned:
            scores[:, self.banned] = -float("inf")
        return scores

    def _log_probs(self, logits: Any, step: int, min_tokens: int) -> Any:
        """Next-token log-probabilities as beam search scores them. With ``renormalize_logits``
        (opus-mt's setting) transformers takes log-probabilities, bans tokens, then takes
        log-probabilities again; banning first and taking them once is the same up to float
        rounding (log_softmax ignores a constant shift), for one pass over the vocabulary
        instead of two."""
        if self.renormalize:
            return self._ban(logits, step, min_tokens).log_softmax(dim=-1)
        return self._ban(logits.log_softmax(dim=-1), step, min_tokens)

    # -- greedy -----------------------------------------------------------------------------

    def _greedy(self, state: _State, min_tokens: int) -> list[Decoded]:
        torch = self.torch
        results: list[Decoded | None] = [None] * state.items
        tokens = torch.full((state.items,), self.start, dtype=torch.long, device=state.device)
        history: list[list[int]] = [[] for _ in range(state.items)]
        step = 0
        while state.items:
            # The best token is the best logit: no log-probabilities needed.
            tokens = self._ban(self._logits(state, tokens, step), step, min_tokens).argmax(dim=-1)
            keep = []
            for row, token in enumerate(tokens.tolist()):
                index = state.index[row]
                if token == self.eos:
                    results[index] = Decoded(history[index], True)
                    continue
                history[index].append(token)
                if step + 1 >= state.caps[row]:
                    results[index] = Decoded(history[index], False)
                else:
                    keep.append(row)
            step += 1
            if len(keep) < state.items:
                state.keep(keep)
                tokens = tokens[_index(keep, state.device)]
        return [r for r in results if r is not None]

    # -- beam search ------------------------------------------------------------------------

    def _beam(self, state: _State, min_tokens: int) -> list[Decoded]:
        """transformers' vectorised beam search (``GenerationMixin._beam_search``), for one
        end-of-sentence token; each sentence leaves once its best outputs are settled."""
        torch, dev = self.torch, state.device
        k = state.beams
        wide = 2 * k  # candidates kept per step, so that k can go on when some end
        items, total = state.items, max(state.caps)
        results: list[Decoded | None] = [None] * items
        running = torch.full((items, k, total), self.start, dtype=torch.long, device=dev)
        running_scores = torch.full((items, k), NEG, device=dev)
        running_scores[:, 0] = 0.0
        done = torch.full((items, k, total), self.start, dtype=torch.long, device=dev)
        done_scores = torch.full((items, k), NEG, device=dev)
        done_lengths = torch.zeros((items, k), dtype=torch.long, device=dev)
        is_done = torch.zeros((items, k), dtype=torch.bool, device=dev)
        first_k = torch.arange(wide, device=dev) < k
        tokens = torch.full((items * k,), self.start, dtype=torch.long, device=dev)
        step = 0
        while state.items:
            items = state.items
            if step == 0 and self.bias.shape[-1] - len(self.banned) - 1 >= wide:
                # Every beam starts alike: one row per sentence, its scores copied to each beam
                # (transformers computes k equal rows). The first step's choices all come from
                # the first beam (the others start at NEG, and the first has enough tokens), so
                # reordering spreads its keys and values to the others.
                logits = self._logits(state, tokens[::k], step).repeat_interleave(k, dim=0)
            else:
                logits = self._logits(state, tokens, step)
            log_probs = self._log_probs(logits, step, min_tokens)
            vocab = log_probs.shape[-1]
            totals = (log_probs.view(items, k, vocab) + running_scores[:, :, None]).view(items, -1)
            top_scores, top = torch.topk(totals, wide)
            parent, token = top // vocab, top % vocab
            candidates = _gather(running, parent)
            candidates[:, :, step] = token
            caps = torch.tensor(state.caps, device=dev)
            stops = (token == self.eos) | (step + 1 >= caps)[:, None]

            # The best k candidates that go on.
            going = top_scores + stops.float() * NEG
            best = torch.topk(going, k)[1]
            running = _gather(candidates, best)
            running_scores = _gather(going, best)
            parents = _gather(parent, best)

            # Ended candidates among the top k join the finished ones if they score better.
            ended = stops & first_k[None, :]
            scores = top_scores / float(step + 1) ** self.length_penalty
            if self.early_stopping is True:
                scores = scores + (is_done.all(dim=1, keepdim=True)).float() * NEG
            scores = scores + (~ended).float() * NEG
            merged = torch.topk(torch.cat((done_scores, scores), dim=1), k)[1]
            done = _gather(torch.cat((done, candidates), dim=1), merged)
            done_scores = _gather(torch.cat((done_scores, scores), dim=1), merged)
            lengths = torch.full((items, wide), step + 1, dtype=torch.long, device=dev)
            done_lengths = _gather(torch.cat((done_lengths, lengths), dim=1), merged)
            is_done = _gather(torch.cat((is_done, ended), dim=1), merged)
            step += 1

            # A sentence is settled when no running beam can beat its worst finished one (the
            # heuristic transformers uses), when all its beams finished under early stopping,
            # or when it reached its cap.
            if self.early_stopping == "never" and self.length_penalty > 0.0:
                penalty = torch.tensor(
                    [float(c) ** self.length_penalty for c in state.caps], device=dev
                )
            else:
                penalty = torch.full((items,), float(step) ** self.length_penalty, device=dev)
            best_running = running_scores[:, 0] / penalty
            worst = torch.where(is_done, done_scores.min(dim=1, keepdim=True)[0], NEG)
            open_ = (best_running[:, None] > worst).any(dim=1)
            if self.early_stopping is True:
                open_ &= ~is_done.all(dim=1)
            open_ &= ~stops.all(dim=1)
            keep = []
            for item, still in enumerate(open_.tolist()):
                if still:
                    keep.append(item)
                    continue
                length = int(done_lengths[item, 0])
                ids = done[item, 0, :length].tolist()
                ended_here = bool(ids) and ids[-1] == self.eos
                results[state.index[item]] = Decoded(ids[:-1] if ended_here else ids, ended_here)

            rows = (parents + torch.arange(items, device=dev)[:, None] * k).view(-1)
            state.reorder(rows, step)
            tokens = running[:, :, step - 1].reshape(-1)
            if len(keep) < items:
                picked = _index(keep, dev)
                running, running_scores = running[picked], running_scores[picked]
                done, done_scores = done[picked], done_scores[picked]
                done_lengths, is_done = done_lengths[picked], is_done[picked]
                tokens = tokens.view(items, k)[picked].view(-1)
                state.keep(keep)
        return [r for r in results if r is not None]


class _State:
    """What a search carries from step to step: the encoder's keys and values per layer, the
    decoder's own keys and values so far, and which sentences are still in the batch."""

    def __init__(
        self, search: MarianSearch, encoded: Any, mask: Any, caps: Sequence[int], beams: int
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
        self.spare: list[Any] = []  # beam search reorders into these, then swaps
        lin = search.linear
        self.cross_keys = [
            search._heads(lin(layer.encoder_attn.k_proj)(encoded), self.items)
            for layer in search.layers
        ]
        self.cross_values = [
            search._heads(lin(layer.encoder_attn.v_proj)(encoded), self.items)
            for layer in search.layers
        ]
        self.source_mask = mask  # None when no source is padded

    def grow(self, most: int) -> None:
        """Double the room for the decoder's keys and values (up to ``most`` steps)."""
        import torch

        room = self.keys[0].shape[2]
        extra = min(most, 2 * room) - room

        def grown(cache: Any) -> Any:
            pad = cache.new_empty((*cache.shape[:2], extra, cache.shape[3]))
            return torch.cat((cache, pad), dim=2)

        self.keys = [grown(c) for c in self.keys]
        self.values = [grown(c) for c in self.values]
        self.spare = []

    def reorder(self, rows: Any, step: int) -> None:
        """Beam search: each row's history becomes that of the beam it continues (gathered
        into a spare buffer in one pass, then the buffers swap)."""
        import torch

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
        picked = _index(items, self.device)
        beams = _index(list(range(self.beams)), self.device)
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


class _Linears:
    """Linear layers as fast callables: an fp32 layer on the CPU runs through oneDNN (measured
    2-3x faster than torch's default matrix multiply on this machine, to within float32
    rounding); others (quantised, GPU) run as they are. A layer named in ``packed`` gets its
    weight reordered once for oneDNN: another 5-20% (most on the output projection), but the
    reordered copy takes twice the weight's size, so only where it runs at every step."""

    def __init__(self, torch: Any, packed: tuple[Any, ...] = ()) -> None:
        self.torch = torch
        self.packed = {id(module) for module in packed}
        self.ready: dict[int, Any] = {}
        ops = getattr(torch.ops, "mkldnn", None)
        self.onednn = (
            torch.backends.mkldnn.is_available()
            and hasattr(ops, "_reorder_linear_weight")
            and hasattr(ops, "_linear_pointwise")
        )

    def __call__(self, module: Any) -> Any:
        fast = self.ready.get(id(module))
        if fast is None:
            fast = self.ready[id(module)] = self._prepare(module)
        return fast

    def _prepare(self, module: Any) -> Any:
        torch = self.torch
        weight = getattr(module, "weight", None)
        if not (
            self.onednn
            and type(module) is torch.nn.Linear
            and isinstance(weight, torch.Tensor)
            and weight.dtype == torch.float32
            and weight.device.type == "cpu"
        ):
            return module
        ops = torch.ops.mkldnn
        matrix = weight.detach()
        if id(module) in self.packed:
            with torch.inference_mode():
                matrix = ops._reorder_linear_weight(matrix)
        bias = None if module.bias is None else module.bias.detach()
        return lambda x: ops._linear_pointwise(x, matrix, bias, "none", [], "")


def _index(values: list[int], device: Any) -> Any:
    import torch

    return torch.tensor(values, dtype=torch.long, device=device)


def _gather(tensor: Any, indices: Any) -> Any:
    """Pick, in each sentence, the beams or candidates ``indices`` names (dimension 1)."""
    import torch

    while indices.dim() < tensor.dim():
        indices = indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, indices, dim=1)
