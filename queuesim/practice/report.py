"""What ``queuesim check`` says: each check's verdict with what was expected, what came, and a hint.

A :class:`TaskReport` prints as text for a terminal or a notebook, and as the
JSON object ``{"task", "passed", "checks": [{"name", "passed", "message"}]}``
for tools.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import Any

from queuesim.practice.catalogue import Task
from queuesim.practice.feedback import Concept

__all__ = ["CheckResult", "TaskReport"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: its name, its verdict and, when it failed, what was expected, what came and why."""

    name: str
    passed: bool
    expected: str | None = None
    got: str | None = None
    #: The concept the learner's code is missing (failed checks only).
    concept: Concept | None = None

    def __repr__(self) -> str:
        return f"<CheckResult {'passed' if self.passed else 'FAILED'} {self.name!r}>"

    @property
    def message(self) -> str:
        """One paragraph: "passed", or what was expected, what came, the hint and where to read."""
        if self.passed:
            return "passed"
        parts = []
        if self.expected is not None:
            parts.append(f"expected: {self.expected}")
        if self.got is not None:
            parts.append(f"got: {self.got}")
        if self.concept is not None:
            parts.append(f"hint: {self.concept.text}")
            parts.append(f"read: {self.concept.pointer}")
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        """``{"name", "passed", "message"}``."""
        return {"name": self.name, "passed": self.passed, "message": self.message}


@dataclass(slots=True)
class TaskReport:
    """The checks of one task, in the order they ran."""

    task: Task
    checks: list[CheckResult] = field(default_factory=list)
    #: Remarks that are not checks (e.g. which half of a pair was queuesim's own).
    notes: list[str] = field(default_factory=list)
    #: ``True`` when queuesim's reference solution was graded, not the learner's files.
    solution: bool = False

    def __repr__(self) -> str:
        return f"<TaskReport task {self.task.number}: {self.passed_count}/{len(self.checks)} passed>"

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """In IPython and Jupyter, a report shows as its text."""
        printer.text(self.text())

    @property
    def passed(self) -> bool:
        """Whether there were checks and every one passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def passed_count(self) -> int:
        """How many checks passed."""
        return sum(c.passed for c in self.checks)

    def text(self) -> str:
        """The report for a terminal: one line per check, details under each failed one."""
        whose = " — queuesim's reference solution" if self.solution else ""
        lines = [f"{self.task.label}{whose}"]
        for result in self.checks:
            lines.append(f"  {'PASS' if result.passed else 'FAIL'}  {result.name}")
            if not result.passed:
                for paragraph in result.message.splitlines():
                    lines.append(textwrap.indent(paragraph, "          "))
        lines.extend(f"  note: {note}" for note in self.notes)
        verdict = "all passed" if self.passed else "not yet"
        lines.append(f"  {self.passed_count} of {len(self.checks)} checks passed: {verdict}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """``{"task", "passed", "checks": [{"name", "passed", "message"}], ...}`` (plus title, files, notes)."""
        return {
            "task": self.task.number,
            "title": self.task.title,
            "files": [f.filename for f in self.task.files],
            "solution": self.solution,
            "passed": self.passed,
            "checks": [c.to_json() for c in self.checks],
            "notes": list(self.notes),
        }

    def json_line(self) -> str:
        """:meth:`to_json` as one line of JSON."""
        return json.dumps(self.to_json(), ensure_ascii=False)
