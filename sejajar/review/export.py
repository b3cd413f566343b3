"""A project's accepted pairs out of the database, as ``apply-review`` writes them: the
decisions become the page's, and the same renderers write ``DIR/NAME.accepted.FORMAT``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from sejajar.align.review import Decision
from sejajar.core.files import remove_stale_temporaries
from sejajar.jobs.files import check_new
from sejajar.jobs.review import ReviewOutcome, accepted_paths, write_accepted
from sejajar.review.database import Database
from sejajar.review.documents import NotFound
from sejajar.review.schema import Document, Pair, Project


def _decision(pair: Pair, signature: str) -> Decision:
    """The pair as the page exports it: an edited pair is an accepted one with new English."""
    if pair.decision == "edited":
        return Decision("accepted", pair.source, pair.target, True, signature)
    return Decision(pair.decision, pair.source, pair.original_target, False, signature)


def export_project(
    db: Database, project: str, out_dir: Path, formats: Sequence[str], force: bool = False
) -> list[tuple[str, ReviewOutcome]]:
    """Write every document's accepted pairs; nothing is written when any output exists
    (without ``force``)."""
    with db.session() as session:
        found = session.scalar(select(Project).where(Project.name == project))
        if found is None:
            raise NotFound(f"no project {project}")
        documents = session.scalars(
            select(Document).where(Document.project_id == found.id).order_by(Document.name)
        ).all()
        decisions = {}
        for document in documents:
            pairs = session.scalars(
                select(Pair).where(Pair.document_id == document.id).order_by(Pair.position)
            )
            signature = str(document.meta.get("signature", ""))
            decisions[document.name] = [_decision(p, signature) for p in pairs]
    paths = {name: accepted_paths(name, out_dir, formats) for name in decisions}
    everything = [path for files in paths.values() for path in files.values()]
    check_new(everything, force)
    remove_stale_temporaries(everything)
    return [(name, write_accepted(decisions[name], paths[name])) for name in decisions]
