"""Whitespace folding, written once: every stage that compares, caches or writes a line of
text folds it the same way."""

from __future__ import annotations


def fold(text: str) -> str:
    """Collapse every run of whitespace (tabs, newlines, NBSP and the other Unicode spaces)
    into one space and trim both ends."""
    return " ".join(text.split())
