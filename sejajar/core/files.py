"""The edges: reading articles from disk into clean text, and writing outputs atomically."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import select
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from sejajar.core.errors import SejajarError
from sejajar.core.webpage import HTMLError, html_to_text


class InputError(SejajarError):
    """An input cannot be used; the message is one line naming the problem."""


# Zero-width and direction marks carry nothing a translator can use: dropped. Control
# characters and odd spaces (NBSP, thin, ideographic) become plain spaces.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# One input is read to this size at most: an endless one (/dev/zero, a FIFO) or a huge one
# is refused instead of filling the memory.
MAX_INPUT_BYTES = 64 * 1024 * 1024
# A temporary file or folder untouched this long belongs to no live run (a killed one's).
STALE_SECONDS = 600
# ``-`` where a file is read stands for standard input (as in sacreBLEU and sqlite-utils); a
# file named ``-`` is given by its full path.
STDIN = Path("-")
# How long a named FIFO's writer may take to start writing before the FIFO is refused.
FIFO_WAIT_SECONDS: float = 10
# A web page, sniffed as browsers do: past white space, comments (``<!-- saved from url=``) and
# an XML declaration, one of these tags opens the text. Looked for in the first characters only.
_HTML_START = re.compile(
    r"(?:\s|<!--.*?-->|<\?xml[^>]*>)*"
    r"<(?:!doctype\s+html|html|head|meta|body|p|div|article)[\s/>]",
    re.IGNORECASE | re.DOTALL,
)
_SNIFF_CHARS = 4096


def read_article(path: Path, nothing: str = "no text to translate") -> str:
    """Read ``path`` as an article: decoded, line ends and spaces normalised, HTML reduced to
    its text; :data:`STDIN` reads standard input. Raises :class:`InputError` for anything that
    is not usable text (an empty file saying ``nothing``)."""
    _check_path(path)
    try:
        text = article_text(decode(read_input(path), path))
    except HTMLError as exc:
        raise InputError(f"{shown(path)}: {exc}") from exc
    if not text.strip():
        raise InputError(f"{shown(path)}: empty file, {nothing}")
    return text


def read_text(path: Path, nothing: str) -> str:
    """The decoded text of ``path`` exactly as written (a file sejajar exported, checked line
    by line: no character replaced, no line end added); an empty file is refused, saying
    ``nothing`` ("no decisions to apply")."""
    _check_path(path)
    text = decode(read_input(path), path)
    if not text.strip():
        raise InputError(f"{shown(path)}: empty file, {nothing}")
    return text


def _check_path(path: Path) -> None:
    if path == STDIN:
        return
    if not path.exists():
        if path.is_symlink():
            try:
                os.stat(path)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise InputError(
                        f"{shown(path)}: a loop of symbolic links; point it at a file"
                    ) from exc
            target = path.parent / os.readlink(path)
            raise InputError(f"{shown(path)}: a link to {shown(target)}, which does not exist")
        raise InputError(f"{shown(path)}: no such file")
    if not _utf8(path.name):
        # The name becomes the document's name, written into every output as UTF-8.
        raise InputError(f"{shown(path)}: the file name is not UTF-8; rename it")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")


def article_text(text: str) -> str:
    """Decoded text as an article: line ends and spaces normalised, a web page reduced to its
    text (raises :class:`HTMLError` for a page that cannot be read)."""
    text = normalise(text)
    if _HTML_START.match(text[:_SNIFF_CHARS]):
        text = normalise(html_to_text(text))
    return text


def read_input(path: Path) -> bytes:
    """The bytes of ``path`` (standard input for :data:`STDIN`), at most
    :data:`MAX_INPUT_BYTES` (a bounded read, so devices and pipes that never end are refused
    too)."""
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        elif stat.S_ISFIFO(path.stat().st_mode):
            data = _read_fifo(path)
        else:
            with path.open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"{shown(path)}: larger than {MAX_INPUT_BYTES // 2**20} MB, the limit for one input;"
            " split it"
        )
    return data


def _read_fifo(path: Path) -> bytes:
    """A named FIFO read as standard input is, once a writer comes: opening it waits for one,
    which would hold up every other input, so it is opened without waiting and a writer given
    :data:`FIFO_WAIT_SECONDS` to start writing."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        if not poller.poll(FIFO_WAIT_SECONDS * 1000):
            raise InputError(f"{shown(path)}: a FIFO with no writer after {FIFO_WAIT_SECONDS} s")
        os.set_blocking(fd, True)
        return handle.read(MAX_INPUT_BYTES + 1)


def shown(path: Path | str) -> str:
    """``path`` as it can be printed: bytes of a name that is not UTF-8 (which Python keeps as
    lone surrogates) appear escaped, ``caf\\xe9.txt``; :data:`STDIN` is ``stdin``."""
    if Path(path) == STDIN:
        return "stdin"
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (a BOM is dropped) or BOM-marked UTF-16; anything else is refused, saying where."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{shown(path)}: invalid {codec.upper()} at byte {exc.start}"
                ) from exc
    data = data.removeprefix(codecs.BOM_UTF8)
    if _utf16_without_bom(data[:8192]):
        raise InputError(
            f"{shown(path)}: looks like UTF-16 without a byte-order mark; convert it to UTF-8"
        )
    if b"\x00" in data[:8192]:
        raise InputError(f"{shown(path)}: binary data (NUL bytes), not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"{shown(path)}: invalid UTF-8 at line {line}, column {column}"
            f" (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        ) from exc


# UTF-32's marks first: UTF-32-LE's starts with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _utf16_without_bom(head: bytes) -> bool:
    """Whether ``head`` reads as UTF-16 text with no mark: NUL bytes in (nearly) every other
    place, at the even places or at the odd ones, and never on the other side."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return False
    zeros = (even.count(0), odd.count(0))
    return min(zeros) == 0 and max(zeros) >= 0.5 * len(odd)


def read_lines(path: Path) -> list[str]:
    """One segment per line. Only ``\\n`` ends a line (not the other Unicode separators some
    test sets hold inside segments); a final newline ends the last line, it adds none.
    :data:`STDIN` reads standard input."""
    if path != STDIN and not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    text = decode(read_input(path), path).replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def normalise(text: str) -> str:
    """LF line ends, no zero-width or control characters, one kind of space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SPACES.sub(" ", _CONTROL.sub(" ", _INVISIBLE.sub("", text)))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, never half.

    The data goes to a temporary file beside ``path``, is flushed to disk, then renamed over it.
    """
    with atomic_file(path) as handle:
        handle.write(text.encode("utf-8"))


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only when the block ends without an error: written
    beside it, flushed to disk, then renamed over it; on any error the temporary file goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Ctrl-C or SIGTERM between creating the temporary file and entering the block that removes
    # it would leave it behind: they wait until the block is entered (then raise inside it).
    held = _hold_signals()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path.name), suffix=".tmp")
    except BaseException:
        _release_signals(held)
        raise
    try:
        _release_signals(held)
        # mkstemp makes the file 0600: give it the mode a plain open() would (the umask's),
        # or keep the mode of the file it replaces.
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_HELD = {signal.SIGINT, signal.SIGTERM}


def _hold_signals() -> set[int | signal.Signals] | None:
    """Hold Ctrl-C and SIGTERM (where the system can); what to restore."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)


def _release_signals(held: set[int | signal.Signals] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


# mkstemp adds 8 random characters and the suffix: 12 more bytes, in a name of at most 255.
_TEMP_NAME_BYTES = 200


def _temp_prefix(name: str) -> str:
    """``.NAME.``, NAME cut to fit a file name whatever its length (the final name is the
    file system's to accept or refuse, not the temporary one's)."""
    raw = os.fsencode(name)[:_TEMP_NAME_BYTES]
    return f".{raw.decode('utf-8', 'ignore')}."


def remove_stale_temporaries(paths: Iterable[Path], older_than: float = STALE_SECONDS) -> None:
    """Remove the temporary files a killed run left beside ``paths`` (``.NAME.xxxxxxxx.tmp``,
    untouched for ``older_than`` seconds). One look at each folder, however many paths."""
    prefixes: dict[Path, set[str]] = {}
    for path in paths:
        prefixes.setdefault(path.parent, set()).add(_temp_prefix(path.name))
    cutoff = time.time() - older_than
    for folder, names in prefixes.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # no folder yet, or not readable: the write will say so
        for entry in entries:
            name = entry.name
            if not name.endswith(".tmp") or name[:-12] not in names or len(name) < 14:
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Linux tells the umask without changing it (setting it, even back, races with threads).
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
