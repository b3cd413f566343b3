"""The team review's page routes (``/review/``): the shell and its files, served with a strict
Content-Security-Policy (no inline script or style anywhere), the workbench's script the very
file the offline page embeds (one code path), and nothing else from the folder."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sejajar.align.export.html import render_html
from sejajar.serve import review_page
from tests.helpers import FakeTranslator


def client() -> TestClient:
    app = FastAPI()
    app.include_router(review_page.router)
    return TestClient(app)


def test_the_shell_has_a_strict_policy_and_no_inline_script_or_style() -> None:
    with client() as http:
        for path in ("/review/", "/review/documents/12"):
            answer = http.get(path)
            assert answer.status_code == 200
            policy = answer.headers["content-security-policy"]
            assert "unsafe" not in policy and "default-src 'none'" in policy
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["cache-control"] == "no-store"
            page = answer.text
            scripts = re.findall(r"<script[^>]*>", page)
            assert scripts and all(' src="/review/static/' in s for s in scripts)
            assert "<style" not in page and " style=" not in page
            assert not re.search(r"\son[a-z]+=", page, re.IGNORECASE)
            assert "<kbd>a</kbd> accept" in page  # the offline page's keys
        moved = http.get("/review", follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == "/review/"


def test_the_page_files_are_served_and_nothing_else(fake: FakeTranslator) -> None:
    from sejajar.align.pipeline import translate_document
    from sejajar.translate.split import split_document

    doc = translate_document(split_document("a", "Satu kalimat. Dua kalimat."), fake)
    offline = render_html(doc)
    with client() as http:
        for name in ("review.js", "outbox.js", "team.js", "moved.js"):
            answer = http.get(f"/review/static/{name}")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/javascript")
        # The same workbench script as the page opened from disk.
        assert f"<script>{http.get('/review/static/review.js').text}</script>" in offline
        assert http.get("/review/static/page.css").headers["content-type"].startswith("text/css")
        for name in ("team.html", "html.py", "nothing.js"):
            answer = http.get(f"/review/static/{name}")
            assert answer.status_code == 404 and answer.json() == {"error": "Not found"}
        assert http.get("/review/static/..%2Fhtml.py").status_code == 404
