"""The review database taken away under a running ``sejajar serve --db`` (PostgreSQL stopped
at once): the review API answers 503 as JSON while translation goes on, and serves again,
with nothing lost, when the database is back."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.databases import postgres_server
from tests.reviewing import Reviewer, seed
from tests.servers import serving

# Starts processes: PostgreSQL and a server.
pytestmark = pytest.mark.slow

UNAVAILABLE = {"error": "Review database unavailable"}


def test_the_database_away_is_a_503_and_back_it_serves(
    review_outputs: Path, tiny_model: Path, tmp_path: Path
) -> None:
    with postgres_server() as postgres:
        url = postgres.new_database()
        seeded = seed(url, review_outputs, tmp_path)
        doc = seeded.documents["ayu"]
        with serving(tiny_model, "--workers", "1", "--db", url) as server:
            ayu = Reviewer(server.url, "ayu")
            pair = ayu.get(f"/v1/review/documents/{doc}").json()["pairs"][0]["id"]
            assert ayu.put(doc, pair, decision="accepted", version=0).json() == {"version": 1}
            postgres.stop()
            for answer in (
                ayu.get("/v1/review/documents"),
                ayu.put(doc, pair, key="during", decision="rejected", version=1),
                httpx.post(f"{server.url}/v1/session", json={"username": "ayu", "password": "x"}),
            ):
                assert (answer.status_code, answer.json()) == (503, UNAVAILABLE)
                assert "Traceback" not in server.log
            assert httpx.get(f"{server.url}/health").status_code == 200  # translation goes on
            assert postgres.start() == ""
            # The save sent during the outage, sent again with its key: stored once.
            again = ayu.put(doc, pair, key="during", decision="rejected", version=1)
            assert again.json() == {"version": 2}
            history = ayu.get(f"/v1/review/documents/{doc}/pairs/{pair}/history").json()
            assert [h["after"]["decision"] for h in history] == ["accepted", "rejected"]
            ayu.close()
