"""sejajar: Indonesian news articles into reviewed English parallel text.

The code runs in one direction, bottom to top (import-linter checks it, see pyproject.toml):

- ``sejajar.core``: the records every stage passes on, reading and writing text files, and the
  Indonesian-English lexicon and number reader that several stages share;
- ``sejajar.translate`` (folder ``translate/``): splitting articles and machine translation;
- ``sejajar.align`` (folder ``align/``): pairing segments, quality flags, exporters, reviews;
- ``sejajar.jobs``: runs over files and corpora; ``sejajar.cli``: the ``sejajar`` command.

Nothing heavy is imported here: torch and transformers load only when a model is.
"""

__version__ = "0.1.0"
