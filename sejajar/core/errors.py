"""The one kind of error a user is shown: a one-line message, which may name the settings
behind it. The library names them as its parameters; a front end may name them its own way
(the CLI, as flags)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

# The settings messages may name, written ``{name}`` in a message.
PARAMETERS = (
    "model",
    "beams",
    "batch_size",
    "device",
    "engine",
    "quantize",
    "threads",
    "workers",
    "calibrate",
    "plan",
    "glossary",
    "cache",
    "no_cache",
    "format",
    "force",
    "skip_existing",
    "bridge",
    "no_bridge",
    "presplit",
    "foreign",
    "languages",
    "out",
    # sejajar serve's
    "host",
    "port",
    "api_keys",
    "insecure",
    "max_body",
    "max_texts",
    "queue_size",
    "batch_wait_ms",
    "deadline",
    "chars_per_minute",
    "grace",
    "log_text",
    "ray",
    "replicas",
    "min_replicas",
    "max_replicas",
    "replica_cpus",
    # the review database's
    "db",
)
_PARAMETER = re.compile(r"\{(" + "|".join(PARAMETERS) + r")\}")


def name_parameters(template: str, name: Callable[[str], str]) -> str:
    """``template`` (a message, a setting's description) with each ``{parameter}`` written as
    ``name`` calls it."""
    return _PARAMETER.sub(lambda m: name(m.group(1)), template)


class SejajarError(Exception):
    """A user-facing error. ``str()`` shows the message with each ``{name}`` as the bare
    parameter name; :meth:`naming` lets a front end choose how a parameter is called."""

    def __init__(self, message: str) -> None:
        self.template = message
        super().__init__(self.naming(lambda name: name))

    def naming(self, name: Callable[[str], str]) -> str:
        return name_parameters(self.template, name)


def json_problem(exc: BaseException) -> str:
    """What is wrong with one line of JSON Lines: a decoding error's column and reason (its own
    "line 1", which on one line of a file is always 1, left out), or the exception's text."""
    if isinstance(exc, json.JSONDecodeError):
        return f"column {exc.colno}: {exc.msg}"
    return str(exc)
