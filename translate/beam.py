"""Beam search for :class:`decode.MarianSearch`: transformers' vectorised beam search
(``GenerationMixin._beam_search``) for one end-of-sentence token, where each sentence leaves
the batch once its best outputs are settled."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from sejajar.translate.search_state import NEG, Decoded, State, index

if TYPE_CHECKING:
    from sejajar.translate.constraints import Constraints
    from sejajar.translate.decode import MarianSearch

CHUNK = 256  # tokens per block when ranking candidates (see best_candidates)


def beam_search(
    search: MarianSearch, state: State, min_tokens: int, terms: Constraints | None = None
) -> list[Decoded]:
    """The best output of ``state.beams`` beams for each sentence of ``state``; with
    ``terms``, outputs that hold each sentence's terms (see :mod:`constraints`)."""
    dev = state.device
    k = state.beams
    wide = 2 * k  # candidates kept per step, so that k can go on when some end
    items, total = state.items, max(state.caps)
    results: list[Decoded | None] = [None] * items
    start, eos = search.start, search.eos
    running = torch.full((items, k, total), start, dtype=torch.long, device=dev)
    running_scores = torch.full((items, k), NEG, device=dev)
    running_scores[:, 0] = 0.0
    done = torch.full((items, k, total), start, dtype=torch.long, device=dev)
    done_scores = torch.full((items, k), NEG, device=dev)
    done_lengths = torch.zeros((items, k), dtype=torch.long, device=dev)
    is_done = torch.zeros((items, k), dtype=torch.bool, device=dev)
    first_k = torch.arange(wide, device=dev) < k
    tokens = torch.full((items * k,), start, dtype=torch.long, device=dev)
    length_penalty, early_stopping = search.length_penalty, search.early_stopping
    step = 0
    while state.items:
        items = state.items
        if step == 0 and search.bias.shape[-1] - len(search.banned) - 1 >= wide:
            # Every beam starts alike: one row per sentence, its scores copied to each beam
            # (transformers computes k equal rows). The first step's choices all come from
            # the first beam (the others start at NEG, and the first has enough tokens), so
            # reordering spreads its keys and values to the others.
            first = search.log_probs(search.logits(state, tokens[::k], step), step, min_tokens)
            log_probs = first.repeat_interleave(k, dim=0)
            del first
        else:
            log_probs = search.log_probs(search.logits(state, tokens, step), step, min_tokens)
        vocab = log_probs.shape[-1]
        if terms is not None:
            terms.ban_end(log_probs.view(items, k, vocab), eos)
        by_beam = log_probs.view(items, k, vocab)
        maxima = block_maxima(by_beam) if terms is not None else None
        top_scores, top = best_candidates(by_beam, running_scores, wide, maxima=maxima)
        if terms is not None:
            top_scores, top = terms.allocate(by_beam, running_scores, top_scores, top, eos, maxima)
        del log_probs
        parent, token = top // vocab, top % vocab
        candidates = _gather(running, parent)
        candidates[:, :, step] = token
        caps = torch.tensor(state.caps, device=dev)
        stops = (token == eos) | (step + 1 >= caps)[:, None]

        # The best k candidates that go on.
        going = top_scores + stops.float() * NEG
        best = torch.topk(going, k)[1]
        if terms is not None:
            best = terms.pick(best, stops)
            terms.settle(best)
        running = _gather(candidates, best)
        running_scores = _gather(going, best)
        parents = _gather(parent, best)

        # Ended candidates among the top k join the finished ones if they score better.
        ended = stops & first_k[None, :]
        scores = top_scores / float(step + 1) ** length_penalty
        if early_stopping is True:
            scores = scores + (is_done.all(dim=1, keepdim=True)).float() * NEG
        scores = scores + (~ended).float() * NEG
        if terms is not None:  # an output cut at its cap: the one that placed most
            scores = scores - terms.penalty()
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
        if early_stopping == "never" and length_penalty > 0.0:
            penalty = torch.tensor([float(c) ** length_penalty for c in state.caps], device=dev)
        else:
            penalty = torch.full((items,), float(step) ** length_penalty, device=dev)
        best_running = running_scores[:, 0] / penalty
        if terms is not None:  # beams go in bank order, not score order
            best_running = torch.where(
                terms.has, running_scores.amax(dim=1) / penalty, best_running
            )
        worst = torch.where(is_done, done_scores.min(dim=1, keepdim=True)[0], NEG)
        open_ = (best_running[:, None] > worst).any(dim=1)
        if early_stopping is True:
            open_ &= ~is_done.all(dim=1)
        open_ &= ~stops.all(dim=1)
        keep = []
        for item, still in enumerate(open_.tolist()):
            if still:
                keep.append(item)
                continue
            length = int(done_lengths[item, 0])
            ids = done[item, 0, :length].tolist()
            ended_here = bool(ids) and ids[-1] == eos
            results[state.index[item]] = Decoded(ids[:-1] if ended_here else ids, ended_here)

        rows = (parents + torch.arange(items, device=dev)[:, None] * k).view(-1)
        state.reorder(rows, step)
        tokens = running[:, :, step - 1].reshape(-1)
        if len(keep) < items:
            picked = index(keep, dev)
            running, running_scores = running[picked], running_scores[picked]
            done, done_scores = done[picked], done_scores[picked]
            done_lengths, is_done = done_lengths[picked], is_done[picked]
            tokens = tokens.view(items, k)[picked].view(-1)
            state.keep(keep)
            if terms is not None:
                terms.keep(picked)
    return [r for r in results if r is not None]


def block_maxima(log_probs: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """The largest value of each block of ``chunk`` tokens (the last block may be short), over
    the last dimension: sentences x beams x blocks. One pass of ``amax``, which is several
    times faster than ``max`` with its indices on the CPU (docs/performance.md)."""
    chunk = chunk or CHUNK
    vocab = log_probs.shape[-1]
    whole, rest = divmod(vocab, chunk)
    best = log_probs[..., : whole * chunk].view(*log_probs.shape[:-1], whole, chunk).amax(-1)
    if rest:
        best = torch.cat((best, log_probs[..., whole * chunk :].amax(-1, keepdim=True)), -1)
    return best


def row_max(
    values: torch.Tensor, maxima: torch.Tensor | None = None, chunk: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``values.max(dim=-1)`` (each row's largest value and the first place it stands) from the
    rows' :func:`block_maxima` (computed when not given): the best block, then the best token
    within it."""
    chunk = chunk or CHUNK
    vocab = values.shape[-1]
    if maxima is None:
        maxima = block_maxima(values, chunk)
    best, block = maxima.max(dim=-1)
    columns, outside = _block_columns(block, chunk, vocab)
    inside = torch.take_along_dim(values, columns, dim=-1).masked_fill_(outside, -float("inf"))
    return best, torch.gather(columns, -1, inside.argmax(dim=-1, keepdim=True))[..., 0]


def _block_columns(block: torch.Tensor, chunk: int, vocab: int) -> tuple[torch.Tensor, ...]:
    """The token columns of each named block (an added last dimension of ``chunk``), kept
    within the vocabulary, and which of them lie past its end (a short last block's)."""
    columns = block[..., None] * chunk + torch.arange(chunk, device=block.device)
    return columns.clamp(max=vocab - 1), columns >= vocab


def best_candidates(
    log_probs: torch.Tensor,
    scores: torch.Tensor,
    wide: int,
    chunk: int | None = None,
    maxima: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.topk`` of each sentence's totals (``log_probs``, shaped sentences x beams x
    vocabulary, plus each beam's score), over its beams and tokens flattened: the ``wide``
    best totals and their flat positions (beam x vocabulary + token).

    The same values as adding the scores to the whole vocabulary and taking the top, for a
    fraction of the passes: a total is the log-probability plus its beam's score, so the best
    totals lie in the ``wide`` blocks of ``chunk`` tokens whose best total is highest (each
    block's best is its largest log-probability plus the score, exactly, as adding a number
    keeps the order of floats). Only those blocks are scored and ranked: on opus-mt's 54,796
    tokens x 4 beams about a quarter of the work (docs/performance.md). ``maxima``: the
    :func:`block_maxima` of ``log_probs`` when the caller has them already.
    """
    items, beams, vocab = log_probs.shape
    chunk = chunk or CHUNK
    blocks = -(-vocab // chunk)
    if beams * blocks < wide:  # fewer blocks than candidates: rank every total
        totals = log_probs + scores[:, :, None]
        return torch.topk(totals.view(items, -1), wide)
    if maxima is None:
        maxima = block_maxima(log_probs, chunk)
    best = maxima + scores[:, :, None]
    picked = torch.topk(best.view(items, -1), wide)[1]
    beam, block = picked // blocks, picked % blocks
    columns, outside = _block_columns(block, chunk, vocab)
    flat = (beam[:, :, None] * vocab + columns).view(items, -1)
    totals = torch.take_along_dim(log_probs.view(items, -1), flat, dim=1)
    totals = totals.view(items, wide, chunk).add_(_gather(scores, beam)[:, :, None])
    totals.masked_fill_(outside, -float("inf"))
    top_scores, position = torch.topk(totals.view(items, -1), wide)
    return top_scores, torch.take_along_dim(flat, position, dim=1)


def _gather(tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Pick, in each sentence, the beams or candidates ``indices`` names (dimension 1)."""
    while indices.dim() < tensor.dim():
        indices = indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, indices, dim=1)
