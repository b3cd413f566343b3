"""LibreTranslate's API, so that its clients (libretranslatepy, deep-translator, the npm
package, Weblate, browser and CAT-tool plug-ins) work unchanged: ``POST /translate``,
``POST /detect``, ``GET /languages``, ``GET /frontend/settings``. Arguments are read where
LibreTranslate reads them (a JSON body, a form body, the query string); errors are
``{"error": "..."}`` with its status codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sejajar.serve.checks import (
    ApiError,
    authorise,
    bounded,
    charge,
    clean_texts,
    note,
    read_args,
    service,
)
from sejajar.serve.detect import detect as detect_language

router = APIRouter(tags=["LibreTranslate"])

SOURCES = {"id": "Indonesian"}
TARGETS = {"en": "English"}
PAIRS = "id (or auto) to en"
# The most alternatives, and the most sentences a request asking for them may hold: each is a
# beam search of its own in the model thread.
MOST_ALTERNATIVES = 3
ALTERNATIVE_SENTENCES = 64
# LibreTranslate's detection looks at texts of at least this many characters on their own.
_DETECT_ALONE = 40
_TRANSLATE_FIELDS = ("q", "source", "target", "format", "alternatives", "api_key", "secret")


@router.post("/translate")
async def translate(request: Request) -> dict[str, Any]:
    """Translate ``q`` (a string or a list) from ``source`` (``id`` or ``auto``) to
    ``target`` (``en``); ``format`` ``text`` or ``html``; ``alternatives`` N other
    translations of each."""
    args = await read_args(request, _TRANSLATE_FIELDS)
    caller = authorise(request, args.get("api_key"))
    the = service(request)
    batch, texts = clean_texts(args.get("q"), "q", the.settings.max_texts)
    source, target = _language(args, "source"), _language(args, "target")
    if source not in (*SOURCES, "auto"):
        raise ApiError(400, f"{source} is not supported: this server translates {PAIRS}")
    if target not in TARGETS:
        raise ApiError(400, f"{target} is not supported: this server translates {PAIRS}")
    kind = args.get("format") or "text"
    if kind not in ("text", "html"):
        raise ApiError(400, f"{kind} format is not supported (text or html)")
    alternatives = _alternatives(args.get("alternatives"))
    chars = sum(map(len, texts))
    note(request, texts=len(texts), chars=chars)
    if the.settings.log_text:
        note(request, q=texts)
    await charge(request, caller, chars)

    detected = None
    if source == "auto":
        overall = detect_language(" ".join(texts))[0]
        detected = [detect_language(t)[0] if len(t) >= _DETECT_ALONE else overall for t in texts]
    # What is English already stays as it is (this server translates into English only).
    todo = [i for i in range(len(texts)) if detected is None or detected[i]["language"] == "id"]
    if alternatives and len(todo) > ALTERNATIVE_SENTENCES:
        raise ApiError(400, f"Invalid request: alternatives are given for at most "
                            f"{ALTERNATIVE_SENTENCES} texts a request")  # fmt: skip
    try:
        done, others = await bounded(
            request, the.translate_texts([texts[i] for i in todo], kind == "html", alternatives)
        )
    except ValueError as exc:  # markup libxml2 cannot read
        raise ApiError(400, f"Invalid request: cannot read the HTML: {exc}") from None
    results = list(texts)
    more: list[list[str]] = [[] for _ in texts]
    for i, text, other in zip(todo, done, others, strict=True):
        results[i], more[i] = text, other
    answer: dict[str, Any] = {"translatedText": results if batch else results[0]}
    if detected is not None:
        answer["detectedLanguage"] = detected if batch else detected[0]
    if alternatives:
        answer["alternatives"] = more if batch else more[0]
    return answer


@router.post("/detect")
async def detect(request: Request) -> list[dict[str, Any]]:
    """The language of ``q``, among those this server knows, best first."""
    args = await read_args(request, ("q", "api_key", "secret"))
    caller = authorise(request, args.get("api_key"))
    _, texts = clean_texts(args.get("q"), "q", service(request).settings.max_texts)
    await charge(request, caller, sum(map(len, texts)))
    return detect_language(" ".join(texts))


@router.get("/languages")
async def languages() -> list[dict[str, Any]]:
    """The languages of this server, each with the languages it translates into."""
    return [
        {"code": "id", "name": "Indonesian", "targets": ["en"]},
        {"code": "en", "name": "English", "targets": []},
    ]


@router.get("/frontend/settings")
async def frontend_settings(request: Request) -> dict[str, Any]:
    """What a LibreTranslate front end asks before showing itself."""
    keys = request.app.state.keys
    return {
        "charLimit": service(request).settings.max_body,
        "frontendTimeout": 500,
        "apiKeys": keys.required,
        "keyRequired": keys.required,
        "suggestions": False,
        "filesTranslation": False,
        "supportedFilesFormat": [],
        "language": {
            "source": {"code": "id", "name": "Indonesian"},
            "target": {"code": "en", "name": "English"},
        },
    }


def _language(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not value:
        raise ApiError(400, f"Invalid request: missing {name} parameter")
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid request: {name} must be a language code")
    return value.strip().lower()[:20]


def _alternatives(value: object) -> int:
    if value is None or value == "":
        return 0
    try:
        count = int(value) if not isinstance(value, (bool, float)) else -1  # type: ignore[call-overload]
    except (TypeError, ValueError):
        count = -1
    if not 0 <= count <= MOST_ALTERNATIVES:
        raise ApiError(
            400, f"Invalid request: alternatives must be a whole number from 0 to "
                 f"{MOST_ALTERNATIVES}"
        )  # fmt: skip
    return count
