"""The waits between tries while Redis is away: doubling from the first, capped."""

from __future__ import annotations

import itertools

from queuesim.queue.outage import DEFAULT_FIRST_WAIT, DEFAULT_MOST_WAIT, backoff


def test_backoff_doubles_up_to_the_cap() -> None:
    assert list(itertools.islice(backoff(0.1, 0.5), 6)) == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]


def test_backoff_defaults_are_the_workers() -> None:
    waits = list(itertools.islice(backoff(), 12))
    assert waits[0] == DEFAULT_FIRST_WAIT
    assert waits[-1] == DEFAULT_MOST_WAIT
