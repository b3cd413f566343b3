"""Vecalign's bead format: ``[1, 2]:[1]:0.71``, one bead per line, 0-based indices, written
and read (scoring is :mod:`sejajar.align.scoring`).

A moved link (out of order, see :mod:`sejajar.align.reorder`) gets a fourth field:
``[7]:[2]:0.91:moved``. Vecalign's own reader splits a line on ``:`` and keeps the first two
fields, so it reads such a file unchanged; so does a reader that also takes the third as the
score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

BeadPair = tuple[tuple[int, ...], tuple[int, ...]]
_LINE = re.compile(r"^\[([\d,\s]*)\]:\[([\d,\s]*)\](?::(-?[\d.]+(?:[eE]-?\d+)?))?(?::(moved))?$")
MOVED = "moved"


def render_beads(
    beads: Iterable[tuple[Sequence[int], Sequence[int], float | None]],
    moved: Sequence[bool] = (),
) -> str:
    """One line per bead; ``moved[k]`` adds the ``:moved`` field to bead ``k``."""
    lines = []
    for k, (source, target, score) in enumerate(beads):
        line = f"[{', '.join(map(str, source))}]:[{', '.join(map(str, target))}]"
        line += f":{score:.2f}" if score is not None else ""
        if k < len(moved) and moved[k]:
            line += f":{MOVED}"
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def moved_beads(text: str) -> list[bool]:
    """For each bead of a file :func:`parse_beads` accepts, whether it is marked moved."""
    return [
        bool(match.group(4))
        for line in text.split("\n")
        if line.strip() and (match := _LINE.match(line.strip())) is not None
    ]


def parse_beads(text: str) -> list[BeadPair]:
    """Read beads; a malformed line is an error naming its number, and so is a segment that
    is in two beads (or twice in one): an alignment puts each segment in one bead at most."""
    beads, overlaps = read_beads(text)
    if overlaps:
        raise ValueError(overlaps[0])
    return beads


def read_beads(text: str) -> tuple[list[BeadPair], list[str]]:
    """Read beads, and say where a segment is in two beads (or twice in one): one message a
    line, naming it. A malformed line is an error naming its number. Published gold files have
    such overlaps (a typo in Text+Berg de-fr puts one segment in two beads); Vecalign's scorer
    reads them bead by bead, and so does :func:`score_alignments`."""
    beads = []
    overlaps = []
    seen: tuple[dict[int, int], dict[int, int]] = ({}, {})
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: not a bead like [0, 1]:[0]:0.93: {line[:60]!r}")
        bead = (_ids(match.group(1)), _ids(match.group(2)))
        for side, ids, lines in zip(("source", "target"), bead, seen, strict=True):
            for i in ids:
                if i in lines:
                    earlier = lines[i]
                    where = "twice in this bead" if earlier == number else f"in line {earlier} too"
                    overlaps.append(f"line {number}: {side} segment {i} is {where}")
                lines[i] = number
        beads.append(bead)
    return beads, overlaps


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.replace(" ", "").split(",") if x)
