"""What the replicas of one service keep in one place (on Ray Serve, one small actor of its
own): the callers' quotas, so that a caller's characters a minute are counted once whichever
replica answers, and each replica's latest metrics, so that ``/metrics`` on any replica shows
the whole service as one machine's server would. Plain Python: no Ray here.

Merging: every sample of every replica is summed (counters, histograms' buckets, sums and
counts, the sentences waiting), except ``*_created`` (the earliest). A replica that has not
reported for :data:`STALE` seconds (replaced by Ray, or scaled down) keeps its counts in the
totals, so counters never go back, but its gauges are left out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sejajar.serve.keys import Quota

# Seconds after which a replica's report no longer counts as current.
STALE = 10.0
# How often a replica reports its metrics.
EVERY = 1.0

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Family:
    kind: str
    help: str
    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)


@dataclass
class _Report:
    text: str
    at: float


class Ledger:
    """The quota of every caller and the metrics of every replica."""

    def __init__(self, chars_per_minute: int) -> None:
        self.quota = Quota(chars_per_minute)
        self.reports: dict[str, _Report] = {}

    def take(self, caller: str, chars: int, now: float) -> float | None:
        return self.quota.take(caller, chars, now)

    def report(self, replica: str, text: bytes, now: float | None = None) -> None:
        self.reports[replica] = _Report(text.decode("utf-8"), time.time() if now is None else now)

    def live(self, now: float | None = None) -> int:
        """Replicas that reported within :data:`STALE` seconds."""
        now = time.time() if now is None else now
        return sum(now - r.at < STALE for r in self.reports.values())

    def metrics(self, now: float | None = None) -> bytes:
        """Every replica's metrics as one."""
        now = time.time() if now is None else now
        reports = [(r.text, now - r.at < STALE) for _, r in sorted(self.reports.items())]
        return merge(reports).encode("utf-8")


def merge(reports: list[tuple[str, bool]]) -> str:
    """Prometheus texts summed sample by sample; ``(text, current)``: gauges only of current
    ones."""
    from prometheus_client.parser import text_string_to_metric_families

    families: dict[str, _Family] = {}
    for text, current in reports:
        for family in text_string_to_metric_families(text):
            if family.type == "gauge" and not current:
                continue
            kept = families.setdefault(family.name, _Family(family.type, family.documentation))
            for sample in family.samples:
                key = (sample.name, tuple(sample.labels.items()))
                if key not in kept.samples:
                    kept.samples[key] = sample.value
                elif sample.name.endswith("_created"):
                    kept.samples[key] = min(kept.samples[key], sample.value)
                else:
                    kept.samples[key] += sample.value
    return "".join(_render(name, family) for name, family in families.items())


def _render(name: str, family: _Family) -> str:
    from prometheus_client.utils import floatToGoString

    named = f"{name}_total" if family.kind == "counter" else name  # as prometheus_client writes
    lines = [f"# HELP {named} {_escape(family.help, help=True)}", f"# TYPE {named} {family.kind}"]
    for (sample, labels), value in family.samples.items():
        shown = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
        lines.append(f"{sample}{{{shown}}}" if labels else sample)
        lines[-1] += f" {floatToGoString(value)}"  # type: ignore[no-untyped-call]
    return "\n".join(lines) + "\n"


def _escape(text: str, help: bool = False) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text if help else text.replace('"', '\\"')
