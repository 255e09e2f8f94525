"""Grading a task: the learner's files in a folder, or queuesim's reference solution.

``check("9-stock", path="practice")`` gives a :class:`~queuesim.practice.report.TaskReport`;
in a notebook it shows as text. Nothing here needs a server or an account: the
checks run on fresh embedded stores inside this process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from queuesim.practice.catalogue import TASKS, Task, find_task
from queuesim.practice.grading import Grader
from queuesim.practice.learner import missing_package
from queuesim.practice.loader import FolderSubmission, ReferenceSubmission, Submission
from queuesim.practice.report import TaskReport

__all__ = ["check", "check_all", "grade"]

Checker = Callable[[Grader], None]

#: The extra of queuesim that brings a package the checks use.
_EXTRAS = {"fastapi": "web", "uvicorn": "web", "starlette": "web", "simpy": "sim", "greenlet": "sim",
           "numpy": "sim", "fakeredis": "embedded", "lupa": "embedded", "pytest": "dev"}


def _checker(task: Task) -> Checker:
    module_name, _, function = task.checker.partition(":")
    checker: Checker = getattr(importlib.import_module(module_name), function)
    return checker


def grade(task: Task, submission: Submission) -> TaskReport:
    """Run ``task``'s checks on ``submission``; a failure of the checks themselves is a failed check."""
    grader = Grader(task, submission)
    try:
        _checker(task)(grader)
    except Exception as error:  # a bug of the checks must not look like a traceback of the learner's code
        package = missing_package(error)
        with grader.check("the checks could finish", "loads") as failed:
            if package is not None:  # queuesim installed without the extra these checks need
                extra = _EXTRAS.get(package)
                install = f"'queuesim[{extra}]'" if extra else package
                failed.fail(f"{package}, which the checks of this task use",
                            f"{package} is not installed here: python -m pip install {install}", "install-extra")
            failed.fail("the checks to run to the end", f"they stopped: {type(error).__name__}: {error}")
    return grader.report()


def _submission(path: str | Path, solution: bool) -> Submission:
    if solution:
        return ReferenceSubmission()
    folder = Path(path)
    if not folder.is_dir():
        raise NotADirectoryError(f"no folder {folder}: `queuesim practice init {folder}` makes one with the stubs")
    return FolderSubmission(folder)


def check(task: str | int, path: str | Path = ".", *, solution: bool = False) -> TaskReport:
    """Grade one task: its files in the folder ``path``, or queuesim's reference solution.

    ``task`` is its number (``12``) or one of its files (``"9-stock"``).

    Raises:
        queuesim.practice.UnknownTask: no task has that number or file.
        NotADirectoryError: ``path`` is not a folder.
    """
    found = find_task(task)
    return grade(found, _submission(path, solution))


def check_all(path: str | Path = ".", *, solution: bool = False) -> list[TaskReport]:
    """Grade every task, 0 to 13 (see :func:`check`)."""
    submission = _submission(path, solution)
    return [grade(task, submission) for task in TASKS]
