"""A self-contained side-by-side HTML page for reviewers: inline CSS, no script, no network.

All article text goes through :func:`html.escape`, so markup in an article renders as text.
"""

from __future__ import annotations

from html import escape
from itertools import groupby
from pathlib import Path

from align.records import Link, ParallelDocument, render_signature
from translate.segments import Kind

_CSS = (Path(__file__).parent / "page.css").read_text("utf-8")
# No script may run and nothing may load: the page is data, whatever the article contains.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def render_html(doc: ParallelDocument) -> str:
    pairs = sum(1 for link in doc.links if link.source and link.target)
    aside = sum(1 for link in doc.links if not link.target)
    flagged = sum(1 for link in doc.links if link.flags)
    bodies = [
        _paragraph(doc, number, list(links))
        for number, links in groupby(doc.links, key=doc.paragraph)
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.name)} \u00b7 sejajar</title>\n<style>\n{_CSS}</style>\n</head>\n"
        "<body>\n<header>\n"
        f"<h1>{escape(doc.name)}</h1>\n"
        f'<p class="signature"><code>{escape(render_signature(doc.signature))}</code></p>\n'
        f'<p class="stats">{_count(pairs, "pair")} \u00b7 {aside} set aside \u00b7 '
        f"{flagged} to check</p>\n"
        "</header>\n<table>\n"
        '<thead><tr><th class="n">#</th><th lang="id">Indonesian</th>'
        '<th lang="en">English</th></tr></thead>\n'
        + "".join(bodies)
        + "</table>\n</body>\n</html>\n"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _paragraph(doc: ParallelDocument, number: int, links: list[Link]) -> str:
    rows = "".join(_row(doc, link) for link in links)
    return f'<tbody class="paragraph" data-paragraph="{number}">\n{rows}</tbody>\n'


def _row(doc: ParallelDocument, link: Link) -> str:
    kind = doc.kind(link)
    classes = " ".join(sorted({f"kind-{kind.value}", *_classes(doc, link)}))
    ids = ",".join(map(str, link.source)) or "-"
    source = escape(doc.source_text(link)) if link.source else ""
    if link.target:
        target = escape(doc.target_text(link))
    elif link.score is None and kind in (Kind.BOILERPLATE, Kind.BYLINE):
        # Set aside by the translate stage; an aligner's unpaired segment has a score.
        target = f'<span class="note">{kind.value}, not translated</span>'
    else:
        target = '<span class="note">no counterpart</span>'
    badges = "".join(
        f'<span class="flag" title="{escape(f.reason)}">{escape(f.name)}</span>' for f in link.flags
    )
    if link.score is not None and link.source and link.target:
        badges += f'<span class="score">{link.score:.2f}</span>'
    label = f'<span class="kind">{kind.value}</span>' if kind is not Kind.SENTENCE else ""
    return (
        f'<tr class="{classes}"><td class="n">{ids}</td>'
        f'<td lang="id">{label}{source}</td>'
        f'<td lang="en">{target}{badges}</td></tr>\n'
    )


def _classes(doc: ParallelDocument, link: Link) -> set[str]:
    """Row classes: what the pipeline flagged (``flagged`` plus each flag's name), and
    ``aside`` for a segment with no counterpart."""
    classes = {f.name for f in link.flags}
    if link.flags:
        classes.add("flagged")
    if not link.target or not link.source:
        classes.add("aside")
    return classes
