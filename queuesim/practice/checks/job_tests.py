"""Task 11: the learner's tests of ``create_push_notifications_jobs`` (``8-job_test.py``), graded by what they catch.

Their tests must pass on a correct ``8-job.py`` (queuesim's), leave Redis empty
(they run in the queue's test mode), and fail on each of a few deliberately
wrong versions: a test that passes whatever the function does tests nothing.
The tests run in this process with pytest (``8-job_test.py`` is collected as
any ``*_test.py``); ``8-job.py`` reaches them through their provided fixture.
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queuesim.exercises.job_creation import JOBS_NOT_AN_ARRAY
from queuesim.exercises.job_creation import create_push_notifications_jobs as correct
from queuesim.practice.grading import Grader
from queuesim.practice.loader import FolderSubmission, Unwritten, redirected, unwritten_functions
from queuesim.practice.stores import Store
from queuesim.queue import Job, Queue

__all__ = ["MUTANTS", "Mutant", "check_job_tests"]

_TIME_LIMIT = 60.0


# --------------------------------------------------------------------------- wrong versions of 8-job.py


def _accepts_anything(jobs: Any, queue: Queue) -> list[Job]:
    if not isinstance(jobs, list):
        return []
    return correct(jobs, queue)


def _wrong_message(jobs: Any, queue: Queue) -> list[Job]:
    if not isinstance(jobs, list):
        raise TypeError("jobs must be a list")
    return correct(jobs, queue)


def _first_only(jobs: Any, queue: Queue) -> list[Job]:
    if not isinstance(jobs, list):
        raise TypeError(JOBS_NOT_AN_ARRAY)
    return correct(jobs[:1], queue)


def _same_data(jobs: Any, queue: Queue) -> list[Job]:
    if not isinstance(jobs, list):
        raise TypeError(JOBS_NOT_AN_ARRAY)
    return correct([jobs[0]] * len(jobs) if jobs else [], queue)


def _outside_test_mode(jobs: Any, queue: Queue) -> list[Job]:
    if not isinstance(jobs, list):
        raise TypeError(JOBS_NOT_AN_ARRAY)
    mode = queue.test_mode
    if not mode.active:
        return correct(jobs, queue)
    mode.exit()
    try:
        return correct(jobs, queue)  # saved in Redis, not recorded
    finally:
        mode.enter()


@dataclass(frozen=True, slots=True)
class Mutant:
    """A wrong ``create_push_notifications_jobs`` the learner's tests must catch."""

    #: What it does wrong, as "a function that …".
    wrong: str
    function: Callable[[Any, Queue], list[Job]]

    def __repr__(self) -> str:
        return f"<Mutant {self.wrong!r}>"

    def module(self) -> types.ModuleType:
        """A stand-in for ``8-job.py`` holding this version."""
        module = types.ModuleType("wrong_8_job")
        module.create_push_notifications_jobs = self.function  # type: ignore[attr-defined]
        return module


#: The wrong versions, in the order they are tried.
MUTANTS: tuple[Mutant, ...] = (
    Mutant("accepts something that is not a list without an error", _accepts_anything),
    Mutant("raises an error with another message than 'Jobs is not an array'", _wrong_message),
    Mutant("creates only the first job", _first_only),
    Mutant("gives every job the first job's data", _same_data),
    Mutant("saves the jobs in Redis instead of the test mode", _outside_test_mode),
)


def _correct_module() -> types.ModuleType:
    module = types.ModuleType("correct_8_job")
    module.create_push_notifications_jobs = correct  # type: ignore[attr-defined]
    return module


# --------------------------------------------------------------------------- running the learner's tests


@dataclass(slots=True)
class TestRun:
    """What pytest said about the learner's tests: each test's outcome and why it failed."""

    __test__ = False  # not a pytest test class

    outcomes: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    collect_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """The tests that failed or errored."""
        return [name for name, outcome in self.outcomes.items() if outcome != "passed"]


class _Collector:
    """A pytest plugin keeping each test's outcome."""

    def __init__(self, run: TestRun) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: Any) -> None:
        name = report.nodeid.split("::", 1)[-1]
        if report.failed:
            self.run.outcomes[name] = "failed"
            self.run.failures.setdefault(name, _reason(report.longreprtext))
        elif report.when == "call" and name not in self.run.outcomes:
            self.run.outcomes[name] = report.outcome

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.run.collect_errors.append(_reason(report.longreprtext))


def _reason(text: str) -> str:
    """The lines pytest marks with ``E`` (the error), else the last line."""
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    if errors:
        return " ".join(errors)[:300]
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "failed"


def _run_tests(path: Path) -> TestRun:
    import pytest  # a test framework: loaded only when tests are graded

    run = TestRun()
    before = set(sys.modules)
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only pytest itself: the same run on every machine
    try:
        with tempfile.TemporaryDirectory() as empty:
            ini = Path(empty) / "pytest.ini"
            ini.write_text("[pytest]\n", encoding="utf-8")
            pytest.main(
                [str(path), "-q", "--capture=no", "-p", "no:cacheprovider", "-p", "no:faulthandler",
                 "-p", "no:unraisableexception", "-p", "no:threadexception",
                 "--import-mode=importlib", "-c", str(ini), "--rootdir", str(path.parent)],
                plugins=[_Collector(run)],
            )
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
        for name in set(sys.modules) - before:  # the learner's test module is read again next time
            del sys.modules[name]
    return run


def _tests_file(grader: Grader) -> Path:
    submission = grader.submission
    if isinstance(submission, FolderSubmission):
        return submission.path(grader.task.files[0])
    module = submission.module(grader.task.files[0])
    return Path(str(module.__file__))


def _graded(grader: Grader, subject: types.ModuleType) -> tuple[TestRun, Store]:
    store = Store()
    path = _tests_file(grader)
    with redirected({"8-job": subject}, client_factory=store.client):
        run: TestRun = grader.call(_run_tests, path, time_limit=_TIME_LIMIT, name=f"pytest {path.name}").value
    return run, store


def _unwritten(grader: Grader) -> list[Unwritten]:
    """The functions of the tests file whose body is still only ``...`` (they would pass, testing nothing)."""
    try:
        return unwritten_functions(_tests_file(grader).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def _failures(run: TestRun) -> str:
    return "\n".join(f"    {name}: {run.failures.get(name, 'failed')}" for name in run.failed)


def check_job_tests(grader: Grader) -> None:
    """Task 11 (``8-job_test.py``)."""
    if grader.load("8-job_test") is None:
        return
    try:
        import pytest  # noqa: F401
    except ImportError:
        with grader.check("pytest is installed", "tests-catch") as check:
            check.fail("pytest, to run your tests", "pytest is not installed: pip install pytest")
        return
    reference: TestRun | None = None
    with grader.check("pytest collects at least two tests", "tests-catch") as check:
        reference, store = _graded(grader, _correct_module())
        if reference.collect_errors:
            check.fail("the file collected", "; ".join(reference.collect_errors))
        check.require(len(reference.outcomes) >= 2, "two tests or more", f"{len(reference.outcomes)} tests")
    if reference is None or not reference.outcomes:
        return
    stubs = _unwritten(grader)
    passing = [name for name, outcome in reference.outcomes.items()
               if outcome == "passed" and name not in {stub.name for stub in stubs}]
    with grader.check("your tests pass on a correct 8-job.py", "tests-catch") as check:
        if stubs:
            check.fail("every test and fixture written", "not written yet: " + "; ".join(
                f"{stub.name} (line {stub.line}) is still `...`" for stub in stubs), "not-written")
        if any("NotImplementedError" in reason for reason in reference.failures.values()):
            check.fail("every test passing", "not written yet:\n" + _failures(reference), "not-written")
        check.require(not reference.failed, "every test passing", "these fail:\n" + _failures(reference))
    first = "your tests passing on a correct 8-job.py first (a test that always fails catches nothing)"
    with grader.check("your tests leave nothing in Redis (they use the queue's test mode)", "test-mode") as check:
        check.require(bool(passing), first, "no test passes on a correct 8-job.py", "tests-catch")
        keys = sorted(str(key) for key in store.client().keys("*"))
        check.require(not keys, "an empty store after the tests", f"keys left: {', '.join(keys[:6])}")
    for mutant in MUTANTS:
        with grader.check(f"your tests catch a function that {mutant.wrong}", "tests-catch") as check:
            check.require(bool(passing), first, "no test passes on a correct 8-job.py")
            run, _ = _graded(grader, mutant.module())
            caught = [name for name in passing if run.outcomes.get(name, "failed") != "passed"]
            check.require(bool(caught), "a test that passes on a correct 8-job.py and fails on this one",
                          "every test that passed on a correct 8-job.py passed on it too")
