"""The apply-review job: a reviewer's exported decisions in, the accepted pairs (with edits)
out as clean TSV, TMX and JSONL (the team review's export writes the same, by the same
renderers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sejajar.align.review import Decision, ReviewError, parse_review, review_name
from sejajar.core.files import InputError, read_text, remove_stale_temporaries, write_atomic
from sejajar.jobs.files import check_new, check_not_inputs
from sejajar.jobs.formats import REVIEW


@dataclass(frozen=True)
class ReviewOutcome:
    decisions: tuple[Decision, ...]
    outputs: tuple[Path, ...]

    def render(self) -> str:
        count = {
            d: sum(1 for x in self.decisions if x.decision == d) for d in ("accepted", "rejected")
        }
        edited = sum(1 for x in self.decisions if x.decision == "accepted" and x.edited)
        pending = len(self.decisions) - count["accepted"] - count["rejected"]
        return (
            f"{len(self.decisions)} pairs: {count['accepted']} accepted ({edited} edited), "
            f"{count['rejected']} rejected, {pending} pending -> "
            + ", ".join(map(str, self.outputs))
        )


def accepted_paths(name: str, out_dir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """``{format: DIR/NAME.accepted.FORMAT}``."""
    return {f: out_dir / f"{name}{REVIEW.only(f).suffix}" for f in formats}


def write_accepted(decisions: Sequence[Decision], paths: dict[str, Path]) -> ReviewOutcome:
    """Render the accepted pairs in each format and write them, each file atomically."""
    rendered = {f: REVIEW.only(f).load()(list(decisions)) for f in paths}
    for f, path in paths.items():
        write_atomic(path, rendered[f])
    return ReviewOutcome(tuple(decisions), tuple(paths.values()))


def apply_review(
    review: Path, out_dir: Path, formats: Sequence[str], force: bool = False
) -> ReviewOutcome:
    """Write ``NAME.accepted.{tsv,tmx,jsonl}``; raises :class:`InputError` for an unusable
    review, :class:`JobError` for an output that exists, :class:`OSError` when writing fails."""
    paths = accepted_paths(review_name(review), out_dir, formats)
    check_not_inputs(paths.values(), [review])
    check_new(paths.values(), force)
    remove_stale_temporaries(paths.values())
    try:
        text = read_text(review, "no decisions to apply")
        decisions = parse_review(text, jsonl=review.suffix == ".jsonl")
    except ReviewError as exc:
        raise InputError(f"{review}: {exc}") from exc
    return write_accepted(decisions, paths)
