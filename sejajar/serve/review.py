"""The team review's API under ``/v1/review``: the caller's documents, a document's pairs, a
decision saved (with its version, CSRF token and idempotency key), a pair's history and a
project's progress. A thin layer over :mod:`sejajar.review`; who may see what is decided
there, once (:func:`sejajar.review.documents.visible`): a document that is not the caller's
answers 404, as one that does not exist.

Answers (JSON): see docs/review.md#the-api. Routes are plain functions (FastAPI's thread
pool), so the database never blocks the event loop."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sejajar.review import decisions, documents, imports
from sejajar.review.accounts import Caller
from sejajar.review.database import Database
from sejajar.review.settings import ReviewError
from sejajar.serve import review_auth, review_page
from sejajar.serve.checks import ApiError, error, note
from sejajar.serve.review_auth import database, signed_in, writing

router = APIRouter(prefix="/v1/review", tags=["review"])
Reader = Annotated[Caller, Depends(signed_in)]
Writer = Annotated[Caller, Depends(writing)]


class Save(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(description="accepted, rejected, edited or pending.")
    version: int = Field(ge=0, strict=True, description="The pair's version the caller saw.")
    target: str | None = Field(
        None, max_length=100_000, description="The new English: with edited only."
    )


class Upload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="The document's name.")
    records: list[Any] = Field(description="NAME.jsonl's records (as /v1/translate answers).")
    meta: dict[str, Any] = Field(description="NAME.meta.json.")
    assign: str | None = Field(None, max_length=64, description="The reviewer to hand it to.")


@router.post("/projects/{project}/documents", status_code=201)
def upload(request: Request, who: Writer, project: str, body: Upload) -> dict[str, Any]:
    """Add a document (admins only): 201 ``{"id", "name", "project", "pairs"}``; 409 when
    the project has one of that name."""
    if not who.admin:
        raise ApiError(403, "Only an admin may add documents")
    try:
        meta = imports.check_meta(body.meta)
        records = []
        for number, record in enumerate(body.records):
            try:
                records.append(imports.check_record(record))
            except ValueError as exc:
                raise ValueError(f"records[{number}]: {exc}") from None
    except ValueError as exc:
        raise ApiError(400, f"Invalid request: {exc}") from None
    incoming = imports.Incoming(body.name, meta, records)
    done = imports.import_documents(database(request), [incoming], project, body.assign)[0]
    return {"id": done.id, "name": done.name, "project": project, "pairs": done.pairs}


@router.get("/documents")
def list_documents(request: Request, who: Reader) -> list[dict[str, Any]]:
    """The caller's documents (an admin's: all): id, name, project, pairs, reviewed."""
    return documents.list_documents(database(request), who)


@router.get("/documents/{document}")
def read_document(request: Request, who: Reader, document: int) -> dict[str, Any]:
    """A document and its pairs, each with its decision, version and who saved it last."""
    return decisions.read_document(database(request), who, document)


@router.put("/documents/{document}/pairs/{pair}")
def save(
    request: Request,
    who: Writer,
    document: int,
    pair: int,
    body: Save,
    key: Annotated[str, Header(alias="Idempotency-Key")],
) -> dict[str, int]:
    """Save a decision: 200 ``{"version"}``; 409 ``{"error", "current"}`` when the pair was
    saved since ``version``. The same Idempotency-Key sent again stores nothing."""
    change = decisions.Change(body.decision, body.version, body.target)
    return {"version": decisions.save(database(request), who, document, pair, change, key)}


@router.get("/documents/{document}/pairs/{pair}/history")
def pair_history(request: Request, who: Reader, document: int, pair: int) -> list[dict[str, Any]]:
    """Every save of the pair, oldest first (the admin's, or the assignee's)."""
    return decisions.history(database(request), who, document, pair)


@router.get("/projects/{project}/progress")
def progress(request: Request, who: Reader, project: str) -> dict[str, Any]:
    """Per reviewer: pairs, reviewed, accepted, edited, rejected, flagged still pending (a
    reviewer sees their own line)."""
    return {"project": project, "reviewers": documents.progress(database(request), who, project)}


def add_review(app: FastAPI, db: Database) -> list[APIRouter]:
    """Serve the team review from ``db`` on ``app``; the routers added."""
    app.state.review = db
    app.state.sign_in_limit = review_auth.SignInLimit()
    app.include_router(review_auth.router)
    app.include_router(router)
    app.include_router(review_page.router)

    @app.exception_handler(ReviewError)
    async def review_error(request: Request, exc: ReviewError) -> JSONResponse:
        if isinstance(exc, decisions.Conflict):
            return JSONResponse({"error": str(exc), "current": exc.current}, status_code=409)
        if isinstance(exc, documents.NotFound):
            return error(404, "Not found")
        if isinstance(exc, (decisions.Invalid, imports.Unusable)):
            return error(400, f"Invalid request: {exc}")
        if isinstance(exc, decisions.KeyReused):
            return error(422, str(exc))
        if isinstance(exc, imports.Exists):
            return error(409, str(exc))
        note(request, failure=str(exc)[:200])
        return error(503, "Review database unavailable")

    return [review_auth.router, router, review_page.router]
