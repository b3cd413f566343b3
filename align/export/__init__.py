"""Output formats. Each renderer turns a :class:`ParallelDocument` into a string; writing is
the caller's (atomically, see :func:`sejajar.core.files.write_atomic`)."""

from __future__ import annotations

from collections.abc import Callable

from sejajar.core.records import ParallelDocument

from .beads import render_links
from .html import render_html
from .jsonl import render_jsonl, render_meta
from .tmx import render_tmx
from .tsv import render_tsv

Renderer = Callable[[ParallelDocument], str]

# format name -> the files it writes: (file suffix, renderer) each
FORMATS: dict[str, tuple[tuple[str, Renderer], ...]] = {
    "tsv": ((".tsv", render_tsv),),
    "html": ((".html", render_html),),
    "beads": ((".align.txt", render_links),),
    "jsonl": ((".jsonl", render_jsonl), (".meta.json", render_meta)),
    "tmx": ((".tmx", render_tmx),),
}
