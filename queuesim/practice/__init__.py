"""Practice mode: the learner writes every course file, and queuesim checks it.

``queuesim practice init DIR`` writes one stub per course file.
"""

from queuesim.practice.catalogue import TASKS, CourseFile, Task, UnknownTask, find_task
from queuesim.practice.templates import FilesExist, init

__all__ = [
    "TASKS",
    "CourseFile",
    "FilesExist",
    "Task",
    "UnknownTask",
    "find_task",
    "init",
]
