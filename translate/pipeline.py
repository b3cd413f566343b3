"""The translate stage: a split document and a translator in, a parallel document out."""

from __future__ import annotations

from collections.abc import Callable

from align.flags import quality_flags
from align.records import Flag, Link, ParallelDocument, Signature
from translate import __version__
from translate.segments import Document, Segment
from translate.split import SPLITTER_VERSION, split_text
from translate.translator import Progress, Translation, Translator


def run_signature(translator: Translator, rules: str = "id", **extra: str) -> Signature:
    """Everything that decided an output: sejajar's version, the splitter and the model."""
    return (
        ("sejajar", __version__),
        ("splitter", f"{rules}-{SPLITTER_VERSION}"),
        *translator.signature,
        *extra.items(),
    )


def to_translate(doc: Document, keep_boilerplate: bool) -> list[int]:
    """Indices of the segments that get translated."""
    return [
        i for i, s in enumerate(doc.segments) if keep_boilerplate or s.kind.translated_by_default
    ]


def translate_document(
    doc: Document,
    translator: Translator,
    *,
    keep_boilerplate: bool = False,
    progress: Progress | None = None,
) -> ParallelDocument:
    """Translate each segment of ``doc`` on its own and pair it with its translation.

    Boilerplate and bylines are not translated unless ``keep_boilerplate``; they stay in the
    result as 1-0 links so nothing of the article vanishes.
    """
    chosen = to_translate(doc, keep_boilerplate)
    results = translator.translate([doc.segments[i].text for i in chosen], progress)
    return pair_translations(
        doc, dict(zip(chosen, results, strict=True)), run_signature(translator)
    )


def pair_translations(
    doc: Document, results: dict[int, Translation], signature: Signature
) -> ParallelDocument:
    """Build the 1-1 (translated) and 1-0 (set aside) links of a translated document."""
    target: list[Segment] = []
    links: list[Link] = []
    for i, segment in enumerate(doc.segments):
        result = results.get(i)
        if result is None:
            links.append(Link(source=(i,), target=()))
            continue
        flags = _flags(result) + quality_flags(segment.text, result.text)
        links.append(Link(source=(i,), target=(len(target),), flags=flags))
        target.append(Segment(result.text, segment.kind, segment.paragraph))
    return ParallelDocument(doc.name, doc.segments, tuple(target), tuple(links), signature)


def _flags(result: Translation) -> tuple[Flag, ...]:
    flags = []
    if result.hit_length_cap:
        flags.append(Flag("length-cap", "output stopped at the length cap, not at sentence end"))
    if result.split_long:
        flags.append(Flag("split-long", "source too long for the model; translated in pieces"))
    return tuple(flags)


def translate_lines(
    lines: list[str],
    translator: Translator,
    *,
    resplit: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> list[str]:
    """Translate a test set: one output line per input line, in order.

    By default each line is one segment, as published scores assume. With ``resplit`` each
    line is run through the article splitter, its sentences (of every kind: test data has no
    boilerplate to set aside) translated, and joined back into one line, which shows what
    sentence splitting does to quality. ``progress`` receives the number of segments to
    translate (with ``resplit``, sentences rather than lines) and returns the callback.
    """
    pieces: list[list[str]] = [
        [s.text for s in split_text(line)] if resplit else ([line.strip()] if line.strip() else [])
        for line in lines
    ]
    flat = [p for group in pieces for p in group]
    results = iter(translator.translate(flat, progress(len(flat)) if progress else None))
    return [" ".join(next(results).text for _ in group) for group in pieces]
