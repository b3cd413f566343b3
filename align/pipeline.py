"""The align stage: two split documents (and a bridge) in, a parallel document out."""

from __future__ import annotations

from collections.abc import Sequence

from align.aligner import ALIGNER_VERSION, Bead, align
from align.flags import quality_flags
from align.records import Flag, Link, ParallelDocument, Signature
from translate.segments import Document

LOW_CONFIDENCE = 0.5


def align_documents(
    source: Document,
    target: Document,
    bridge: Sequence[str] | None,
    signature: Signature,
    monotone: bool = False,
) -> ParallelDocument:
    """Align every segment of ``source`` with ``target``; links carry the aligner's confidence
    and flags for reviewers (``non-1-1``, ``low-confidence``, ``moved``). ``monotone`` keeps
    the links in order (no moved blocks), as version 1 of the aligner did."""
    beads = align(
        [s.text for s in source.segments],
        [t.text for t in target.segments],
        bridge,
        monotone=monotone,
    )
    links = tuple(_link(bead, source, target) for bead in beads)
    version = "1" if monotone else ALIGNER_VERSION
    full = (*signature, ("aligner", version))
    return ParallelDocument(source.name, source.segments, target.segments, links, full)


def _link(bead: Bead, source: Document, target: Document) -> Link:
    flags: list[Flag] = []
    if bead.source and bead.target:
        src = " ".join(source.segments[i].text for i in bead.source)
        tgt = " ".join(target.segments[j].text for j in bead.target)
        flags.extend(quality_flags(src, tgt))
        shape = f"{len(bead.source)}-{len(bead.target)}"
        if shape != "1-1":
            flags.append(Flag("non-1-1", f"{shape} link: sentences were split or joined"))
        if bead.confidence < LOW_CONFIDENCE:
            flags.append(Flag("low-confidence", f"alignment confidence {bead.confidence:.2f}"))
        if bead.moved:
            where = ", ".join(str(j + 1) for j in bead.target)
            flags.append(Flag("moved", f"out of order: the English has it at sentence {where}"))
    return Link(bead.source, bead.target, bead.confidence, tuple(flags), bead.moved)
