"""Practice mode: the learner writes every course file, and queuesim checks it.

``queuesim practice init DIR`` writes one stub per course file; ``queuesim check
TASK --path DIR`` grades one task (``check --all`` every task). From Python or
a notebook::

    from queuesim.practice import check
    check("9-stock", path="practice")     # a report: each check, expected, got, a hint

See docs/practice.md.
"""

from queuesim.practice.catalogue import TASKS, CourseFile, Task, UnknownTask, find_task
from queuesim.practice.checking import check, check_all
from queuesim.practice.notebook import check_cells
from queuesim.practice.report import CheckResult, TaskReport
from queuesim.practice.templates import FilesExist, init

__all__ = [
    "TASKS",
    "CheckResult",
    "CourseFile",
    "FilesExist",
    "Task",
    "TaskReport",
    "UnknownTask",
    "check",
    "check_all",
    "check_cells",
    "find_task",
    "init",
]
