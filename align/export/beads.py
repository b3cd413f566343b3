"""The alignment itself in Vecalign's bead format: ``[1, 2]:[1]:0.71`` per line."""

from __future__ import annotations

from sejajar.align.bead_format import render_beads
from sejajar.core.records import ParallelDocument


def render_links(doc: ParallelDocument) -> str:
    """Every link, in order, with its confidence (none where pairing was by construction) and
    ``:moved`` on links out of order."""
    return render_beads(
        ((link.source, link.target, link.score) for link in doc.links),
        [link.moved for link in doc.links],
    )
