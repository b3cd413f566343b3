"""What every route checks, in one place: the arguments read as LibreTranslate reads them,
the caller's key and quota, the texts themselves, and the wait for the model bounded by the
deadline and by the client staying connected."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse

from sejajar.serve.batcher import QueueFull, Unavailable
from sejajar.serve.keys import Keys, Quota
from sejajar.serve.service import Service
from sejajar.translate.translator import TranslatorError

T = TypeVar("T")


class ApiError(Exception):
    """An answer other than 200: its status, the one-line message, and headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def note(request: Request, **details: Any) -> None:
    """Add to the request's log line."""
    request.scope.setdefault("state", {}).setdefault("log", {}).update(details)


async def read_args(request: Request, known: Iterable[str]) -> dict[str, Any]:
    """A JSON body's object, or a form body's fields with the query string's (a field given
    several times is a list), as LibreTranslate reads them; an unknown field is refused."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    args: dict[str, Any]
    if kind == "application/json":
        body = await request.body()
        try:
            args = json.loads(body) if body.strip() else {}
        except (ValueError, RecursionError):  # bad JSON, bad UTF-8, nesting past the stack
            raise ApiError(400, "Invalid JSON format") from None
        if not isinstance(args, dict):
            raise ApiError(400, "Invalid JSON format: expected an object")
    else:
        fields: list[tuple[str, object]] = list(request.query_params.multi_items())
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.form(max_files=0, max_fields=2000)
            except Exception as exc:
                raise ApiError(400, f"Invalid form body: {str(exc)[:200]}") from None
            fields += list(form.multi_items())
        args = {}
        for name, value in fields:
            if not isinstance(value, str):
                raise ApiError(400, "Invalid request: files are not accepted")
            args[name] = (
                [*args[name], value]
                if isinstance(args.get(name), list)
                else ([args[name], value] if name in args else value)
            )
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise ApiError(400, f"Invalid request: unknown parameter {unknown[0]!r}")
    return args


def authorise(request: Request, given: object) -> str:
    """Who is calling, for quotas and logs: the key's id, or the client's address on a server
    with no keys. 403 for a missing or wrong key where keys are required."""
    keys: Keys = request.app.state.keys
    header = request.headers.get("authorization", "")
    if not given and header.lower().startswith("bearer "):
        given = header[7:].strip()
    if not keys.required:
        return f"client:{request.client.host if request.client else '-'}"
    if not given:
        raise ApiError(403, "Invalid API key: this server needs one (api_key or a Bearer header)")
    found = keys.check(given) if isinstance(given, str) else None
    if found is None:
        raise ApiError(403, "Invalid API key")
    note(request, key=found)
    return f"key:{found}"


async def charge(request: Request, caller: str, chars: int) -> None:
    """Count ``chars`` against the caller's quota: 429 past it."""
    quota: Quota = request.app.state.quota
    if quota.per_minute and chars > quota.per_minute:
        raise ApiError(
            429,
            f"Slowdown: the request has {chars} characters, more than the "
            f"{quota.per_minute} a minute allowed",
        )
    wait = await quota.reserve(caller, chars)
    if wait is not None:
        raise ApiError(
            429,
            f"Slowdown: more than {quota.per_minute} characters a minute",
            {"Retry-After": str(int(wait + 0.999))},
        )


def clean_texts(value: object, name: str, most: int) -> tuple[bool, list[str]]:
    """``(given as a list, the texts)``: a string or a list of strings, each valid Unicode with
    no NUL; at most ``most`` of them."""
    if value is None or value == "" or value == []:
        raise ApiError(400, f"Invalid request: missing {name} parameter")
    batch = isinstance(value, list)
    texts: list[Any] = value if isinstance(value, list) else [value]
    if len(texts) > most:
        raise ApiError(400, f"Invalid request: request ({len(texts)}) exceeds text limit ({most})")
    for text in texts:
        if not isinstance(text, str):
            raise ApiError(400, f"Invalid request: {name} must be a string or a list of strings")
        if "\x00" in text:
            raise ApiError(400, f"Invalid request: {name} contains a NUL character")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(
                400, f"Invalid request: {name} contains a lone surrogate (not valid Unicode)"
            ) from None
    return batch, texts


async def bounded(request: Request, work: Awaitable[T]) -> T:
    """``work``'s result, unless the deadline passes first (504) or the client goes away; in
    both cases the work is cancelled, so its sentences leave the queue. Errors of the model
    and a full queue become their answers."""
    deadline = service(request).settings.deadline
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait(
            {task, gone}, timeout=deadline, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        gone.cancel()
    if task not in done:
        task.cancel()
        if gone in done:
            raise ApiError(499, "Client closed the request")
        raise ApiError(504, f"Translation did not finish within {deadline:g} s")
    try:
        return task.result()
    except QueueFull as exc:
        raise ApiError(503, f"Server busy: {exc}", {"Retry-After": "1"}) from None
    except Unavailable as exc:
        raise ApiError(503, f"Service unavailable: {exc}", {"Retry-After": "1"}) from None
    except TranslatorError as exc:
        raise ApiError(500, f"Cannot translate text: {exc}") from None


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
