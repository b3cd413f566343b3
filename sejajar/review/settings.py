"""The review database's one setting, ``db``, declared once (:mod:`sejajar.core.settings`)
for every ``review`` command and ``sejajar serve``, and the URL it stands for."""

from __future__ import annotations

from dataclasses import dataclass

from sejajar.core.errors import SejajarError
from sejajar.core.folders import user_data_folder
from sejajar.core.settings import About, check_all, setting

# The schemes a URL may have (plain ``postgresql`` is taken as psycopg 3's).
SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


class ReviewError(SejajarError):
    """The review database cannot do what was asked; the message is one line."""


def default_url() -> str:
    """A SQLite file in sejajar's user data folder."""
    return f"sqlite:///{user_data_folder() / 'review.sqlite3'}"


@dataclass(frozen=True)
class DatabaseSettings:
    db: str | None = setting(
        None,
        About(
            "Review database URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/NAME "
            "(sejajar serve serves the review API only with one).",
            unset="a SQLite file in the user data folder",
            envvar="SEJAJAR_DB",
        ),
    )

    def __post_init__(self) -> None:
        check_all(self, ReviewError)
        if self.db is not None and self.db.split("://", 1)[0] not in SCHEMES:
            scheme = self.db.split("://", 1)[0] if "://" in self.db else self.db[:20]
            raise ReviewError(
                f"{{db}} must be a sqlite:/// or postgresql+psycopg:// URL, not {scheme!r}"
            )

    @property
    def url(self) -> str:
        """The URL to open: the one given, else the default file."""
        return self.db or default_url()
