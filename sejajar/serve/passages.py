"""A LibreTranslate ``q``: split as ``sejajar translate`` splits an article (the same segments,
each translated alone, so each gets the same text), then put back together with the text's
own spacing and line breaks. With ``format=html`` each text node of the markup is such a
passage and the markup is kept as it is; code, and elements marked ``translate="no"``, are
left alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sejajar.core.files import normalise
from sejajar.core.records import Document
from sejajar.translate.split import split_document

# Elements whose text is never translated.
_KEEP = frozenset({"script", "style", "code", "pre", "kbd", "samp", "var", "textarea"})


def passage(text: str) -> Document:
    """``text`` normalised as an article is (line ends, odd spaces) and split into segments."""
    return split_document("q", normalise(text))


def rebuild(doc: Document, translations: Sequence[str]) -> str:
    """The text of ``doc`` with each segment replaced by its translation, in place: what lies
    between segments (spaces, line breaks, anything the splitter left out) stays as it was."""
    parts: list[str] = []
    at = 0
    for segment, translated in zip(doc.segments, translations, strict=True):
        parts += [doc.text[at : segment.start], translated]
        at = segment.end
    parts.append(doc.text[at:])
    return "".join(parts)


class Markup:
    """An HTML fragment parsed by libxml2 (through lxml, linear in its size) and its
    translatable text nodes as passages; :meth:`render` writes it back with their translations.
    Raises ``ValueError`` for markup libxml2 cannot read whole (nested deeper than it goes:
    it would drop the text)."""

    def __init__(self, markup: str) -> None:
        import lxml.html

        parser = lxml.html.HTMLParser(huge_tree=True, no_network=True)
        self.root: Any = lxml.html.fragment_fromstring(markup, create_parent="div", parser=parser)
        fatal = [e for e in parser.error_log if e.level_name == "FATAL"]
        if fatal:  # past 2048 levels libxml2 stops, and the rest would be lost
            raise ValueError(f"it cannot be read whole ({fatal[0].message.split(',')[0]})")
        # (element, "text" or "tail") of every text node worth translating, in document order.
        self.slots: list[tuple[Any, str]] = []
        # Depth first, in document order, without recursion (nesting goes to 2048 levels).
        stack: list[tuple[Any, bool, bool]] = [(self.root, False, False)]
        while stack:
            element, kept, tail_only = stack.pop()
            if tail_only:  # an element done: its tail belongs to its parent's text
                if not kept and (element.tail or "").strip():
                    self.slots.append((element, "tail"))
                continue
            inside = kept
            if isinstance(element.tag, str):  # not a comment or processing instruction
                inside = kept or element.tag in _KEEP or element.get("translate") == "no"
                if not inside and (element.text or "").strip():
                    self.slots.append((element, "text"))
            stack.append((element, kept, True))
            if isinstance(element.tag, str):
                stack.extend((child, inside, False) for child in reversed(element))
        self.passages = [passage(getattr(element, side)) for element, side in self.slots]

    def render(self, texts: Sequence[str]) -> str:
        """The markup with each passage's text replaced by ``texts`` (one per passage)."""
        import lxml.html

        for (element, side), text in zip(self.slots, texts, strict=True):
            setattr(element, side, text)
        inner = [lxml.html.tostring(child, encoding="unicode") for child in self.root]
        return (self.root.text or "") + "".join(inner)
