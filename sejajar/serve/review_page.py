"""The team review's page at ``/review/``: one shell (sign-in, the caller's documents, a
document's workbench) and its scripts and styles, the offline page's own (``review.js``,
``page.css``, ``moved.*``) beside the team mode's (``outbox.js``, ``team.js``, ``team.css``),
all from ``sejajar/align/export``. Everything it shows comes from the ``/v1`` API.

A strict Content-Security-Policy, as the offline page has: scripts and styles from this
server's own routes only, no inline script, requests to this server only, no framing."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from sejajar.align.export import html as offline_page
from sejajar.serve.checks import error

_FOLDER = Path(offline_page.__file__).parent
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_FILES = ("review.js", "outbox.js", "team.js", "moved.js", "page.css", "moved.css", "team.css")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

router = APIRouter(prefix="/review", tags=["review page"], include_in_schema=False)


def _shell() -> bytes:
    template = (_FOLDER / "team.html").read_text("utf-8")
    return template.replace("{keys}", offline_page.KEYS).encode("utf-8")


_SHELL = _shell()
_STATIC = {name: (_FOLDER / name).read_bytes() for name in _FILES}


def _page() -> Response:
    headers = {**_HEADERS, "Cache-Control": "no-store"}
    return Response(_SHELL, media_type="text/html; charset=utf-8", headers=headers)


@router.get("")
def root() -> RedirectResponse:
    return RedirectResponse("/review/", status_code=308)


@router.get("/")
def documents() -> Response:
    """Sign-in, then the caller's documents (the page asks the API which)."""
    return _page()


@router.get("/documents/{document}")
def workbench(document: int) -> Response:
    """A document's workbench (the page loads the document from the API)."""
    return _page()


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in _STATIC:
        return error(404, "Not found")
    kind = _TYPES[Path(name).suffix]
    headers = {**_HEADERS, "Cache-Control": "no-cache"}
    return Response(_STATIC[name], media_type=kind, headers=headers)
