"""Riding out a Redis outage: one log line when Redis is lost, one when it is back, bounded backoff between.

Every long-running part of a worker process (the worker's loop, the event
listener, the wait for Redis at startup) keeps an :class:`Outage`. It logs a
warning the first time a call fails and another when a call succeeds again
(with how long it lasted), and nothing in between, so an outage of an hour
writes two lines, not thousands. Between tries it asks for a growing wait,
doubling from ``first`` up to ``most`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import redis

__all__ = ["DEFAULT_FIRST_WAIT", "DEFAULT_MOST_WAIT", "RETRYABLE", "Outage", "backoff"]

log = logging.getLogger("queuesim.worker")

#: Seconds to wait after the first failed call.
DEFAULT_FIRST_WAIT = 0.1
#: The longest wait between two tries, in seconds.
DEFAULT_MOST_WAIT = 5.0

#: Errors after which a worker keeps its outcomes and tries again later.
RETRYABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


def backoff(first: float = DEFAULT_FIRST_WAIT, most: float = DEFAULT_MOST_WAIT) -> Iterator[float]:
    """The waits between tries, in seconds: ``first``, then twice as long each time, at most ``most``."""
    delay = first
    while True:
        yield delay
        delay = min(most, delay * 2)


class Outage:
    """Whether one component can reach Redis, and how long to wait before trying again.

    Args:
        who: how the log lines name the component (e.g. ``worker host:12:ab12``).
        clock: the current time in seconds (the queue clock in a simulation).
        first: seconds to wait after the first failure; doubled after each.
        most: the longest wait, in seconds.
        logger: where the two lines go.
    """

    __slots__ = ("_delay", "clock", "first", "logger", "most", "outages", "since", "who")

    def __init__(
        self,
        who: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        first: float = DEFAULT_FIRST_WAIT,
        most: float = DEFAULT_MOST_WAIT,
        logger: logging.Logger = log,
    ) -> None:
        self.who = who
        self.clock = clock
        self.first = first
        self.most = most
        self.logger = logger
        #: when the current outage began (clock seconds), or None while Redis answers
        self.since: float | None = None
        #: how many outages this component has seen
        self.outages = 0
        self._delay = first

    def __repr__(self) -> str:
        return f"<Outage {self.who} {'since ' + format(self.since, '.3f') if self.since is not None else 'none'}>"

    @property
    def ongoing(self) -> bool:
        """Whether the last call failed."""
        return self.since is not None

    def lost(self, error: BaseException) -> float:
        """A call failed: log it if it is the first of an outage; returns the seconds to wait before the next try."""
        if self.since is None:
            self.since = self.clock()
            self.outages += 1
            self._delay = self.first
            self.logger.warning("%s lost Redis (%s); retrying, at most every %g s", self.who, _text(error), self.most)
            return self._delay
        self._delay = min(self.most, self._delay * 2)
        return self._delay

    def back(self) -> None:
        """A call succeeded: log the end of the outage, if there was one."""
        if self.since is not None:
            seconds = max(0.0, self.clock() - self.since)
            self.since = None
            self._delay = self.first
            self.logger.warning("%s: Redis is back after %.1f s", self.who, seconds)


def _text(error: BaseException) -> str:
    return str(error) or type(error).__name__
