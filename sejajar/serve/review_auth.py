"""Signing in to the team review: ``/v1/session``, the signed-in caller and the CSRF check
every write makes (FastAPI dependencies, so each route states what it needs), and the
limit on failed sign-ins, per client and per user name.

The routes are plain functions: FastAPI runs them in its thread pool, so the database and
argon2 (tens of milliseconds by design) never block the event loop."""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from sejajar.review import accounts
from sejajar.review.accounts import Caller
from sejajar.review.database import Database
from sejajar.serve.checks import ApiError, note

COOKIE = "sejajar_session"
# Failed sign-ins allowed in WINDOW seconds: per user name, and per client address.
WINDOW = 300.0
PER_USER = 5
PER_CLIENT = 20
# One message for an unknown user and a wrong password: no hint of who exists.
REFUSED = "Wrong user name or password"

router = APIRouter(prefix="/v1/session", tags=["review"])


class SignInLimit:
    """Failed sign-ins in the last ``WINDOW`` seconds, per key; past the limit, the wait."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, at: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= at - WINDOW:
            times.popleft()
        return times

    def wait(self, client: str, user: str) -> float | None:
        at = time.monotonic()
        with self._lock:
            for key, most in ((f"client:{client}", PER_CLIENT), (f"user:{user}", PER_USER)):
                times = self._recent(key, at)
                if len(times) >= most:
                    return times[0] + WINDOW - at
                if not times:
                    del self._failures[key]  # no key stays for nothing: bounded memory
        return None

    def failed(self, client: str, user: str) -> None:
        at = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:  # many names tried: forget the ones past the window
                for key in [k for k, times in self._failures.items() if times[-1] <= at - WINDOW]:
                    del self._failures[key]
            for key in (f"client:{client}", f"user:{user}"):
                self._recent(key, at).append(at)


def database(request: Request) -> Database:
    found: Database = request.app.state.review
    return found


def signed_in(request: Request) -> Caller:
    """The caller of the session cookie: 401 without one, or for an ended session."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise ApiError(401, "Not signed in")
    found = accounts.caller(database(request), token)
    if found is None:
        raise ApiError(401, "Not signed in: the session has ended")
    note(request, user=found.name)
    return found


async def writing(request: Request, who: Annotated[Caller, Depends(signed_in)]) -> Caller:
    """A signed-in caller whose request carries the session's CSRF token (403 otherwise).
    Async: it only compares, so it runs on the event loop, not in a pool thread of its own."""
    given = request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(given.encode("utf-8"), who.csrf.encode("utf-8")):
        raise ApiError(403, "Missing or wrong X-CSRF-Token header")
    return who


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class SessionInfo(BaseModel):
    csrf: str = Field(description="Send it as X-CSRF-Token with every write.")
    user: str
    role: str


def _info(who: Caller) -> SessionInfo:
    return SessionInfo(csrf=who.csrf, user=who.name, role=who.role)


@router.post("", response_model=SessionInfo)
def sign_in(body: SignIn, request: Request, response: Response) -> SessionInfo:
    """Sign in: the session cookie (HttpOnly, SameSite=Strict, Secure over https) and the
    CSRF token. 401 alike for an unknown user and a wrong password; 429 after too many
    failures."""
    limit: SignInLimit = request.app.state.sign_in_limit
    client = request.client.host if request.client else "-"
    wait = limit.wait(client, body.username)
    if wait is not None:
        raise ApiError(
            429, "Too many failed sign-ins: try again later", {"Retry-After": str(int(wait) + 1)}
        )
    found = accounts.sign_in(database(request), body.username, body.password)
    if found is None:
        limit.failed(client, body.username)
        raise ApiError(401, REFUSED)
    token, who = found
    note(request, user=who.name)
    response.set_cookie(
        COOKIE, token, max_age=accounts.SESSION_HOURS * 3600, path="/", httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )  # fmt: skip
    return _info(who)


@router.get("", response_model=SessionInfo)
def session_info(who: Annotated[Caller, Depends(signed_in)]) -> SessionInfo:
    """Who is signed in, and the CSRF token (for a page loaded again)."""
    return _info(who)


@router.delete("")
def sign_out(
    request: Request, response: Response, who: Annotated[Caller, Depends(writing)]
) -> dict[str, bool]:
    """Sign out: the session ends, its cookie is refused from now on."""
    accounts.sign_out(database(request), who)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return {"signed_out": True}
