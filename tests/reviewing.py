"""Fixtures of the team review (a pytest plugin, named in conftest.py): a PostgreSQL server
for the session, an empty database of each kind (``review_db``: the same test runs on SQLite
and on PostgreSQL), sejajar's outputs of the sample texts made by the tiny model, a database
seeded with users and documents, a real ``sejajar serve --db`` on it, and signed-in clients.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import Postgres, postgres_server
from tests.helpers import TEXTS, run
from tests.servers import Server, serving

PASSWORD = "correct horse battery"
# name -> role. fay has no documents (the sign-in limit's tests use her name), nor has gita
# (the upload's test gives her one).
USERS = {"ayu": "reviewer", "budi": "reviewer", "dewi": "reviewer", "fay": "reviewer",
         "gita": "reviewer", "chief": "admin"}  # fmt: skip
# Who gets which sample (by sorted file order), in which project.
ASSIGNED = {"ayu": ("news", 0), "budi": ("news", 1), "dewi": ("desk", 0)}


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server for the session (each test gets its own database in it)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def review_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.sqlite3'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture(scope="session")
def review_outputs(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """``translate --format jsonl,html`` of the sample texts: NAME.jsonl, NAME.meta.json and
    the page NAME.html of each."""
    out = tmp_path_factory.mktemp("outputs")
    code, _, err = run(
        "translate", str(TEXTS), "--out", str(out), "--model", str(tiny_model), "--format",
        "jsonl,html", "--workers", "1", "--no-cache",
    )  # fmt: skip
    assert code == 0, err
    return out


@dataclass(frozen=True)
class Seeded:
    """A database with USERS (password PASSWORD) and two projects (``ASSIGNED``): in
    ``news`` the first sample's document is ayu's, the second budi's; in ``desk`` the first
    sample's is dewi's."""

    url: str
    outputs: Path
    documents: dict[str, int]  # assignee -> document id
    names: dict[str, str]  # assignee -> document name


def seed(url: str, outputs: Path, folder: Path) -> Seeded:
    assert run("review", "init", "--db", url)[0] == 0
    password = folder / "password"
    password.write_text(PASSWORD + "\n")
    for name, role in USERS.items():
        result = run("review", "add-user", name, "--role", role, "--password-file", str(password),
                     "--db", url)  # fmt: skip
        assert result[0] == 0, result
    files = sorted(outputs.glob("*.jsonl"))
    for user, (project, number) in ASSIGNED.items():
        result = run("review", "import", str(files[number]), "--project", project, "--assign",
                     user, "--db", url)  # fmt: skip
        assert result[0] == 0, result
    names = {u: files[n].name.removesuffix(".jsonl") for u, (_, n) in ASSIGNED.items()}
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        query = text("SELECT u.name, d.id FROM documents d JOIN users u ON u.id = d.assigned_id")
        ids = dict(connection.execute(query).all())
    engine.dispose()
    return Seeded(url, outputs, ids, names)


@pytest.fixture
def seeded_review(review_db: str, review_outputs: Path, tmp_path: Path) -> Seeded:
    return seed(review_db, review_outputs, tmp_path)


@pytest.fixture
def review_server(seeded_review: Seeded, tiny_model: Path) -> Iterator[Server]:
    """``sejajar serve --db`` on a new seeded database, for one test (which may stop and
    start servers of its own on ``seeded_review.url``)."""
    with serving(tiny_model, "--workers", "1", "--db", seeded_review.url) as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served_review(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    review_outputs: Path,
    tiny_model: Path,
) -> Iterator[tuple[Seeded, Server]]:
    """One seeded database of each kind, served for a whole module: its tests share it, so
    each keeps to its own users and documents."""
    folder = tmp_path_factory.mktemp("served")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'review.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    seeded = seed(url, review_outputs, folder)
    with serving(tiny_model, "--workers", "1", "--db", url) as server:
        yield seeded, server


class Reviewer:
    """A signed-in client: ``put`` saves a decision with the CSRF token and a new key (or
    the one given)."""

    def __init__(self, url: str, name: str, password: str = PASSWORD) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        answer = self.client.post("/v1/session", json={"username": name, "password": password})
        assert answer.status_code == 200, answer.text
        self.name, self.csrf = name, answer.json()["csrf"]

    def put(self, document: int, pair: int, key: str | None = None, **body: Any) -> httpx.Response:
        return self.client.put(
            f"/v1/review/documents/{document}/pairs/{pair}", json=body,
            headers={"X-CSRF-Token": self.csrf, "Idempotency-Key": key or str(uuid.uuid4())},
        )  # fmt: skip

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def signed_in(served_review: tuple[Seeded, Server]) -> Iterator[Callable[[str], Reviewer]]:
    """``signed_in("ayu")``: a new signed-in client of the module's review server (closed
    after the test)."""
    made: list[Reviewer] = []

    def sign_in(name: str) -> Reviewer:
        made.append(Reviewer(served_review[1].url, name))
        return made[-1]

    yield sign_in
    for reviewer in made:
        reviewer.close()
