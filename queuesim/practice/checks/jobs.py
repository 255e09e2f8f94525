"""Tasks 6-9: job creators and processors, run with queuesim's other half, then the learner's two together.

A creator's lines are printed by the queue's event listener, in the order each
job's events happened; two jobs run at once interleave differently from run
to run, so lines are compared job by job (the same on every run).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from queuesim.exercises.notifications import JOB_DATA
from queuesim.exercises.notifications_progress import (
    BLACKLISTED_NUMBERS,
    JOBS,
    process_notification_with_progress,
)
from queuesim.practice.grading import Check, Grader, need
from queuesim.practice.learner import LearnerError, Output, capture, start
from queuesim.practice.stores import Store
from queuesim.queue import Job, JobState, Queue, Worker

__all__ = [
    "Endings",
    "Scenario",
    "check_creator",
    "check_processor",
    "check_progress_creator",
    "check_progress_processor",
    "job_ids",
]

QUEUE = "push_notification_code"
QUEUE_2 = "push_notification_code_2"
#: Seconds a scenario's jobs get to finish.
_FINISH = 20.0
#: Errors a learner's listener registration raises for a wrong event name → the concept.
EVENT_ERRORS = {"unknown job event": "event-complete"}


def sending_line(data: dict[str, str]) -> str:
    """The processor's line for a job's data."""
    return f"Sending notification to {data['phoneNumber']}, with message: {data['message']}"


def job_lines(job_id: str, phone: str) -> list[str]:
    """What a task-8 creator prints for one job, after its created line."""
    if phone in BLACKLISTED_NUMBERS:
        return [f"Notification job {job_id} 0% complete",
                f"Notification job {job_id} failed: Phone number {phone} is blacklisted"]
    return [f"Notification job {job_id} 0% complete", f"Notification job {job_id} 50% complete",
            f"Notification job {job_id} completed"]


class Endings:
    """Waits for jobs of a queue to complete or fail, as its event listener sees them.

    Listeners registered here run after the learner's (registered first), and a
    job that already ended is replayed from the queue's event stream.
    """

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._ended: dict[str, str] = {}
        self._changed = threading.Condition()

    def __repr__(self) -> str:
        return f"<Endings {len(self._ended)} ended>"

    def watch(self, job_id: str) -> None:
        """Note when ``job_id`` completes or fails."""
        job = self.queue.get_job(job_id)
        history = self.queue.events.history(job_id)
        job.event_id = history[0].stream_id if history else "0-0"  # replay what already happened
        for event in ("complete", "failed"):
            job.on(event, lambda *_, _event=event: self._note(job_id, _event))

    def _note(self, job_id: str, event: str) -> None:
        with self._changed:
            self._ended[job_id] = event
            self._changed.notify_all()

    def wait(self, job_ids: Sequence[str], timeout: float = _FINISH) -> bool:
        """Wait until every job of ``job_ids`` has completed or failed; False if ``timeout`` s pass first."""
        for job_id in job_ids:
            self.watch(job_id)
        with self._changed:
            return self._changed.wait_for(lambda: set(job_ids) <= set(self._ended), timeout)


class Scenario:
    """A fresh store and one queue on it; the jobs it holds; waiting for their final events."""

    def __init__(self, queue_name: str) -> None:
        self.store = Store()
        self.client = self.store.client()
        self.queue = Queue(queue_name, redis=self.client)
        self.endings = Endings(self.queue)

    def __repr__(self) -> str:
        return f"<Scenario {self.queue.name}>"

    def job_ids(self) -> list[str]:
        """Every job of the queue, by id."""
        return job_ids(self.queue)

    def jobs(self) -> list[Job]:
        """Every job of the queue as stored now, by id."""
        return [self.queue.get_job(i) for i in self.job_ids()]

    def wait_finished(self, ids: Sequence[str], timeout: float = _FINISH) -> bool:
        """Wait until every job of ``ids`` has completed or failed (see :class:`Endings`)."""
        return self.endings.wait(ids, timeout)

    def close(self) -> None:
        """Stop the queue's listener and close the clients, in the background (the listener's read takes
        up to half a second to notice; nothing is printed by then)."""

        def close() -> None:
            self.queue.close()
            self.store.close()

        threading.Thread(target=close, name="practice-close", daemon=True).start()


def job_ids(queue: Queue) -> list[str]:
    """Every job of ``queue``, by id."""
    ids = {job.id for state in JobState for job in queue.jobs(state) if job.id is not None}
    return sorted(ids, key=lambda i: (len(i), i))


def run_worker(grader: Grader, worker: Worker, time_limit: float = _FINISH) -> None:
    """Run ``worker`` until the queue is empty (burst); a handler that hangs fails the check.

    Raises:
        LearnerError: it did not end in time (the worker is then told to stop).
    """
    running = start(worker.run, burst=True, handle_signals=False, files=grader.files(), name="the worker")
    try:
        running.wait(time_limit)
    except LearnerError:
        worker.stop(0)
        raise


def _completes(job: Job) -> None:
    """queuesim's processor for task 6: the job completes."""


def _fails(job: Job) -> None:
    """queuesim's processor for task 6: the job fails."""
    raise RuntimeError("the notification could not be sent")


# --------------------------------------------------------------------------- task 6


@dataclass(slots=True)
class CreatorRun:
    """What a creator did: its return value, its lines (at creation, and in all), the jobs, whether they ended."""

    value: Any = None
    created_lines: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    finished: bool = False


def run_creator(grader: Grader, create: Callable[..., Any], queue_name: str,
                handler: Callable[[Job], Any], concurrency: int = 1,
                processor: Callable[[Queue], Worker] | None = None) -> CreatorRun:
    """``create(queue)`` on a fresh queue, then a worker (``processor(queue)``, else queuesim's with ``handler``)."""
    scenario = Scenario(queue_name)
    run = CreatorRun()
    output: Output
    try:
        with capture() as output:
            run.value = grader.call(create, scenario.queue, keep_output=False).value
            run.created_lines = output.lines
            ids = scenario.job_ids()
            worker = processor(scenario.queue) if processor is not None else Worker(
                scenario.queue, handler, concurrency=concurrency)
            run_worker(grader, worker)
            run.finished = scenario.wait_finished(ids)
            run.jobs = scenario.jobs()
        run.lines = output.lines
    finally:
        scenario.close()
    return run


def _created(job_id: str) -> str:
    return f"Notification job created: {job_id}"


def _creator_lines(lines: Any) -> str | None:
    if any("created: None" in line for line in lines):
        return "save-first"
    return None


def check_creator(grader: Grader) -> None:
    """Task 6 (``6-job_creator.py``): one job, its id, its outcome."""
    module = grader.load("6-job_creator")
    if module is None:
        return
    grader.error_concepts.update(EVENT_ERRORS)
    run: CreatorRun | None = None
    with grader.check("create_notification_job saves one job on the queue and returns it", "save-first") as check:
        run = run_creator(grader, need(module, "create_notification_job"), QUEUE, _completes)
        check.expect(1, len(run.jobs))
        check.require(isinstance(run.value, Job) and run.value.id == run.jobs[0].id,
                      "the saved job, returned", repr(run.value))
    if run is None or not run.jobs:
        return
    with grader.check("its data is {'phoneNumber': <str>, 'message': <str>}", "job-data") as check:
        data = run.jobs[0].data
        check.require(isinstance(data, dict) and isinstance(data.get("phoneNumber"), str)
                      and isinstance(data.get("message"), str), "{'phoneNumber': str, 'message': str}", repr(data))
    with grader.check("it prints 'Notification job created: <id>' once the job is saved", "save-first") as check:
        check.expect([_created("1")], run.created_lines, diagnose=_creator_lines)
    with grader.check("when the job completes, it prints 'Notification job completed'", "event-complete") as check:
        check.require(run.finished, "the job finished", "it did not finish")
        check.expect([_created("1"), "Notification job completed"], run.lines, diagnose=_creator_lines)
    with grader.check("when the job fails, it prints 'Notification job failed'", "event-failed") as check:
        failed = run_creator(grader, need(module, "create_notification_job"), QUEUE, _fails)
        check.expect([_created("1"), "Notification job failed"], failed.lines, diagnose=_creator_lines)


# --------------------------------------------------------------------------- task 7


def _queuesim_creator(jobs: Sequence[dict[str, str]]) -> Callable[[Queue], list[Job]]:
    """queuesim's creator for a processor's checks: saves ``jobs``, prints nothing."""

    def create(queue: Queue) -> list[Job]:
        return queue.create_bulk(list(jobs))

    return create


def _worker_of(grader: Grader, module: ModuleType) -> Callable[[Queue], Worker]:
    """The learner's ``make_worker``, checked to give a worker on the queue it is given."""
    make_worker = need(module, "make_worker")

    def make(queue: Queue) -> Worker:
        worker = grader.call(make_worker, queue, keep_output=False).value
        if not isinstance(worker, Worker):
            raise LearnerError(f"make_worker returned {worker!r}, not a Worker(queue, handler)")
        if worker.queue is not queue:
            raise LearnerError(f"make_worker's worker works on {worker.queue!r}, not on the queue it was given")
        return worker

    return make


#: A worker that is not one, or works on another queue → the concept.
WORKER_ERRORS = {"not a Worker": "worker-queue", "not on the queue": "worker-queue"}


def _worker_alone(grader: Grader, module: ModuleType, queue_name: str) -> Worker:
    """The learner's worker, made on a fresh queue (and checked, see :func:`_worker_of`)."""
    scenario = Scenario(queue_name)
    try:
        return _worker_of(grader, module)(scenario.queue)
    finally:
        scenario.close()


def check_processor(grader: Grader) -> None:
    """Task 7 (``6-job_processor.py``): the sending line, a worker on the queue, the job completed."""
    module = grader.load("6-job_processor")
    if module is None:
        return
    grader.error_concepts.update(WORKER_ERRORS)
    line = sending_line(JOB_DATA)
    with grader.check("send_notification prints the sending line", "sending-line") as check:
        outcome = grader.call(need(module, "send_notification"), JOB_DATA["phoneNumber"], JOB_DATA["message"])
        check.expect([line], outcome.lines)
    with grader.check("make_worker gives a worker on the queue it is given", "worker-queue"):
        _worker_alone(grader, module, QUEUE)
    with grader.check("its worker runs a job: the sending line, and the job completes", "sending-line") as check:
        run = run_creator(grader, _queuesim_creator([JOB_DATA]), QUEUE, _completes,
                          processor=_worker_of(grader, module))
        _no_handler_error(grader, check, run)
        check.expect([JobState.COMPLETE], [job.state for job in run.jobs])
        check.expect([line], run.lines)
    creator = grader.implemented("6-job_creator", "create_notification_job")
    if creator is None:
        grader.note("6-job_creator.py is not written yet: the processor ran with queuesim's creator only")
        return
    with grader.check("your 6-job_creator.py and 6-job_processor.py together", "event-complete") as check:
        run = run_creator(grader, need(creator, "create_notification_job"), QUEUE, _completes,
                          processor=_worker_of(grader, module))
        _no_handler_error(grader, check, run)
        data = run.jobs[0].data if run.jobs else JOB_DATA
        check.expect([_created("1"), sending_line(data), "Notification job completed"], run.lines)


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def job_failure(job: Job, files: Sequence[Path]) -> str:
    """Why ``job`` failed, in one line: the exception its handler raised and where in the learner's files."""
    trace = (job.stacktrace or "").strip().splitlines()
    what = trace[-1].strip() if trace else (job.error or "failed")
    names = {f.name for f in files}
    where = [(Path(m.group(1)).name, m.group(2)) for m in _FRAME.finditer(job.stacktrace or "")
             if Path(m.group(1)).name in names]
    return what + (f" in {where[-1][0]}, line {where[-1][1]}" if where else "")


def _no_handler_error(grader: Grader, check: Check, run: CreatorRun) -> None:
    """Fail ``check`` when the learner's handler raised (the job failed although it should complete)."""
    for job in run.jobs:
        if job.state is JobState.FAILED:
            why = job_failure(job, grader.files())
            stub = why.startswith(("NotImplementedError", "queuesim.practice.learner.NotWritten"))
            check.fail(f"job {job.id} to complete", f"job {job.id} failed: your handler raised {why}",
                       "not-written" if stub else "handler-error")


# --------------------------------------------------------------------------- task 8


def _by_job(lines: Sequence[str], ids: Sequence[str]) -> dict[str, list[str]]:
    return {i: [line for line in lines if line.startswith(f"Notification job {i} ")] for i in ids}


def _progress_lines(lines: Any) -> str | None:
    if any("#" in line for line in lines):
        return "event-lines"
    if any(line.endswith("failed:") or line.endswith("failed: ") for line in lines):
        return "event-lines"
    return _creator_lines(lines)


def _check_progress_lines(check: Check, run: CreatorRun) -> None:
    """The created lines first, in order; then each job's lines in the order its events happened."""
    ids = [str(i) for i in range(1, len(JOBS) + 1)]
    check.require(run.finished, f"the {len(JOBS)} jobs finished", "they did not all finish")
    check.expect([_created(i) for i in ids], run.lines[: len(ids)], diagnose=_progress_lines)
    rest = run.lines[len(ids):]
    got = _by_job(rest, ids)
    for job_id, job in zip(ids, JOBS, strict=True):
        check.expect(job_lines(job_id, job["phoneNumber"]), got[job_id], diagnose=_progress_lines)
    known = {line for lines in got.values() for line in lines}
    check.expect([], [line for line in rest if line not in known], diagnose=_progress_lines)


def _reference_processor(job: Job) -> None:
    process_notification_with_progress(job, echo=lambda line: None)


def check_progress_creator(grader: Grader) -> None:
    """Task 8 (``7-job_creator.py``): eleven jobs, their progress, completions and failures."""
    module = grader.load("7-job_creator")
    if module is None:
        return
    grader.error_concepts.update(EVENT_ERRORS)
    run: CreatorRun | None = None
    with grader.check("create_notification_jobs saves the eleven jobs in order, printing each id",
                      "save-first") as check:
        run = run_creator(grader, need(module, "create_notification_jobs"), QUEUE_2, _reference_processor,
                          concurrency=2)
        check.expect(list(JOBS), [job.data for job in run.jobs])
        check.expect([_created(str(i)) for i in range(1, len(JOBS) + 1)], run.created_lines, diagnose=_creator_lines)
    if run is None:
        return
    with grader.check("each job's progress, completion or failure is printed as its events happen",
                      "event-lines") as check:
        _check_progress_lines(check, run)


# --------------------------------------------------------------------------- task 9


def _history(scenario_jobs: Sequence[Job]) -> dict[str, list[int]]:
    """Each job's progress percents, in order, from the queue's event stream."""
    progress: dict[str, list[int]] = {}
    for job in scenario_jobs:
        assert job.id is not None
        events = job.queue.events.history(job.id)
        progress[job.id] = [int(e.args[0]) for e in events if e.name == "progress"]
    return progress


def check_progress_processor(grader: Grader) -> None:
    """Task 9 (``7-job_processor.py``): the blacklist fails jobs, progress 0 then 50, two at a time."""
    module = grader.load("7-job_processor")
    if module is None:
        return
    grader.error_concepts.update(WORKER_ERRORS)
    with grader.check("BLACKLISTED_NUMBERS holds 4153518780 and 4153518781", "blacklist") as check:
        numbers = getattr(module, "BLACKLISTED_NUMBERS", ())
        check.expect(sorted(BLACKLISTED_NUMBERS), sorted(str(n) for n in numbers))
    with grader.check("make_worker runs two jobs at a time", "concurrency") as check:
        check.expect(2, _worker_alone(grader, module, QUEUE_2).settings.concurrency)
    run: CreatorRun | None = None
    with grader.check("blacklisted numbers fail with 'Phone number <phone> is blacklisted'",
                      "raise-to-fail") as check:
        run = run_creator(grader, _queuesim_creator(JOBS), QUEUE_2, _completes, processor=_worker_of(grader, module))
        blacklisted = [job for job in run.jobs if job.data["phoneNumber"] in BLACKLISTED_NUMBERS]
        states = [job.state for job in blacklisted]
        if JobState.COMPLETE in states:
            check.fail("failed", f"{', '.join(s.value if s else '?' for s in states)}", "raise-to-fail")
        check.expect([JobState.FAILED] * len(blacklisted), states)
        check.expect([f"Phone number {job.data['phoneNumber']} is blacklisted" for job in blacklisted],
                     [job.error for job in blacklisted], diagnose=lambda _: "blacklist")
    if run is None:
        return
    with grader.check("the other jobs complete, each sending its notification once", "sending-line") as check:
        sent = [job for job in run.jobs if job.data["phoneNumber"] not in BLACKLISTED_NUMBERS]
        check.expect([JobState.COMPLETE] * len(sent), [job.state for job in sent])
        check.expect(sorted(sending_line(job.data) for job in sent),
                     sorted(line for line in run.lines if line.startswith("Sending notification")))
    with grader.check("progress: 0% then 50% for a sent job, 0% only for a blacklisted one",
                      "blacklist-first") as check:
        expected = {job.id: ([0] if job.data["phoneNumber"] in BLACKLISTED_NUMBERS else [0, 50]) for job in run.jobs}
        check.expect(expected, _history(run.jobs))
    creator = grader.implemented("7-job_creator", "create_notification_jobs")
    if creator is None:
        grader.note("7-job_creator.py is not written yet: the processor ran with queuesim's creator only")
        return
    with grader.check("your 7-job_creator.py and 7-job_processor.py together", "event-lines") as check:
        together = run_creator(grader, need(creator, "create_notification_jobs"), QUEUE_2, _completes,
                               processor=_worker_of(grader, module))
        together.lines = [line for line in together.lines if not line.startswith("Sending notification")]
        _check_progress_lines(check, together)
