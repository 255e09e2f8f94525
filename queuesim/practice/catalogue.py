"""The course's tasks and the files a learner writes for each, under the course's own names.

The course "Queuing System in JS" numbers its tasks 0-13 (docs/SPEC.md) and
names each file the student writes (``0-redis_client.js`` … ``100-seat.js``).
The file route keeps those names with ``.py``; the Mocha test file
``8-job.test.js`` becomes ``8-job_test.py``, a name pytest collects by itself.
A task is named on the command line by its number or by one of its files.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TASKS", "CourseFile", "Task", "UnknownTask", "course_file_named", "find_task"]


class UnknownTask(LookupError):
    """No task has that number or file name; the message lists the known ones."""


@dataclass(frozen=True, slots=True)
class CourseFile:
    """A file the learner writes: its course name and the modules behind its stub and its solution."""

    #: The course's name without extension, e.g. ``"9-stock"``.
    name: str
    #: The module of the stub and of the reference solution (``queuesim.practice.stubs.<module>``,
    #: ``queuesim.practice.solutions.<module>``): course names are not importable names.
    module: str

    def __repr__(self) -> str:
        return f"<CourseFile {self.filename}>"

    @property
    def filename(self) -> str:
        """The file's name in the learner's folder, e.g. ``9-stock.py``."""
        return f"{self.name}.py"


@dataclass(frozen=True, slots=True)
class Task:
    """One task of the course: its number, its title, its files, its notebook and its checks."""

    number: int
    title: str
    files: tuple[CourseFile, ...]
    #: The notebook that teaches it, without ``.ipynb`` (``notebooks/<notebook>.ipynb``).
    notebook: str
    #: ``"module:function"`` of the function that checks it (imported on first use).
    checker: str

    def __repr__(self) -> str:
        return f"<Task {self.number} {self.title!r}>"

    @property
    def label(self) -> str:
        """``Task 12 — In stock? (9-stock.py)``."""
        files = ", ".join(f.filename for f in self.files)
        return f"Task {self.number} — {self.title}" + (f" ({files})" if files else "")


def _file(name: str, module: str) -> CourseFile:
    return CourseFile(name, module)


_CHECKS = "queuesim.practice.checks"

#: Every task of the course, in order.
TASKS: tuple[Task, ...] = (
    Task(0, "A Redis instance", (), "task00_redis_instance", f"{_CHECKS}.instance:check_instance"),
    Task(1, "Redis client", (_file("0-redis_client", "redis_client"),), "task01_redis_client",
         f"{_CHECKS}.basics:check_client"),
    Task(2, "Basic operations", (_file("1-redis_op", "redis_op"),), "task02_basic_operations",
         f"{_CHECKS}.basics:check_operations"),
    Task(3, "Async operations", (_file("2-redis_op_async", "redis_op_async"),), "task03_async_operations",
         f"{_CHECKS}.basics:check_async_operations"),
    Task(4, "Hashes", (_file("4-redis_advanced_op", "redis_advanced_op"),), "task04_hashes",
         f"{_CHECKS}.basics:check_hashes"),
    Task(5, "Publisher and subscriber", (_file("5-subscriber", "subscriber"), _file("5-publisher", "publisher")),
         "task05_pubsub", f"{_CHECKS}.pubsub:check_pubsub"),
    Task(6, "Job creator", (_file("6-job_creator", "job_creator"),), "task06-07_job_creator_processor",
         f"{_CHECKS}.jobs:check_creator"),
    Task(7, "Job processor", (_file("6-job_processor", "job_processor"),), "task06-07_job_creator_processor",
         f"{_CHECKS}.jobs:check_processor"),
    Task(8, "Progress and errors: the creator", (_file("7-job_creator", "progress_creator"),),
         "task08-09_progress_and_errors", f"{_CHECKS}.jobs:check_progress_creator"),
    Task(9, "Progress and errors: the processor", (_file("7-job_processor", "progress_processor"),),
         "task08-09_progress_and_errors", f"{_CHECKS}.jobs:check_progress_processor"),
    Task(10, "The job creation function", (_file("8-job", "job_creation"), _file("8-job-main", "job_main")),
         "task10_job_creation_function", f"{_CHECKS}.job_creation:check_job_creation"),
    Task(11, "Testing job creation", (_file("8-job_test", "job_creation_tests"),), "task11_testing_job_creation",
         f"{_CHECKS}.job_tests:check_job_tests"),
    Task(12, "In stock?", (_file("9-stock", "stock"),), "task12_stock", f"{_CHECKS}.stock:check_stock"),
    Task(13, "Can I have a seat?", (_file("100-seat", "seat"),), "task13_seats", f"{_CHECKS}.seats:check_seats"),
)

_BY_NAME: dict[str, Task] = {f.name: task for task in TASKS for f in task.files}
_FILES: dict[str, CourseFile] = {f.name: f for task in TASKS for f in task.files}
# the course's own spellings that differ from ours
_ALIASES = {"8-job.test": "8-job_test"}


def _normal(name: str) -> str:
    for suffix in (".py", ".js"):
        name = name.removesuffix(suffix)
    return _ALIASES.get(name, name)


def find_task(name: str | int) -> Task:
    """The task with this number (``12``, ``"12"``) or with a file of this name (``"9-stock"``, ``"9-stock.py"``).

    Raises:
        UnknownTask: nothing matches; the message lists the tasks.
    """
    if isinstance(name, bool) or not isinstance(name, int | str):
        raise TypeError(f"a task is a number or a course file name, not {type(name).__name__}")
    text = str(name).strip()
    if text.isdecimal() and text.isascii():
        number = int(text)
        if 0 <= number < len(TASKS):
            return TASKS[number]
    task = _BY_NAME.get(_normal(text))
    if task is None:
        known = ", ".join(f.name for t in TASKS for f in t.files)
        raise UnknownTask(
            f"no task named {text!r}: give a number from 0 to {len(TASKS) - 1} or a course file ({known})"
        )
    return task


def course_file_named(name: str) -> CourseFile:
    """The course file called ``name`` (``"8-job"``, ``"8-job.py"``, ``"8-job.test.js"``).

    Raises:
        UnknownTask: no course file has that name.
    """
    found = _FILES.get(_normal(name))
    if found is None:
        raise UnknownTask(f"no course file named {name!r}; known: {', '.join(_FILES)}")
    return found
