"""The service's Prometheus metrics, in a registry of each app's own (two apps in one process,
as in tests, never share counters)."""

from __future__ import annotations

import threading

# Seconds: from a millisecond (a cached sentence) to a minute (the default deadline).
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_SENTENCES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """What ``/metrics`` shows: requests by route and status, sentences and tokens translated,
    sentences per model call, queue wait and request latency, cache hits and repeats served
    from memory, and the sentences waiting."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "sejajar_requests", "HTTP requests answered.", ["route", "status"], registry=r
        )
        self.sentences = Counter(
            "sejajar_sentences", "Sentences sent to the service's queue.", registry=r
        )
        self.tokens = Counter(
            "sejajar_source_tokens", "Model input tokens of the sentences queued.", registry=r
        )
        self.batch = Histogram(
            "sejajar_batch_sentences",
            "Sentences in one call to the model (several requests share it).",
            buckets=_SENTENCES,
            registry=r,
        )
        self.wait = Histogram(
            "sejajar_queue_wait_seconds",
            "From a request's sentences entering the queue to their batch starting.",
            buckets=_SECONDS,
            registry=r,
        )
        self.latency = Histogram(
            "sejajar_request_seconds", "Request latency.", ["route"], buckets=_SECONDS, registry=r
        )
        self.served = Counter(
            "sejajar_sentences_served",
            "Sentences answered, by where the translation came from.",
            ["source"],  # model, cache, memory (a repeat in the server's life)
            registry=r,
        )
        self.queued = Gauge("sejajar_queue_sentences", "Sentences waiting.", registry=r)
        self.dropped = Counter(
            "sejajar_requests_dropped",
            "Requests taken out of the queue before their batch: client gone or deadline.",
            registry=r,
        )
        self._counts = (0, 0, 0)
        self._lock = threading.Lock()

    def counts(self, counts: tuple[int, int, int]) -> None:
        """Record the sessions' running (translated, from the cache, repeated) counts (from
        any lane's thread)."""
        labels = ("model", "cache", "memory")
        with self._lock:
            for label, now, before in zip(labels, counts, self._counts, strict=True):
                if now > before:
                    self.served.labels(label).inc(now - before)
            latest = [max(n, b) for n, b in zip(counts, self._counts, strict=True)]
            self._counts = (latest[0], latest[1], latest[2])

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)
