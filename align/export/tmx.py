"""TMX 1.4, the translators' exchange format (OmegaT, Trados, memoQ): one translation unit per
pair, flags and confidence as properties. All text is XML-escaped."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from sejajar import __version__
from sejajar.core.records import ParallelDocument, render_signature

# Characters XML 1.0 forbids even escaped; input normalisation removes them already, this is
# the exporter's own guarantee.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub(" ", value))


def render_tmx_pairs(pairs: list[tuple[str, str, list[tuple[str, str]]]], signature: str) -> str:
    """TMX for (source, target, properties) triples; properties are (type, value)."""
    units = (
        tmx_unit(n, source, target, props) for n, (source, target, props) in enumerate(pairs, 1)
    )
    return tmx_header(signature) + "".join(units) + TMX_FOOTER


def tmx_header(signature: str) -> str:
    """Everything before the first unit: a large TMX is written as header, units, footer."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
        '<tmx version="1.4">\n'
        f'  <header creationtool="sejajar" creationtoolversion="{__version__}" '
        'segtype="sentence" o-tmf="sejajar" adminlang="en" srclang="id" datatype="plaintext">\n'
        f'    <prop type="x-sejajar-signature">{_text(signature)}</prop>\n'
        "  </header>\n  <body>\n"
    )


def tmx_unit(number: int, source: str, target: str, props: list[tuple[str, str]]) -> str:
    prop_lines = "".join(
        f"      <prop type={quoteattr(kind)}>{_text(value)}</prop>\n" for kind, value in props
    )
    return (
        f'    <tu tuid="{number}">\n{prop_lines}'
        f'      <tuv xml:lang="id"><seg>{_text(source)}</seg></tuv>\n'
        f'      <tuv xml:lang="en"><seg>{_text(target)}</seg></tuv>\n'
        "    </tu>\n"
    )


TMX_FOOTER = "  </body>\n</tmx>\n"


def render_tmx(doc: ParallelDocument) -> str:
    pairs = []
    for link in doc.links:
        if not (link.source and link.target):
            continue
        props = [("x-flag", f"{f.name}: {f.reason}") for f in link.flags]
        if link.score is not None:
            props.append(("x-confidence", f"{link.score:.2f}"))
        props.append(("x-kind", doc.kind(link).value))
        if link.moved:
            props.append(("x-moved", "target " + ",".join(str(j + 1) for j in link.target)))
        pairs.append((doc.source_text(link), doc.target_text(link), props))
    return render_tmx_pairs(pairs, render_signature(doc.signature))
