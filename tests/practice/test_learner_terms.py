"""Feedback speaks the learner's terms: their function names, their files and lines, never a helper of the checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from queuesim.practice import check
from queuesim.practice.catalogue import course_file_named

from .conftest import solution_source, with_overrides


def _with(course: str, override: str, solved: Callable[..., Path]) -> Path:
    return solved({course: with_overrides(solution_source(course_file_named(course)), override)})


def test_task_10_names_the_learners_function_not_the_checks_helper(solved: Callable[..., Path]) -> None:
    broken = ("def create_push_notifications_jobs(jobs, queue):\n"
              "    if not isinstance(jobs, list):\n"
              "        raise TypeError('Jobs is not an array')\n"
              "    if len(jobs) > 2:\n"
              "        raise KeyError('three')\n"
              "    return [queue.create(dict(job)).save() for job in jobs]\n")
    report = check("8-job", _with("8-job", broken, solved))
    events = next(c for c in report.checks if c.name.startswith("the jobs report their progress"))
    assert not events.passed
    assert events.got is not None
    assert events.got.startswith("create_push_notifications_jobs raised KeyError: 'three' in 8-job.py, line ")
    assert "create_three" not in report.text()


def test_a_handler_that_raises_says_so_with_its_line(solved: Callable[..., Path]) -> None:
    broken = "def process_notification(job):\n    raise KeyError('phone')\n"
    report = check("6-job_processor", _with("6-job_processor", broken, solved))
    runs = next(c for c in report.checks if c.name.startswith("its worker runs a job"))
    assert not runs.passed
    assert runs.got is not None
    assert runs.got.startswith("job 1 failed: your handler raised KeyError: 'phone' in 6-job_processor.py, line ")
    assert runs.concept is not None
    assert runs.concept.key == "handler-error"


def test_a_reservation_that_loops_says_so_in_the_learners_terms(solved: Callable[..., Path]) -> None:
    looping = ("def reserve_stock_by_id(client, item_id):\n"
               "    while client.get('item.1') == '1':  # the last unit of product 1: waits for ever\n"
               "        pass\n"
               "    return stock.reserve_stock_by_id(client, item_id).confirmed\n")
    report = check("9-stock", _with("9-stock", looping, solved))
    race = next(c for c in report.checks if c.name.startswith("buyers of the last unit"))
    assert not race.passed
    assert race.got == "reserve_stock_by_id sent more than 200 Redis commands in one call: does it loop forever?"
