"""Jobs: whole runs over files (``files``: inputs, outputs; ``translate``, ``align``,
``review``, ``evaluate``), each returning what it did for a front end to report. A failure of
one input is recorded and the others go on; nothing here prints or exits."""
