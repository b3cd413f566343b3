"""Handing a loaded checkpoint's pages back to the kernel once the weights live elsewhere.

transformers maps a ``.safetensors`` checkpoint into memory and reads the weights from the
mapping. Once the search has prepared its layers (the decoder's weights and the output
projection reordered for oneDNN into memory of their own), most of those mapped pages are
never read again, yet they stay resident and count in the process's memory, in every worker
the process forks. :func:`release_checkpoint_pages` asks the kernel to reclaim them
(``madvise(MADV_PAGEOUT)``): a hint that never changes what memory holds, because a page read
again is simply read back from the file (the encoder's weights and the embedding rows in use
come back as the next batch touches them). On a kernel without ``MADV_PAGEOUT`` (before Linux
5.4) or another system it does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_MADV_PAGEOUT = 21
_CHECKPOINTS = (".safetensors",)


def checkpoint_mappings(maps: str) -> list[tuple[int, int]]:
    """(start, end) of every mapping of a checkpoint file in a ``/proc/PID/maps`` text."""
    spans = []
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].strip().endswith(_CHECKPOINTS):
            start, end = fields[0].split("-")
            spans.append((int(start, 16), int(end, 16)))
    return spans


def release_checkpoint_pages() -> int:
    """Ask the kernel to reclaim this process's resident pages of mapped checkpoint files;
    returns the bytes of mappings advised (0 where the call is unavailable)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        with open("/proc/self/maps", encoding="utf-8") as handle:
            spans = checkpoint_mappings(handle.read())
        # The process's own symbols, libc's among them: ``ctypes.util.find_library`` would run
        # ``ldconfig -p`` in a child at every call (a bf16 conversion calls this a dozen times,
        # and each such child briefly shares the whole process's memory).
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        log.debug("checkpoint pages kept: %s", exc)
        return 0
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    advised = 0
    for start, end in spans:
        if libc.madvise(start, end - start, _MADV_PAGEOUT) == 0:
            advised += end - start
        else:
            log.debug("madvise(MADV_PAGEOUT) refused: errno %d", ctypes.get_errno())
    return advised
