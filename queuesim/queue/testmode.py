"""Kue's test mode: record saved jobs in memory instead of writing them to Redis."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from queuesim.queue.job import BaseJob

__all__ = ["TestMode"]

J = TypeVar("J", bound="BaseJob")


class TestMode(Generic[J]):
    """The test mode of one queue (``queue.test_mode``).

    While it is active, ``job.save()`` gives the job the next id of this test
    mode (``"1"``, ``"2"``, …), appends it to :attr:`jobs` and sends nothing to
    Redis, unless entered with ``process=True``, which saves for real so a
    worker can run the jobs. The recorded jobs belong to this queue, not to the
    process, so tests cannot leak into each other.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self) -> None:
        self.active = False
        self.process = False
        #: the jobs saved while the test mode was active, in order
        self.jobs: list[J] = []
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        state = "off" if not self.active else ("on, processing" if self.process else "on")
        return f"<TestMode {state}, {len(self.jobs)} jobs>"

    def enter(self, process: bool = False) -> None:
        """Start recording saved jobs (``process=True``: also save them so they run)."""
        self.active = True
        self.process = process
        self.jobs = []
        self._ids = itertools.count(1)

    def clear(self) -> None:
        """Forget the recorded jobs (ids keep counting)."""
        self.jobs.clear()

    def exit(self) -> None:
        """Leave test mode: saves go to Redis again."""
        self.active = False
        self.process = False
        self.jobs = []

    def record(self, job: J) -> None:
        """Record a saved job; gives it the next test-mode id unless it was really saved."""
        if job.id is None:
            job.id = str(next(self._ids))
        self.jobs.append(job)

    @contextmanager
    def __call__(self, process: bool = False) -> Iterator[TestMode[J]]:
        """``with queue.test_mode(): ...`` enters on the way in and clears and exits on the way out."""
        self.enter(process)
        try:
            yield self
        finally:
            self.clear()
            self.exit()
