"""Splitting articles and translating them: ``sejajar.translate`` (where each module's job is:
docs/architecture.md)."""

# The folder sits at the top of the repository and installs as sejajar.translate (through the
# link sejajar/translate). Imported as ``translate`` (from the repository's root, where it is
# on sys.path) it would make a second copy of every module, with classes of its own, and it
# would hide Translate Toolkit, whose import name is ``translate``.
if __name__ != "sejajar.translate":
    raise ImportError(
        f"the folder {__name__}/ is sejajar's: import sejajar.translate, not {__name__}"
    )
