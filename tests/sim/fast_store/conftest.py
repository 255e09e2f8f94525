"""Fixtures for the FastStore tests: a settable clock and the stores to compare."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from diffkit import ManualClock, Store, make_stores


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def stores(clock: ManualClock) -> Iterator[list[Store]]:
    """fakeredis (SimStore), FastStore and, when REDIS_URL is set, the real server, each with one client."""
    for group in make_stores(clock):
        for store in group:
            store.client()
        yield group
