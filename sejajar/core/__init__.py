"""The bottom layer: records every stage passes on (``records``), user-facing errors
(``errors``), reading and writing text files (``files``), whitespace folding (``text``),
what sejajar knows of Indonesian and English words (``lexicon``) and numbers (``numbers``)."""
