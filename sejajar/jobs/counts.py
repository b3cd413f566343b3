"""What a run did, counted: one type behind ``sejajar translate``'s summary, a corpus shard's
result (its manifest) and a corpus run's summary, each count named for what it counts."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(kw_only=True)
class RunCounts:
    """Documents (an input of ``sejajar translate`` is one), their pairs, and their sentences
    by where their translation came from."""

    documents: int = 0  # documents handled, failed ones included (not those skipped)
    failed_documents: int = 0
    pairs: int = 0
    translated: int = 0  # sentences the model translated
    cached: int = 0  # sentences the translation cache had
    repeated: int = 0  # sentences met earlier in the run, served from its memory
    # Sentences with required terms that the default engine translated because the run's
    # engine (CTranslate2) cannot place terms; counted among ``translated`` too.
    rerouted: int = 0

    def add(self, other: RunCounts) -> None:
        """Add ``other``'s counts to these."""
        for f in fields(RunCounts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def render_sentences(self) -> str:
        rerouted = (
            f" ({self.rerouted} with terms by the default engine: CTranslate2 cannot place terms)"
            if self.rerouted
            else ""
        )
        return (
            f"{self.translated} sentences translated{rerouted}, {self.cached} from the cache, "
            f"{self.repeated} repeated in the run"
        )
