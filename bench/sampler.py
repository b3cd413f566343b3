"""Peak memory of a process tree, for the benchmarks."""

from __future__ import annotations

import os
import threading
from pathlib import Path


class MemorySampler:
    """Peak memory of a process (this one by default) and its workers: the highest total
    proportional set size (PSS: shared pages such as the model weights the workers inherit
    count once), sampled every 20 ms from the sampler's start."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getpid()
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak / 1024

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, sum(_pss_kb(pid) for pid in _tree(self.pid)))
            if self.done.wait(0.02):
                return


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            pids += _tree(int(kid))
    return pids


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:  # the process ended between listing and reading
        pass
    return 0
