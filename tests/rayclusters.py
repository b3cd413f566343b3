"""A two-node Ray cluster on this machine for the tests of ``corpus --ray`` and
``serve --ray``: two nodes of one CPU each, kept on loopback, stopped afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest


@contextlib.contextmanager
def two_nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The started ``ray.cluster_utils.Cluster`` (its ``address`` is the head's); this process
    is disconnected from Ray and the cluster stopped at the end, however the test ends."""
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():  # ray.init() with no address would join what another test left
        ray.shutdown()
    # Keeps the nodes on 127.0.0.1 (Ray would use the host's address); servers inherit it.
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    started = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    try:
        started.add_node(num_cpus=1)
        started.wait_for_nodes()
        yield started
    finally:
        if ray.is_initialized():
            ray.shutdown()
        started.shutdown()
