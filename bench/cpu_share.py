"""Where a run's CPU time goes, by kind of process: the model's (a server and its workers, or a
Ray Serve model replica), the Ray Serve ingress (the app and its queue), Ray's own (proxy,
controller, raylet, GCS...), and the bench's clients.
Read from every process's CPU times in /proc before and after the measured stretch (Linux), so
a process that ends meanwhile is not counted."""

from __future__ import annotations

import os
from pathlib import Path

# (a piece of the command line, the group), first match wins.
GROUPS = [
    ("sejajar-ingress", "ingress"),
    ("sejajar-replica", "replica"),
    ("ray::ServeReplica", "ray serve (other replicas)"),
    ("ray::ProxyActor", "ray proxy"),
    ("ray::ServeController", "ray controller"),
    ("raylet", "ray (raylet, gcs, monitors)"),
    ("gcs_server", "ray (raylet, gcs, monitors)"),
    ("ray/", "ray (raylet, gcs, monitors)"),
    ("ray::", "ray (raylet, gcs, monitors)"),
    ("sejajar", "server and workers"),
]


def _group(pid: int, line: str) -> str:
    if pid == os.getpid():
        return "clients (this bench)"
    return next((group for piece, group in GROUPS if piece in line), "other")


def process_seconds(pid: int) -> float:
    """The process's CPU seconds (user + system) so far; OSError when it is gone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command's name: state, ppid, ..., utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_times() -> dict[int, tuple[str, float]]:
    """Each process's group and CPU seconds (user + system) so far; empty off Linux."""
    found = {}
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            line = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            seconds = process_seconds(int(folder.name))
        except OSError:  # gone, or not ours to read
            continue
        found[int(folder.name)] = (_group(int(folder.name), line), seconds)
    return found


def spent(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds by group since ``before`` (processes alive at both readings)."""
    after = cpu_times()
    by: dict[str, float] = {}
    for pid, (group, seconds) in after.items():
        if pid in before:
            by[group] = by.get(group, 0.0) + seconds - before[pid][1]
    return {group: round(seconds, 1) for group, seconds in sorted(by.items()) if seconds >= 0.05}
