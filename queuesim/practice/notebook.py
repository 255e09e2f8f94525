"""Grading what a learner wrote in a practice notebook, with the very checks of ``queuesim check``.

A practice notebook (``notebooks/practice/taskNN_<name>.ipynb``, made by ``make
practice`` with otter-grader) holds one code cell per course file, whose first
line names the file (``# 9-stock.py``). Its check cell, otter's
``grader.check("task12")``, runs a test that calls :func:`check_cells`: the last
run of each such cell is written, as it is, under its course name into a practice
folder, and the folder is graded as ``queuesim check 12 --path FOLDER`` grades it
(a function whose body is still ``...`` is not written yet, and line numbers are
the cell's). The same checks, the same messages::

    from queuesim.practice.notebook import check_cells
    verdict = check_cells(12)          # in the notebook: the cells as last run
    assert verdict.passed, verdict.message

Outside a kernel, give the cells' text: ``check_cells(12, sources={"9-stock": text})``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queuesim.practice.catalogue import Task, UnknownTask, course_file_named, find_task
from queuesim.practice.checking import grade
from queuesim.practice.loader import FolderSubmission
from queuesim.practice.report import CheckResult, TaskReport

__all__ = ["NotebookVerdict", "cell_file", "cell_sources", "check_cells", "write_cells"]

#: The first line of a course file's cell: ``# 9-stock.py``.
MARKER = re.compile(r"^#\s*(?P<name>\d[\w.-]*\.py)\s*$")


@dataclass(frozen=True, slots=True)
class NotebookVerdict:
    """The report of one task graded from a notebook, and what the check cell asserts."""

    report: TaskReport
    #: The course files of the task whose cell has not run in this kernel.
    not_run: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<NotebookVerdict task {self.report.task.number}: {'passed' if self.passed else 'not yet'}>"

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """In IPython and Jupyter, a verdict shows as its message."""
        printer.text(self.message)

    @property
    def passed(self) -> bool:
        """Whether every cell of the task ran and every check passed."""
        return not self.not_run and self.report.passed

    @property
    def message(self) -> str:
        """The report as ``queuesim check`` prints it: each check, and under a failed one expected, got, hint."""
        return self.report.text()


def cell_file(source: str) -> str | None:
    """The course file a cell holds (``"9-stock"``), named by its first non-blank line; ``None`` for another cell."""
    for line in source.splitlines():
        if line.strip():
            match = MARKER.match(line.strip())
            if match is None:
                return None
            try:
                return course_file_named(match["name"]).name
            except UnknownTask:
                return None
    return None


def cell_sources(history: Iterable[str]) -> dict[str, str]:
    """The last run of each course file's cell in ``history`` (cells' text, oldest first), by course name."""
    found: dict[str, str] = {}
    for source in history:
        name = cell_file(source)
        if name is not None:
            found[name] = source
    return found


def _history(env: Mapping[str, Any] | None) -> list[str]:
    """The text of the cells run so far in this kernel, oldest first (IPython's ``In``)."""
    try:
        from IPython import get_ipython  # only inside a kernel
    except ImportError:  # pragma: no cover - Jupyter always has IPython
        get_ipython = None
    shell = get_ipython() if get_ipython is not None else None
    if shell is not None:
        return [str(text) for text in shell.history_manager.input_hist_raw]
    inputs = (env or {}).get("In", [])
    return [str(text) for text in inputs]


def write_cells(sources: Mapping[str, str], folder: str | Path) -> list[Path]:
    """Write each cell's text, as it is, into ``folder`` under its course name (``9-stock.py``); the files."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in sources.items():
        path = target / course_file_named(name).filename
        path.write_text(source if source.endswith("\n") else source + "\n", encoding="utf-8")
        written.append(path)
    return written


def _not_run(task: Task, missing: list[str]) -> TaskReport:
    checks = [
        CheckResult(f"the cell of {name}.py has run", False,
                    expected=f"the cell that starts with `# {name}.py` run before this check",
                    got="it has not run in this kernel")
        for name in missing
    ]
    return TaskReport(task, checks)


def check_cells(
    task: str | int,
    env: Mapping[str, Any] | None = None,
    *,
    sources: Mapping[str, str] | None = None,
    folder: str | Path | None = None,
) -> NotebookVerdict:
    """Grade ``task`` from the notebook's cells, with the checks of ``queuesim check``.

    Args:
        task: its number (``12``) or one of its course files (``"9-stock"``).
        env: the notebook's global names (otter passes them to its tests); where no IPython kernel
            runs, their ``In`` is the cells' history.
        sources: the cells' text by course name, instead of the kernel's history.
        folder: where to write the files (kept, to run ``queuesim check TASK --path FOLDER`` on them);
            by default a temporary folder, removed afterwards.

    Raises:
        queuesim.practice.UnknownTask: no task has that number or file.
    """
    found = find_task(task)
    cells = dict(sources) if sources is not None else cell_sources(_history(env))
    cells = {course_file_named(name).name: text for name, text in cells.items()}
    missing = [f.name for f in found.files if f.name not in cells]
    if missing:
        return NotebookVerdict(_not_run(found, missing), tuple(missing))
    if folder is not None:
        return _graded(found, cells, Path(folder))
    with tempfile.TemporaryDirectory(prefix="queuesim-practice-") as temporary:
        return _graded(found, cells, Path(temporary))


def _graded(task: Task, cells: Mapping[str, str], folder: Path) -> NotebookVerdict:
    write_cells(cells, folder)
    return NotebookVerdict(grade(task, FolderSubmission(folder)))
