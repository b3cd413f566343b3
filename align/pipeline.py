"""Parallel documents from a translation (each segment with its own machine translation) or
from an alignment (two documents and a bridge): links carry flags for reviewers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sejajar.align.aligner import ALIGNER_VERSION, Bead, align
from sejajar.align.flags import foreign_passage, quality_flags
from sejajar.core.language import IDENTIFIER, is_foreign
from sejajar.core.records import (
    Document,
    Flag,
    Kind,
    Link,
    ParallelDocument,
    Segment,
    Signature,
    run_signature,
)
from sejajar.translate.split import splitter_id
from sejajar.translate.translator import Progress, Translation, Translator

if TYPE_CHECKING:
    from sejajar.translate.glossary import Glossary

LOW_CONFIDENCE = 0.5


def to_translate(doc: Document, keep_boilerplate: bool, foreign: str = "keep") -> list[int]:
    """Indices of the segments that get translated: not boilerplate or bylines (unless
    ``keep_boilerplate``), not foreign sentences (unless ``foreign`` is ``translate``)."""
    return [
        i
        for i, s in enumerate(doc.segments)
        if (keep_boilerplate or s.kind.translated_by_default)
        and (foreign == "translate" or not _foreign(s))
    ]


def _foreign(segment: Segment) -> bool:
    return segment.kind.translated_by_default and is_foreign(segment.text)


def translate_document(
    doc: Document,
    translator: Translator,
    *,
    keep_boilerplate: bool = False,
    foreign: str = "keep",
    progress: Progress | None = None,
) -> ParallelDocument:
    """Translate each segment of ``doc`` on its own and pair it with its translation.

    Boilerplate and bylines are not translated unless ``keep_boilerplate``; they stay in the
    result as 1-0 links so nothing of the article vanishes. Foreign sentences: see
    :func:`pair_translations`.
    """
    chosen = to_translate(doc, keep_boilerplate, foreign)
    results = translator.translate([doc.segments[i].text for i in chosen], progress)
    signature = run_signature(splitter_id(), *translator.signature)
    results_by_segment = dict(zip(chosen, results, strict=True))
    return pair_translations(
        doc, results_by_segment, signature, foreign, glossary=translator.glossary
    )


def pair_translations(
    doc: Document,
    results: dict[int, Translation],
    signature: Signature,
    foreign: str = "keep",
    glossary: Glossary | None = None,
) -> ParallelDocument:
    """Build the 1-1 (translated) and 1-0 (set aside) links of a translated document; with a
    ``glossary``, a translation lacking a term's English is flagged ``term``.

    A sentence that is not Indonesian (:mod:`sejajar.core.language`) gets the kind
    ``foreign`` and a ``foreign`` flag; ``foreign`` says what became of it: ``keep``, copied
    as it is to the English side; ``drop``, a 1-0 link; ``translate``, translated. A document
    with such sentences records the mode in its signature."""
    source: list[Segment] = []
    target: list[Segment] = []
    links: list[Link] = []
    for i, segment in enumerate(doc.segments):
        result = results.get(i)
        marks: tuple[Flag, ...] = ()
        if _foreign(segment):
            segment = replace(segment, kind=Kind.FOREIGN)
            marks = (foreign_passage(segment.text, _DONE[foreign]),)
            if foreign == "keep":
                result = Translation(segment.text)
        source.append(segment)
        if result is None:
            links.append(Link(source=(i,), target=(), flags=marks))
            continue
        copied = bool(marks) and foreign == "keep"  # a copy on purpose: nothing to check
        checked = (
            () if copied else _flags(result) + quality_flags(segment.text, result.text, glossary)
        )
        links.append(Link(source=(i,), target=(len(target),), flags=marks + checked))
        target.append(Segment(result.text, segment.kind, segment.paragraph))
    if any(s.kind is Kind.FOREIGN for s in source):
        signature = (*signature, ("foreign", foreign), ("langid", IDENTIFIER))
    return ParallelDocument(doc.name, tuple(source), tuple(target), tuple(links), signature)


_DONE = {"keep": "copied as it is", "drop": "left out", "translate": "translated all the same"}


def _flags(result: Translation) -> tuple[Flag, ...]:
    flags = []
    if result.hit_length_cap:
        flags.append(Flag("length-cap", "output stopped at the length cap, not at sentence end"))
    if result.split_long:
        flags.append(Flag("split-long", "source too long for the model; translated in pieces"))
    return tuple(flags)


def align_documents(
    source: Document,
    target: Document,
    bridge: Sequence[str] | None,
    signature: Signature,
    monotone: bool = False,
    glossary: Glossary | None = None,
) -> ParallelDocument:
    """Align every segment of ``source`` with ``target``; links carry the aligner's confidence
    and flags for reviewers (``non-1-1``, ``low-confidence``, ``moved``, with a ``glossary``
    ``term``). ``monotone`` keeps the links in order (no moved blocks), as version 1 of the
    aligner did."""
    beads = align(
        [s.text for s in source.segments],
        [t.text for t in target.segments],
        bridge,
        monotone=monotone,
    )
    links = tuple(_link(bead, source, target, glossary) for bead in beads)
    version = "1" if monotone else ALIGNER_VERSION
    full = (*signature, ("aligner", version))
    return ParallelDocument(source.name, source.segments, target.segments, links, full)


def _link(bead: Bead, source: Document, target: Document, glossary: Glossary | None) -> Link:
    flags: list[Flag] = []
    if bead.source and bead.target:
        src = " ".join(source.segments[i].text for i in bead.source)
        tgt = " ".join(target.segments[j].text for j in bead.target)
        flags.extend(quality_flags(src, tgt, glossary))
        if is_foreign(src):
            flags.append(foreign_passage(src, "paired with the English as it is"))
        shape = f"{len(bead.source)}-{len(bead.target)}"
        if shape != "1-1":
            flags.append(Flag("non-1-1", f"{shape} link: sentences were split or joined"))
        if bead.confidence < LOW_CONFIDENCE:
            flags.append(Flag("low-confidence", f"alignment confidence {bead.confidence:.2f}"))
        if bead.moved:
            where = ", ".join(str(j + 1) for j in bead.target)
            flags.append(Flag("moved", f"out of order: the English has it at sentence {where}"))
    return Link(bead.source, bead.target, bead.confidence, tuple(flags), bead.moved)
