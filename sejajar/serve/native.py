"""sejajar's own API, under ``/v1``: the records ``sejajar translate --format jsonl`` and
``sejajar align --format jsonl`` write (one per link: segments, kind, flags, score), and the
run's meta file, for a whole article sent as text. Typed requests and answers, so the OpenAPI
schema at ``/openapi.json`` describes them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sejajar.align.export.jsonl import link_record, render_meta
from sejajar.core.records import ParallelDocument
from sejajar.core.webpage import HTMLError
from sejajar.serve.checks import ApiError, authorise, bounded, charge, clean_texts, note, service

router = APIRouter(prefix="/v1", tags=["sejajar"])

_NAME = Field(default="article", min_length=1, max_length=200,
              description="The document's name, as a file's stem names it in the CLI.")  # fmt: skip


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TranslateRequest(Strict):
    text: str = Field(description="An Indonesian article: plain text, or a saved web page.")
    name: str = _NAME
    keep_boilerplate: bool = Field(False, description="Translate boilerplate and bylines too.")
    api_key: str | None = None


class AlignRequest(Strict):
    source: str = Field(description="The Indonesian article.")
    target: str = Field(description="An English version of it.")
    name: str = _NAME
    bridge: bool = Field(True, description="Translate the source to guide the aligner.")
    monotone: bool = Field(False, description="Keep links in order: no moved blocks.")
    api_key: str | None = None


class Records(BaseModel):
    records: list[dict[str, Any]] = Field(description="One per link, as in NAME.jsonl.")
    meta: dict[str, Any] = Field(description="As in NAME.meta.json.")


@router.post("/translate")
async def translate(body: TranslateRequest, request: Request) -> Records:
    """An article translated sentence by sentence, as ``sejajar translate`` does it."""
    the = await _checked(request, body.api_key, [body.text, body.name])
    doc = await _document(request, the.translate_article(body.text, body.name,
                                                          body.keep_boilerplate))  # fmt: skip
    return _records(doc)


@router.post("/align")
async def align(body: AlignRequest, request: Request) -> Records:
    """An article paired with its English version, as ``sejajar align`` does it."""
    the = await _checked(request, body.api_key, [body.source, body.target, body.name])
    work = the.align_articles(body.source, body.target, body.name, body.bridge, body.monotone)
    return _records(await _document(request, work))


async def _checked(request: Request, key: str | None, texts: list[str]) -> Any:
    caller = authorise(request, key)
    _, texts = clean_texts(texts, "text", len(texts))
    chars = sum(map(len, texts))
    note(request, chars=chars)
    await charge(request, caller, chars)
    if any(c in texts[-1] for c in "/\\") or texts[-1].strip() != texts[-1]:
        raise ApiError(400, "Invalid request: name must not hold slashes or edge spaces")
    return service(request)


async def _document(request: Request, work: Any) -> ParallelDocument:
    try:
        doc: ParallelDocument = await bounded(request, work)
    except HTMLError as exc:
        raise ApiError(400, f"Invalid request: {exc}") from None
    if not doc.source:
        raise ApiError(400, "Invalid request: the text holds no sentence")
    return doc


def _records(doc: ParallelDocument) -> Records:
    records = [link_record(doc, n, link) for n, link in enumerate(doc.links)]
    return Records(records=records, meta=json.loads(render_meta(doc)))
