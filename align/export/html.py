"""A self-contained side-by-side HTML page for reviewers, opened straight from disk.

Without a script it is a plain two-column table. With it (``review.js``) a reviewer moves
through pairs with the keyboard, accepts, rejects or edits them, and exports the decisions.
Article text is always escaped, and a Content-Security-Policy allows only this page's own
style and script, by hash: no inline handler, no other script, no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from itertools import groupby
from pathlib import Path

from sejajar.align.export.jsonl import link_record
from sejajar.core.records import Flag, Kind, Link, ParallelDocument, render_signature

_HERE = Path(__file__).parent
_CSS = (_HERE / "page.css").read_text("utf-8")
# The page's store (local storage), then the workbench that uses it, in this order.
_JS = tuple((_HERE / name).read_text("utf-8") for name in ("localstore.js", "review.js"))
# Added only to pages with moved links, so other pages stay byte-identical.
_MOVED_CSS = (_HERE / "moved.css").read_text("utf-8")
_MOVED_JS = (_HERE / "moved.js").read_text("utf-8")
KEYS = (
    "<kbd>j</kbd>/<kbd>k</kbd> next/previous pair · <kbd>n</kbd>/<kbd>N</kbd> next/previous "
    "flagged · <kbd>a</kbd> accept · <kbd>r</kbd> reject · <kbd>e</kbd> edit "
    "(<kbd>Enter</kbd> saves, <kbd>Esc</kbd> cancels) · <kbd>u</kbd> undo · "
    "<kbd>f</kbd> only flagged · <kbd>/</kbd> search"
)


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _csp(css: str, js: tuple[str, ...], extra_css: str = "", extra_js: str = "") -> str:
    styles = " ".join(_hash(c) for c in (css, extra_css) if c)
    scripts = " ".join(_hash(j) for j in (*js, extra_js) if j)
    return (
        f"default-src 'none'; style-src {styles}; script-src {scripts}; "
        "img-src 'none'; form-action 'none'; base-uri 'none'"
    )


def _json_for_script(value: object) -> str:
    """JSON that cannot end its <script> element early, whatever the article says."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def document_digest(doc: ParallelDocument) -> str:
    """The page's identity: SHA-256 of everything it shows (name, signature, both sides'
    segments with their kinds and paragraphs, every link with its score and flags). Two
    alignments of one source against different English texts differ here."""
    content = {
        "name": doc.name,
        "signature": render_signature(doc.signature),
        "source": [[s.text, s.kind.value, s.paragraph] for s in doc.source],
        "target": [[s.text, s.kind.value, s.paragraph] for s in doc.target],
        "links": [link_record(doc, n, link) for n, link in enumerate(doc.links)],
    }
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def storage_key(digest: str) -> str:
    """Where the page keeps decisions: one key per document digest, so two pages that show
    anything different never share decisions (all file:// pages share one storage)."""
    return "sejajar:" + digest[:32]


def render_html(doc: ParallelDocument) -> str:
    pairs = sum(1 for link in doc.links if link.source and link.target)
    aside = sum(1 for link in doc.links if not link.target)
    flagged = sum(1 for link in doc.links if link.flags)
    moved = sum(1 for link in doc.links if link.moved)
    extra = (_MOVED_CSS, _MOVED_JS) if moved else ("", "")
    numbered = list(enumerate(doc.links))
    bodies = [
        _paragraph(doc, number, list(links))
        for number, links in groupby(numbered, key=lambda item: doc.paragraph(item[1]))
    ]
    records = [link_record(doc, n, link) for n, link in numbered if link.source and link.target]
    digest = document_digest(doc)
    data = {
        "name": doc.name,
        "signature": render_signature(doc.signature),
        "document": digest,
        "links": len(doc.links),
        "records": records,
    }
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp(_CSS, _JS, *extra)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.name)} \u00b7 sejajar</title>\n<style>{_CSS}</style>\n"
        + (f"<style>{_MOVED_CSS}</style>\n" if moved else "")
        + "</head>\n"
        "<body>\n<header>\n"
        f"<h1>{escape(doc.name)}</h1>\n"
        f'<p class="signature"><code>{escape(render_signature(doc.signature))}</code></p>\n'
        f'<p class="stats">{_count(pairs, "pair")} \u00b7 {aside} set aside \u00b7 '
        f"{flagged} to check{_moved_stat(moved)}</p>\n"
        '<div class="toolbar">'
        '<label><input type="checkbox" id="only-flagged"> only flagged</label> '
        f"{_moved_filter(moved)}"
        '<input type="search" id="search" placeholder="search (/)" aria-label="search"> '
        f'<span id="counter" aria-live="polite">0 / {pairs} reviewed</span> '
        '<button type="button" id="export-tsv">Export TSV</button> '
        '<button type="button" id="export-jsonl">Export JSONL</button>'
        f'<p class="keys">{KEYS}</p></div>\n'
        "</header>\n"
        f'<table id="pairs" data-storage-key="{storage_key(digest)}">\n'
        '<thead><tr><th class="n">#</th><th lang="id">Indonesian</th>'
        '<th lang="en">English</th><th class="status">review</th></tr></thead>\n'
        + "".join(bodies)
        + "</table>\n"
        f'<script type="application/json" id="sejajar-data">{_json_for_script(data)}</script>\n'
        + "".join(f"<script>{js}</script>\n" for js in _JS)
        + (f"<script>{_MOVED_JS}</script>\n" if moved else "")
        + "</body>\n</html>\n"
    )


def _moved_stat(moved: int) -> str:
    return f" \u00b7 {moved} moved" if moved else ""


def _moved_filter(moved: int) -> str:
    """Moved links (paired out of order) can be shown alone; pages without any lack the box."""
    if not moved:
        return ""
    return f'<label><input type="checkbox" id="only-moved"> only moved ({moved})</label> '


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _paragraph(doc: ParallelDocument, number: int, links: list[tuple[int, Link]]) -> str:
    rows = "".join(_row(doc, n, link) for n, link in links)
    return f'<tbody class="paragraph" data-paragraph="{number}">\n{rows}</tbody>\n'


def _row(doc: ParallelDocument, number: int, link: Link) -> str:
    kind = doc.kind(link)
    classes = " ".join(sorted({f"kind-{kind.value}", *_classes(link)}))
    ids = ",".join(map(str, link.source)) or "-"
    source = escape(doc.source_text(link)) if link.source else ""
    if link.target:
        target = f'<span class="text">{escape(doc.target_text(link))}</span>'
        if link.moved:
            where = ", ".join(str(j + 1) for j in link.target)
            target += f'<span class="from" title="moved block">from English #{where}</span>'
    elif link.score is None and kind in (Kind.BOILERPLATE, Kind.BYLINE, Kind.FOREIGN):
        # Set aside by the translate stage; an aligner's unpaired segment has a score.
        target = f'<span class="note">{kind.value}, not translated</span>'
    else:
        target = '<span class="note">no counterpart</span>'
    badges = "".join(_badge(f) for f in link.flags)
    if link.score is not None and link.source and link.target:
        badges += f'<span class="score">{link.score:.2f}</span>'
    label = f'<span class="kind">{kind.value}</span>' if kind is not Kind.SENTENCE else ""
    reviewable = bool(link.source and link.target)
    attributes = f' data-id="{number}" tabindex="-1"' if reviewable else ""
    return (
        f'<tr class="{classes}"{attributes}><td class="n">{ids}</td>'
        f'<td lang="id">{label}{source}</td>'
        f'<td lang="en" class="target">{target}{badges}</td><td class="status"></td></tr>\n'
    )


def _badge(flag: Flag) -> str:
    """A flag's badge, its reason on hover; a ``term`` flag shows its terms too (what the
    reviewer must find in the English)."""
    shown = f"{flag.name}: {flag.reason}" if flag.name == "term" else flag.name
    return f'<span class="flag" title="{escape(flag.reason)}">{escape(shown)}</span>'


def _classes(link: Link) -> set[str]:
    """Row classes: ``pair`` for a reviewable pair, what the pipeline flagged (``flagged``
    plus each flag's name), and ``aside`` for a segment with no counterpart."""
    classes = {f.name for f in link.flags}
    if link.flags:
        classes.add("flagged")
    if link.source and link.target:
        classes.add("pair")
    else:
        classes.add("aside")
    return classes
