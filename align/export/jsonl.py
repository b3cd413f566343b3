"""JSONL: one object per link, every line alike; the run's signature goes to NAME.meta.json.

A document with moved links (out of order, from ``sejajar align``) has a ``moved`` field on
every line; one without any has none, so its lines are as they always were."""

from __future__ import annotations

import json
from typing import Any

from sejajar.core.records import Link, ParallelDocument, render_signature


def link_record(doc: ParallelDocument, number: int, link: Link) -> dict[str, Any]:
    """The JSON form of one link, shared by the JSONL export and the HTML page's data."""
    record: dict[str, Any] = {
        "id": number,
        "source": doc.source_text(link),
        "target": doc.target_text(link),
        "source_ids": list(link.source),
        "target_ids": list(link.target),
        "paragraph": doc.paragraph(link),
        "kind": doc.kind(link).value,
        "score": link.score,
        "flags": [{"name": f.name, "reason": f.reason} for f in link.flags],
    }
    if doc.has_moved:
        record["moved"] = link.moved
    return record


def render_jsonl(doc: ParallelDocument) -> str:
    lines = (
        json.dumps(link_record(doc, n, link), ensure_ascii=False) + "\n"
        for n, link in enumerate(doc.links)
    )
    return "".join(lines)


def render_meta(doc: ParallelDocument) -> str:
    meta = {
        "name": doc.name,
        "signature": render_signature(doc.signature),
        "settings": dict(doc.signature),
        "source_segments": len(doc.source),
        "target_segments": len(doc.target),
        "links": len(doc.links),
    }
    return json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
