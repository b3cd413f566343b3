"""``sejajar review`` (init, add-user, import, assign, export) on SQLite and PostgreSQL alike: the
export equals what apply-review writes for the same decisions, and every error is one line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sejajar.cli import app
from sejajar.review import accounts, decisions, documents
from sejajar.review.database import Database
from tests.helpers import run
from tests.reviewing import PASSWORD, Seeded, seed

# Starts processes: the tiny model's outputs, and PostgreSQL.
pytestmark = pytest.mark.slow

EDIT = 'Edited\there <b>"&</b>\nnext line'


def _page_data(page: Path) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="sejajar-data">(.*?)</script>',
                      page.read_text("utf-8"), re.S)  # fmt: skip
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _choice(pair: int) -> tuple[str, str | None]:
    return [("accepted", None), ("rejected", None), ("edited", EDIT), ("pending", None)][pair % 4]


def _page_export(data: dict[str, Any]) -> str:
    """The page's JSONL export (review.js ``exported``) with the decisions of ``_choice``."""
    lines = []
    for record in data["records"]:
        decision, edit = _choice(record["id"])
        lines.append(json.dumps({
            **record, "decision": "accepted" if edit else decision, "edited": bool(edit),
            "original_target": record["target"], "target": edit or record["target"],
            "signature": data["signature"], "document": data["document"], "links": data["links"],
        }) + "\n")  # fmt: skip
    return "".join(lines)


def test_export_equals_apply_review(seeded_review: Seeded, tmp_path: Path) -> None:
    db = Database(seeded_review.url)
    signed = accounts.sign_in(db, "chief", PASSWORD)
    assert signed is not None
    for user, document in seeded_review.documents.items():
        pairs = decisions.read_document(db, signed[1], document)["pairs"]
        page = _page_data(seeded_review.outputs / f"{seeded_review.names[user]}.html")
        assert [p["id"] for p in pairs] == [r["id"] for r in page["records"]]
        assert [p["source"] for p in pairs] == [r["source"] for r in page["records"]]
        for number, pair in enumerate(pairs):
            decision, edit = _choice(pair["id"])
            change = decisions.Change(decision, 0, edit)
            assert (
                decisions.save(db, signed[1], document, pair["id"], change, f"k{user}{number}") == 1
            )
    db.close()
    formats = ("tsv", "tmx", "jsonl")
    code, out, err = run("review", "export", "news", "--format", ",".join(formats), "--out",
                         str(tmp_path / "db"), "--db", seeded_review.url)  # fmt: skip
    assert (code, err) == (0, ""), err
    assert out.count(" accepted (") == 2
    for user in ("ayu", "budi"):  # the project news
        name = seeded_review.names[user]
        page = _page_data(seeded_review.outputs / f"{name}.html")
        review = tmp_path / f"{name}.review.jsonl"
        review.write_text(_page_export(page), "utf-8")
        code, _, err = run("apply-review", str(review), "--format", ",".join(formats), "--out",
                           str(tmp_path / "page"))  # fmt: skip
        assert code == 0, err
        for f in formats:
            ours = (tmp_path / "db" / f"{name}.accepted.{f}").read_bytes()
            assert ours == (tmp_path / "page" / f"{name}.accepted.{f}").read_bytes(), (user, f)
        tsv = (tmp_path / "db" / f"{name}.accepted.tsv").read_text("utf-8")
        assert 'Edited here <b>"&</b> next line\n' in tsv
    # Outputs exist: refused without --force, nothing overwritten; with it, written again.
    before = (tmp_path / "db" / f"{seeded_review.names['ayu']}.accepted.tsv").read_bytes()
    code, out, err = run("review", "export", "news", "--out", str(tmp_path / "db"), "--db",
                         seeded_review.url)  # fmt: skip
    assert code == 1 and out == "" and err.startswith("Error: ") and "use --force" in err
    assert err.count("\n") == 1
    assert run("review", "export", "news", "--out", str(tmp_path / "db"), "--force", "--db",
               seeded_review.url)[0] == 0  # fmt: skip
    assert (tmp_path / "db" / f"{seeded_review.names['ayu']}.accepted.tsv").read_bytes() == before


def test_assign_hands_documents_to_another_reviewer(seeded_review: Seeded) -> None:
    db = Database(seeded_review.url)
    ayu, budi = (accounts.sign_in(db, name, PASSWORD) for name in ("ayu", "budi"))
    assert ayu is not None and budi is not None
    theirs = seeded_review.documents["budi"]
    first = decisions.read_document(db, budi[1], theirs)["pairs"][0]["id"]
    assert decisions.save(db, budi[1], theirs, first, decisions.Change("rejected", 0), "k") == 1
    url = ("--db", seeded_review.url)
    name = seeded_review.names["budi"]
    # Unknown names change nothing, and say so in one line.
    _one_line_error(run("review", "assign", "news", "--to", "ayu", "--document", name,
                        "--document", "nothere", *url), 1, "no document nothere in project news")  # fmt: skip
    _one_line_error(run("review", "assign", "news", "--to", "nobody", *url), 1, "no user nobody")
    _one_line_error(
        run("review", "assign", "nothing", "--to", "ayu", *url), 1, "no project nothing"
    )
    assert {d["id"] for d in documents.list_documents(db, budi[1])} == {theirs}

    code, out, err = run("review", "assign", "news", "--to", "ayu", "--document", name, *url)
    assert (code, out, err) == (0, f"news/{name}: assigned to ayu\n", "")
    mine = {d["id"] for d in documents.list_documents(db, ayu[1])}
    assert mine == {seeded_review.documents["ayu"], theirs}
    assert documents.list_documents(db, budi[1]) == []
    with pytest.raises(documents.NotFound):
        decisions.read_document(db, budi[1], theirs)
    # The decision made before stays, and ayu goes on from it.
    (pair,) = [p for p in decisions.read_document(db, ayu[1], theirs)["pairs"] if p["id"] == first]
    assert (pair["decision"], pair["version"], pair["by"]) == ("rejected", 1, "budi")
    assert decisions.save(db, ayu[1], theirs, first, decisions.Change("accepted", 1), "k") == 2
    # Without --document: all the project's documents.
    code, out, _ = run("review", "assign", "news", "--to", "budi", *url)
    assert code == 0 and out.count(": assigned to budi\n") == 2
    assert documents.list_documents(db, ayu[1]) == []
    db.close()


def _one_line_error(result: tuple[int, str, str], code: int, text: str) -> None:
    assert result[0] == code, result
    assert result[2].startswith("Error: ") and result[2].count("\n") == 1, result
    assert text in result[2], result


def test_commands_refuse_bad_input_in_one_line(
    review_db: str, review_outputs: Path, tmp_path: Path
) -> None:
    db = ("--db", review_db)
    _one_line_error(run("review", "add-user", "x", "--password-file", "/nonexistent", *db), 1,
                    "--password-file /nonexistent: cannot read it")  # fmt: skip
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    _one_line_error(
        run("review", "add-user", "ayu", "--password-file", str(tmp_path / "pw"), *db),
        1,
        "review database"
        if "sqlite" in review_db
        else "has no review schema, this sejajar needs 0002",
    )
    assert run("review", "init", *db)[1].endswith(": made at schema 0002\n")
    assert run("review", "init", *db)[1].endswith(": already at schema 0002\n")
    pw = ("--password-file", str(tmp_path / "pw"))
    assert run("review", "add-user", "ayu", *pw, *db)[1] == "Added reviewer ayu\n"
    _one_line_error(run("review", "add-user", "ayu", *pw, *db), 1, "user ayu exists")
    _one_line_error(run("review", "add-user", "a b", *pw, *db), 1, "user name 'a b': use 1 to 64")
    assert run("review", "add-user", "x", "--role", "boss", *pw, *db)[0] == 2
    (tmp_path / "short").write_text("short\n")
    _one_line_error(run("review", "add-user", "x", "--password-file", str(tmp_path / "short"), *db),
                    1, "the password must have at least 8 characters")  # fmt: skip
    # The prompt, when no file is given (asked twice).
    prompted = CliRunner().invoke(app, ["review", "add-user", "eko", *db],
                                  input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert prompted.exit_code == 0 and prompted.stdout.endswith("Added reviewer eko\n")
    assert PASSWORD not in prompted.stdout
    files = sorted(review_outputs.glob("*.jsonl"))
    _one_line_error(run("review", "import", str(files[0]), "--project", "p", "--assign", "nobody",
                        *db), 1, "no user nobody: add them with sejajar review add-user")  # fmt: skip
    alone = tmp_path / "alone.jsonl"
    alone.write_bytes(files[0].read_bytes())
    _one_line_error(run("review", "import", str(alone), "--project", "p", *db), 1,
                    "no alone.meta.json beside it")  # fmt: skip
    _one_line_error(run("review", "import", str(tmp_path / "pw"), "--project", "p", *db), 1,
                    "not a JSONL output of sejajar")  # fmt: skip
    (tmp_path / "alone.meta.json").write_text('{"signature": "s"}')
    alone.write_text('{"id": 0, "source": "a", "target": "b"}\n')
    _one_line_error(run("review", "import", str(alone), "--project", "p", *db), 1,
                    "alone.jsonl: line 1: missing field 'source_ids'")  # fmt: skip
    result = run("review", "import", *map(str, files), "--project", "p", "--assign", "ayu", *db)
    assert result[0] == 0 and result[1].count(", assigned to ayu\n") == 2
    _one_line_error(
        run("review", "import", str(files[1]), "--project", "p", *db),
        1,
        f"project p already has a document {files[1].name.removesuffix('.jsonl')}",
    )
    _one_line_error(run("review", "export", "nothing", "--out", str(tmp_path), *db), 1,
                    "no project nothing")  # fmt: skip
    assert run("review", "export", "p", "--format", "pdf", *db)[0] == 2


def test_the_default_database_and_sejajar_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_cache: Path
) -> None:
    code, out, _ = run("review", "init")
    default = private_cache / "data" / "sejajar" / "review.sqlite3"
    assert code == 0 and out == f"Review database sqlite:///{default}: made at schema 0002\n"
    db = Database(f"sqlite:///{default}")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.close()
    other = tmp_path / "other.sqlite3"
    monkeypatch.setenv("SEJAJAR_DB", f"sqlite:///{other}")
    assert run("review", "init")[1] == f"Review database sqlite:///{other}: made at schema 0002\n"
    _one_line_error(
        run("review", "init", "--db", "mysql://x@y/z"),
        2,
        "--db must be a sqlite:/// or postgresql+psycopg:// URL, not 'mysql'",
    )
    _one_line_error(run("review", "init", "--db", f"sqlite:///{tmp_path}/no/such.db"), 1,
                    f"--db: no such folder: {tmp_path}/no")  # fmt: skip
    _one_line_error(
        run("review", "export", "p", "--db", f"sqlite:///{tmp_path}/none.db"),
        1,
        f"no review database at {tmp_path}/none.db: make it with sejajar review init",
    )


def test_serve_checks_its_database_before_loading_a_model(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path}/none.db"
    _one_line_error(
        run("serve", "--model", str(tmp_path / "no-model"), "--db", missing),
        1,
        f"no review database at {tmp_path}/none.db: make it with sejajar review init",
    )
    _one_line_error(run("serve", "--ray", "local", "--db", missing), 2,
                    "--db does not go with --ray")  # fmt: skip


def test_a_postgresql_password_is_never_shown(postgres: Any) -> None:
    url = f"postgresql+psycopg://review:hunter2secret@/nothere?host={postgres.folder}&port={postgres.port}"
    result = run("review", "init", "--db", url)
    _one_line_error(result, 1, "review database postgresql+psycopg://review:***@/nothere")
    assert "hunter2secret" not in result[2]


def test_seeding_twice_in_one_database_is_refused(seeded_review: Seeded, tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        seed(seeded_review.url, seeded_review.outputs, tmp_path)
