"""The task catalogue: every course file under the course's name, found by number or by name."""

from __future__ import annotations

import pytest

from queuesim.practice import TASKS, UnknownTask, find_task
from queuesim.practice.catalogue import course_file_named

COURSE_FILES = [
    "0-redis_client", "1-redis_op", "2-redis_op_async", "4-redis_advanced_op", "5-subscriber", "5-publisher",
    "6-job_creator", "6-job_processor", "7-job_creator", "7-job_processor", "8-job", "8-job-main", "8-job_test",
    "9-stock", "100-seat",
]


def test_the_files_are_the_courses_in_course_order() -> None:
    assert [f.name for task in TASKS for f in task.files] == COURSE_FILES
    assert [task.number for task in TASKS] == list(range(14))


@pytest.mark.parametrize(("name", "number"), [
    (12, 12), ("12", 12), ("9-stock", 12), ("9-stock.py", 12), ("9-stock.js", 12), ("0", 0),
    ("8-job.test", 11), ("8-job.test.js", 11), ("8-job-main", 10), ("5-publisher", 5), (" 13 ", 13),
])
def test_a_task_is_found_by_number_or_by_file(name: str | int, number: int) -> None:
    assert find_task(name).number == number


@pytest.mark.parametrize("name", ["14", "-1", "9-stocks", "", "١٢", "3-redis"])
def test_an_unknown_task_names_the_known_ones(name: str) -> None:
    with pytest.raises(UnknownTask, match=r"give a number from 0 to 13 or a course file .*9-stock"):
        find_task(name)


@pytest.mark.parametrize("name", [None, True, 1.5])
def test_a_task_is_a_number_or_a_name(name: object) -> None:
    with pytest.raises(TypeError, match="a task is a number or a course file name"):
        find_task(name)  # type: ignore[arg-type]


def test_course_files_by_name() -> None:
    assert course_file_named("8-job.test.js").filename == "8-job_test.py"
    with pytest.raises(UnknownTask, match="no course file named '8-jobs'"):
        course_file_named("8-jobs")


def test_each_task_names_its_notebook_by_the_agreed_scheme() -> None:
    for task in TASKS:
        assert task.notebook.startswith(f"task{task.number:02d}") or task.notebook.startswith(
            f"task{task.number - 1:02d}-{task.number:02d}"
        ), task
