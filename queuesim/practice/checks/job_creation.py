"""Task 10: ``create_push_notifications_jobs`` refuses anything but a list, creates one job per element,
reports their events; ``8-job-main.py`` uses it (the project's tests/exercises/test_job_creation.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from queuesim.exercises.job_creation import JOBS_NOT_AN_ARRAY, MAIN_JOBS, TEST_JOBS
from queuesim.practice.checks.jobs import (
    EVENT_ERRORS,
    Scenario,
    _by_job,
    _created,
    _progress_lines,
    _reference_processor,
    job_lines,
    run_creator,
)
from queuesim.practice.grading import Grader, need
from queuesim.practice.learner import LearnerError
from queuesim.practice.loader import redirected
from queuesim.queue import Job, Queue

__all__ = ["NOT_LISTS", "check_job_creation"]

QUEUE_3 = "push_notification_code_3"
#: What is not a list, and why a learner might let it through.
NOT_LISTS: tuple[tuple[str, Any], ...] = (
    ("a string", "4153518780"),
    ("a dict", dict(TEST_JOBS[0])),
    ("None", None),
    ("a number", 42),
    ("a tuple", tuple(TEST_JOBS)),
)
_THREE = [*TEST_JOBS, {"phoneNumber": "4153518743", "message": "This is the code 4321 to verify your account"}]


def _refusal(grader: Grader, create: Callable[..., Any], what: str, value: Any) -> str | None:
    """Why ``create(value, queue)`` was wrong (None if it refused with the exact message and created nothing)."""
    scenario = Scenario(QUEUE_3)
    scenario.queue.test_mode.enter()
    try:
        try:
            grader.call(create, value, scenario.queue)
        except LearnerError as error:
            if error.error is None or isinstance(error.error, NotImplementedError):
                raise
            if str(error.error) != JOBS_NOT_AN_ARRAY:
                return f"{what} ({value!r}): raised {type(error.error).__name__}: {error.error}"
            if scenario.queue.test_mode.jobs:
                return f"{what}: raised, but created {len(scenario.queue.test_mode.jobs)} jobs first"
            return None
        return f"{what} ({value!r}): no error, {len(scenario.queue.test_mode.jobs)} jobs created"
    finally:
        scenario.queue.test_mode.exit()
        scenario.close()


def check_job_creation(grader: Grader) -> None:
    """Task 10 (``8-job.py``, ``8-job-main.py``)."""
    module = grader.load("8-job")
    main_module = grader.load("8-job-main")
    grader.error_concepts.update(EVENT_ERRORS)
    if module is not None:
        with grader.check("anything but a list raises 'Jobs is not an array' and creates nothing",
                          "jobs-not-array") as check:
            create = need(module, "create_push_notifications_jobs")
            wrong = [why for what, value in NOT_LISTS if (why := _refusal(grader, create, what, value))]
            check.expect([], wrong)
        with grader.check("a list of two: two jobs on the queue, in test mode, printing their ids",
                          "job-creation") as check:
            create = need(module, "create_push_notifications_jobs")
            scenario = Scenario(QUEUE_3)
            try:
                with scenario.queue.test_mode() as mode:
                    outcome = grader.call(create, [dict(job) for job in TEST_JOBS], scenario.queue)
                    recorded = list(mode.jobs)
            finally:
                scenario.close()
            check.expect([_created("1"), _created("2")], outcome.lines)
            check.expect(list(TEST_JOBS), [job.data for job in recorded])
            check.expect([QUEUE_3, QUEUE_3], [job.queue.name for job in recorded])
        with grader.check("the jobs report their progress, completion or failure, as in task 8",
                          "event-lines") as check:
            create = need(module, "create_push_notifications_jobs")

            def create_three(queue: Queue) -> list[Job]:
                made: list[Job] = create([dict(job) for job in _THREE], queue)
                return made

            create_three.__name__ = "create_push_notifications_jobs"  # what messages call it: the learner's name

            run = run_creator(grader, create_three, QUEUE_3, _reference_processor, concurrency=2)
            ids = ["1", "2", "3"]
            check.require(run.finished, "the three jobs finished", "they did not all finish")
            check.expect([_created(i) for i in ids], run.lines[:3], diagnose=_progress_lines)
            got = _by_job(run.lines[3:], ids)
            for job_id, job in zip(ids, _THREE, strict=True):
                check.expect(job_lines(job_id, job["phoneNumber"]), got[job_id], diagnose=_progress_lines)
    if main_module is None:
        return
    with grader.check("8-job-main.py: main creates one job on push_notification_code_3", "job-creation") as check:
        scenario = Scenario(QUEUE_3)
        try:
            with redirected({"8-job": module} if module is not None else {}):
                outcome = grader.call(need(main_module, "main"), scenario.client)
            jobs = scenario.jobs()
        finally:
            scenario.close()
        check.expect([_created("1")], outcome.lines)
        check.expect([dict(job) for job in MAIN_JOBS], [job.data for job in jobs])
