"""The bottom layer: records every stage passes on (``records``), user-facing errors
(``errors``), reading and writing text files (``files``)."""
