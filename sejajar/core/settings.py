"""Settings declared once: each field of a settings dataclass carries its default, its
description and its rule (:class:`About`), so the front ends build their options from it and
the dataclass refuses a bad value itself, naming the setting."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from typing import Any

from sejajar.core.errors import SejajarError


@dataclass(frozen=True)
class About:
    """What a user is told of a setting, and the rule its values keep. ``help`` may name
    settings as ``{name}``, as errors do (see :mod:`sejajar.core.errors`)."""

    help: str
    least: float | None = None  # the smallest value allowed
    most: float | None = None  # the largest value allowed
    choices: Collection[str] = ()  # the values allowed, when they are named
    unset: str | None = None  # what None means, for a setting that may be left unset
    envvar: str | None = None  # the environment variable a front end reads it from, if any

    def check(self, name: str, value: Any, error: type[SejajarError] = SejajarError) -> None:
        """Raise ``error``, naming the setting, unless ``value`` keeps the rule."""
        if value is None:
            return
        if self.least is not None and value < self.least:
            raise error(f"{{{name}}} must be at least {self.least:g}, not {value}")
        if self.most is not None and value > self.most:
            raise error(f"{{{name}}} must be at most {self.most:g}, not {value}")
        if self.choices and value not in self.choices:
            *most, last = self.choices
            allowed = f"{', '.join(most)} or {last}" if most else last
            raise error(f"{{{name}}} must be {allowed}, not {value}")


def setting(default: Any, about: About) -> Any:
    """A dataclass field with its default and its :class:`About`."""
    return field(default=default, metadata={"about": about})


def declared(cls: type) -> dict[str, About]:
    """The settings of dataclass ``cls`` a user gives, by name, in their declared order."""
    return {f.name: f.metadata["about"] for f in fields(cls) if "about" in f.metadata}


def check_all(settings: Any, error: type[SejajarError]) -> None:
    """Check every declared setting of ``settings`` (a dataclass instance)."""
    for name, about in declared(type(settings)).items():
        about.check(name, getattr(settings, name), error)


# What becomes of a sentence that is not Indonesian (declared once for every front end).
FOREIGN_MODES = ("keep", "translate", "drop")
FOREIGN = About(
    "Sentences not in Indonesian: keep (copied as they are to the English side), "
    "translate (sent to the model all the same) or drop (left out of the English side).",
    choices=FOREIGN_MODES,
)
