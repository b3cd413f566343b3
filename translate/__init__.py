"""sejajar: Indonesian news articles into reviewed English parallel text.

The stages live one module each: ``reading`` (bytes to text), ``split`` (text to segments),
``translator``/``marian`` (segments to English), ``pipeline`` (the whole translate job),
``evaluate`` (scores); the CLI in ``cli`` is a thin layer over them. Nothing heavy is
imported here: torch and transformers load only when a model is.
"""

__version__ = "0.1.0"
