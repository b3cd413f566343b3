"""Pairing source and target segments, flagging and writing the pairs: ``sejajar.align``
(where each module's job is: docs/architecture.md)."""

# The folder sits at the top of the repository and installs as sejajar.align (through the link
# sejajar/align). Imported as ``align`` (from the repository's root, where it is on sys.path) it
# would make a second copy of every module, with classes of its own.
if __name__ != "sejajar.align":
    raise ImportError(f"the folder {__name__}/ is sejajar's: import sejajar.align, not {__name__}")
