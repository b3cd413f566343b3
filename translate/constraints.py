"""Lexically constrained beam search: required target terms placed in the output, by dynamic
beam allocation (Post & Vilar 2018) in the vectorised form of Hu et al. (2019).

Each sentence may require terms, each a sequence of target token ids. Every beam carries, per
term, how many of its tokens end its output so far (``pos``; a term is met when that reaches
its length, and stays met). At each step the candidates of a sentence are the usual best
``2k`` (plain beam search's), each beam's best token and its end-of-sentence, and for each
beam the next token of each term it has not met: a beam can always take a step towards every
term, and a beam that placed them all can always end. A beam whose last token met a term
also offers its best token that opens a word, so that it can keep the term and go on even
where ending is not allowed yet. Candidates are put in banks by the term
tokens they hold, and the ``2k`` kept are taken round-robin from the banks, fullest bank
first, best score first within a bank: beams that have placed more of the terms are never
crowded out by better-scoring beams that placed fewer. A beam ends only when all its terms
are met (end-of-sentence is banned before); an output cut at its cap is chosen among those
that placed the most.

A term is a whole word: its first token opens a word (SentencePiece's ``▁``), and a term
followed by a token that continues a word (``joins``) is not met after all (``OJK`` then ``s``
is not the term ``OJK``), so the search goes on placing it.

Everything is a tensor operation over the batch (sentences x candidates x terms): no Python
loop over sentences, beams or terms at a step. A sentence without terms keeps plain beam
search's choices exactly (its rows are left as they were).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from sejajar.translate.beam import row_max
from sejajar.translate.search_state import NEG

# What an output cut at its cap loses per term token it did not place: less than ``NEG`` (a
# ruled-out candidate), more than any difference of scores.
MISSING_TOKEN = 1.0e5


def _gather(tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Pick, in each sentence, the beams or candidates ``indices`` names (dimension 1)."""
    while indices.dim() < tensor.dim():
        indices = indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, indices, dim=1)


def _repeats(flat: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Which candidates repeat another (the same beam and token, so the same candidate): all
    but one of each, a valid one kept where there is one. By sorting: no cost in the square
    of the candidates."""
    order = torch.argsort(flat * 2 + (~valid).long(), dim=1, stable=True)
    ranked = _gather(flat, order)
    again = torch.zeros_like(valid)
    again[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    return torch.zeros_like(valid).scatter_(1, order, again)


def _rank_in_group(group: torch.Tensor) -> torch.Tensor:
    """For each element, how many elements of its group (the same value) come before it in
    its row."""
    order = torch.argsort(group, dim=1, stable=True)
    ranked = _gather(group, order)
    position = torch.arange(group.shape[1], device=group.device).expand_as(group)
    opens = torch.ones_like(ranked, dtype=torch.bool)
    opens[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    start = torch.where(opens, position, 0).cummax(dim=1)[0]
    return torch.empty_like(group).scatter_(1, order, position - start)


class Constraints:
    """The terms of a batch's sentences and what each beam has placed of them.

    ``terms[i]`` is sentence i's list of terms, each a non-empty list of token ids (an empty
    list for a sentence without terms). ``joins``, when given, is a boolean over the
    vocabulary: the tokens that continue the word before them."""

    def __init__(
        self,
        terms: Sequence[Sequence[Sequence[int]]],
        beams: int,
        device: torch.device,
        joins: torch.Tensor | None = None,
    ) -> None:
        items = len(terms)
        most = max((len(t) for t in terms), default=0) or 1
        longest = max((len(ids) for t in terms for ids in t), default=0) or 1
        tokens = torch.full((items, most, longest), -1, dtype=torch.long)
        lengths = torch.zeros((items, most), dtype=torch.long)
        for i, sentence in enumerate(terms):
            for j, ids in enumerate(sentence):
                tokens[i, j, : len(ids)] = torch.tensor(list(ids), dtype=torch.long)
                lengths[i, j] = len(ids)
        self.tokens = tokens.to(device)  # sentences x terms x tokens, -1 after a term's end
        self.lengths = lengths.to(device)  # 0 for a missing term: met from the start
        self.need = self.lengths.sum(dim=1)  # term tokens each sentence must place
        self.has = self.need > 0  # the sentences with terms
        self.banks = int(self.need.max()) + 1
        self.joins = None if joins is None else joins.to(device)
        self.pos = torch.zeros((items, beams, most), dtype=torch.long, device=device)
        self.just = torch.zeros((items, beams, most), dtype=torch.bool, device=device)
        # The kept candidates' states, until the search picks the beams among them.
        self._pos = self.pos
        self._just = self.just
        self._missing = torch.zeros((items, 1), dtype=torch.long, device=device)

    def unmet(self) -> torch.Tensor:
        """(sentences, beams): whether the beam has a term still to place."""
        return (self.pos < self.lengths[:, None, :]).any(dim=2)

    def ban_end(self, log_probs: torch.Tensor, eos: int) -> None:
        """No end-of-sentence for a beam with a term still to place (in place)."""
        log_probs[:, :, eos].masked_fill_(self.unmet(), -float("inf"))

    def allocate(
        self,
        log_probs: torch.Tensor,
        running_scores: torch.Tensor,
        top_scores: torch.Tensor,
        top: torch.Tensor,
        eos: int,
        maxima: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``wide`` candidates of each sentence with terms, in the order their banks
        allocate them (for the others, ``top_scores`` and ``top`` as they are): their scores
        and flat positions (beam x vocabulary + token). ``log_probs`` is sentences x beams x
        vocabulary; ``top_scores`` and ``top`` plain beam search's best ``wide``; ``maxima``
        the :func:`beam.block_maxima` of ``log_probs``, when the caller has them."""
        items, beams, vocab = log_probs.shape
        wide = top.shape[1]
        dev = log_probs.device
        beam_ids = torch.arange(beams, device=dev)
        # Each beam's next token towards each term it has not met.
        lengths = self.lengths[:, None, :]
        live = self.pos < lengths
        following = self._next(self.pos)
        forced = (beam_ids[None, :, None] * vocab + following.clamp(min=0)).view(items, -1)
        best_lp, best_token = row_max(log_probs, maxima)
        # A beam whose last token met a term keeps it by ending or by a token that opens a
        # word: its end, and its best such token (its best token may carry the term's word
        # on, and undo it; a model that repeats itself always would).
        word_lp, word_token = self._best_word(log_probs, best_lp, best_token)
        ends = beam_ids * vocab + eos
        flat = torch.cat(
            (top, beam_ids * vocab + best_token, ends.expand(items, -1),
             beam_ids * vocab + word_token, forced), 1,
        )  # fmt: skip
        forced_lp = torch.take_along_dim(log_probs.view(items, -1), forced, dim=1)
        scores = torch.cat(
            (
                top_scores,
                running_scores + best_lp,
                running_scores + log_probs[:, :, eos],
                running_scores + word_lp,
                forced_lp + running_scores.repeat_interleave(live.shape[2], dim=1),
            ),
            dim=1,
        )
        added = torch.ones((items, wide + 3 * beams), dtype=torch.bool, device=dev)
        valid = torch.cat((added, live.view(items, -1)), dim=1)
        valid &= scores > NEG / 2  # neither a ruled-out beam nor a banned token
        # A candidate met before (the same beam and token) is the same candidate.
        valid &= ~_repeats(flat, valid)
        count = flat.shape[1]

        parent, token = flat // vocab, flat % vocab
        pos, just = self._advance(parent, token)
        met = pos >= lengths
        placed = torch.where(met, lengths, 0).sum(dim=2)
        bank = placed + torch.where(met, 0, pos).amax(dim=2)

        # Best first (stable: plain beam search's candidates before the added ones on a tie),
        # then round-robin over the banks, fullest first.
        scores = scores.masked_fill(~valid, NEG)
        order = torch.sort(scores, dim=1, descending=True, stable=True)[1]
        bank, ok = _gather(bank, order), _gather(valid, order)
        key = _rank_in_group(bank) * self.banks + (self.need[:, None] - bank)
        key = key.masked_fill(~ok, count * self.banks * 2)
        chosen = _gather(order, torch.topk(key, wide, dim=1, largest=False)[1])

        has = self.has[:, None]
        self._pos, self._just = _gather(pos, chosen), _gather(just, chosen)
        self._missing = self.need[:, None] - _gather(placed, chosen)
        return (
            torch.where(has, _gather(scores, chosen), top_scores),
            torch.where(has, _gather(flat, chosen), top),
        )

    def pick(self, best: torch.Tensor, stops: torch.Tensor) -> torch.Tensor:
        """The beams that go on: for a sentence with terms, the first candidates in bank
        order that do not stop (``best`` for the others, plain beam search's)."""
        wide, beams = stops.shape[1], best.shape[1]
        position = torch.arange(wide, device=stops.device).expand_as(stops)
        key = torch.where(stops, position + wide, position)
        first = torch.topk(key, beams, dim=1, largest=False)[1]
        return torch.where(self.has[:, None], first, best)

    def settle(self, best: torch.Tensor) -> None:
        """The beams ``best`` picked among the candidates go on, with their terms."""
        self.pos, self.just = _gather(self._pos, best), _gather(self._just, best)

    def penalty(self) -> torch.Tensor:
        """(sentences, wide): what each candidate loses for term tokens it has not placed."""
        return self._missing.to(torch.float32) * MISSING_TOKEN

    def keep(self, picked: torch.Tensor) -> None:
        """Only these sentences (positions in the batch) go on."""
        self.tokens, self.lengths = self.tokens[picked], self.lengths[picked]
        self.need, self.has = self.need[picked], self.has[picked]
        self.pos, self.just = self.pos[picked], self.just[picked]

    def _best_word(
        self, log_probs: torch.Tensor, best_lp: torch.Tensor, best_token: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each beam's best token that does not carry the word before it on, for the beams
        whose last token met a term (the others: their best token, a repeat, dropped)."""
        if self.joins is None:
            return best_lp, best_token
        ending = self.just.any(dim=2)
        if not bool(ending.any()):
            return best_lp, best_token
        rows = ending.nonzero(as_tuple=True)
        lp, token = row_max(log_probs[rows].masked_fill_(self.joins, -float("inf")))
        best_lp, best_token = best_lp.clone(), best_token.clone()
        best_lp[rows], best_token[rows] = lp, token
        return best_lp, best_token

    def _next(self, pos: torch.Tensor) -> torch.Tensor:
        """The token at ``pos`` of each term (sentences x rows x terms), -1 past its end."""
        rows, longest = pos.shape[1], self.tokens.shape[2]
        tokens = self.tokens[:, None].expand(-1, rows, -1, -1)
        at = pos.clamp(max=longest - 1)[..., None]
        return torch.take_along_dim(tokens, at, dim=3)[..., 0]

    def _advance(self, parent: torch.Tensor, token: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Each candidate's term positions (and terms met at its token) once its beam
        ``parent`` takes ``token``."""
        pos, just = _gather(self.pos, parent), _gather(self.just, parent)
        lengths = self.lengths[:, None, :]
        met = pos >= lengths
        hit = self._next(pos) == token[:, :, None]
        starts = self.tokens[:, None, :, 0] == token[:, :, None]
        moved = torch.where(met, pos, torch.where(hit, pos + 1, starts.long()))
        if self.joins is not None:
            # A term met at the token before is no term if this token carries its word on.
            undone = just & self.joins[token][:, :, None]
            moved = moved.masked_fill(undone, 0)
        return moved, (moved >= lengths) & ~met
