"""How the job exercises print: whole lines from any thread, a creator's report, a processor's lines.

A creator hears about its jobs through their events (``job.on(...)``), which
the queue's listener thread delivers from whichever process runs the jobs. The
events of *one* job arrive in the order they happened (the order of the
queue's event stream); the events of *different* jobs run two at a time
interleave differently on every run. :class:`JobReport` collects each job's
lines as they arrive and prints them job by job, in the order the jobs were
created, so a creator's output is the same on every run whatever the
processor's timing.

:class:`JobOutput` does the same for a processor's own lines when creator and
processor share one process (the tour, the notebooks).
"""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from queuesim.queue import Job

__all__ = ["FINAL_EVENTS", "WATCHED_EVENTS", "JobOutput", "JobReport", "LineFormat", "say"]

#: What a report prints for an event: ``lines(job_id, event, args)`` -> the line, or None for nothing.
LineFormat = Callable[[str, str, tuple[Any, ...]], "str | None"]

#: The events a report listens to, in this order: a job's progress lines are registered
#: before its final event, so replayed events keep the order in which they happened.
WATCHED_EVENTS: tuple[str, ...] = ("progress", "complete", "failed", "remove")
#: The events after which a job has nothing more to say.
FINAL_EVENTS: frozenset[str] = frozenset({"complete", "failed", "remove"})

_print_lock = threading.Lock()


def say(line: str) -> None:
    """``print(line)``, one whole line at a time even when several threads print.

    ``print`` writes the text and the newline separately, so two handler
    threads printing at once could glue their lines together.
    """
    with _print_lock:
        print(line)


class JobReport:
    """A creator's report: each job's event lines, printed job by job in creation order.

    Args:
        lines: turns an event into the line to print (or None to print nothing).
    """

    def __init__(self, lines: LineFormat) -> None:
        self.lines = lines
        self._changed = threading.Condition()
        self._pending: dict[str, list[str]] = defaultdict(list)
        self._finished: set[str] = set()

    def __repr__(self) -> str:
        return f"<JobReport {len(self._finished)} finished>"

    def watch(self, job: Job) -> Job:
        """Listen to ``job``'s events (it must be saved); events it already had are replayed.

        Jobs saved in the queue's test mode never run, so they never finish.
        """
        if job.id is None:
            raise ValueError("save the job before watching it")
        for event in WATCHED_EVENTS:
            job.on(event, functools.partial(self._note, job.id, event))
        return job

    def _note(self, job_id: str, event: str, *args: Any) -> None:
        """Called on the listener thread for each event."""
        line = self.lines(job_id, event, args)
        with self._changed:
            if line is not None:
                self._pending[job_id].append(line)
            if event in FINAL_EVENTS:
                self._finished.add(job_id)
            self._changed.notify_all()

    def finished(self, job: Job) -> bool:
        """Whether ``job``'s final event (complete, failed or removed) has arrived."""
        with self._changed:
            return job.id in self._finished

    def print_in_order(
        self, jobs: Sequence[Job], *, timeout: float | None = None, echo: Callable[[str], object] = say
    ) -> None:
        """Print each job's lines in the order of ``jobs``, each as soon as it and the jobs before it allow.

        Returns once every job has finished.

        Raises:
            TimeoutError: ``timeout`` seconds passed first; the message names the unfinished jobs
                (the lines of the finished ones are printed).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for position, job in enumerate(jobs):
            job_id = job.id or ""
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                lines, done, arrived = self._take(job_id, left)
                for line in lines:
                    echo(line)
                if done:
                    break
                if not arrived:
                    raise TimeoutError(self._timeout_message(jobs[position:], timeout))

    def _take(self, job_id: str, timeout: float | None) -> tuple[list[str], bool, bool]:
        """Wait for lines of ``job_id`` or its end; returns (its new lines, finished?, anything arrived?)."""
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: bool(self._pending[job_id]) or job_id in self._finished, timeout
            )
            lines, self._pending[job_id] = self._pending[job_id], []
            return lines, job_id in self._finished, arrived

    def _timeout_message(self, rest: Sequence[Job], timeout: float | None) -> str:
        with self._changed:
            unfinished = [job.id or "?" for job in rest if job.id not in self._finished]
        name = rest[0].queue.name
        which = f"job {unfinished[0]}" if len(unfinished) == 1 else f"jobs {', '.join(unfinished)}"
        return f"no processor finished {which} of queue {name!r} within {timeout:g} s"


class JobOutput:
    """The lines handlers print, kept per job and printed in job order afterwards.

    With two jobs running at once, which one prints first changes from run to
    run; collecting the lines and printing them by job id makes a one-process
    run (tour, notebook) print the same thing every time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: dict[str, list[str]] = defaultdict(list)

    def __repr__(self) -> str:
        return f"<JobOutput {len(self._lines)} jobs>"

    def echo_for(self, job: Job) -> Callable[[str], None]:
        """An ``echo`` for ``job``'s handler: keeps the lines instead of printing them."""
        job_id = job.id or ""

        def keep(line: str) -> None:
            with self._lock:
                self._lines[job_id].append(line)

        return keep

    def print_all(self, echo: Callable[[str], object] = say) -> None:
        """Print the kept lines, job by job in id order, and forget them."""
        with self._lock:
            kept, self._lines = self._lines, defaultdict(list)
        for job_id in sorted(kept, key=lambda i: (len(i), i)):
            for line in kept[job_id]:
                echo(line)
