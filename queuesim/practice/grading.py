"""The machinery every task's checks share: named checks, their verdicts, and the code they grade.

A task's checker gets a :class:`Grader` and writes each check as a block::

    with grader.check("GET /list_products lists the four products", "stock-routes") as check:
        check.expect(EXPECTED, body)

A block passes when it ends normally. It fails when the check says so
(:meth:`Check.fail`, :meth:`Check.expect`), when the learner's code raises or
hangs (the message names the file and line; a stub reads "not written yet"),
or when a file does not load. Nothing escapes as a traceback.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from queuesim.practice.catalogue import Task, course_file_named
from queuesim.practice.feedback import Concept, concept
from queuesim.practice.learner import DEFAULT_TIME_LIMIT, LearnerError, Outcome, call, not_written
from queuesim.practice.loader import NOT_WRITTEN, LoadFailed, Submission
from queuesim.practice.report import CheckResult, TaskReport

__all__ = ["Check", "CheckFailed", "Grader", "is_stub", "need", "shown"]


class CheckFailed(Exception):
    """Raised inside a check block: the learner's code did not do what was expected."""

    def __init__(self, expected: str | None, got: str | None, concept_key: str | None = None) -> None:
        super().__init__(got)
        self.expected = expected
        self.got = got
        self.concept_key = concept_key


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def shown(value: Any) -> str:
    """A value as a message shows it: strings quoted, lists of lines one per line, no memory addresses
    (``<coroutine object … at 0x7f…>``), so a message is the same on every run."""
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        text = "\n" + "\n".join(f"    {v}" for v in value)
    elif isinstance(value, list | tuple) and not value:
        text = "nothing" if isinstance(value, list) else "()"
    else:
        text = repr(value)
    return _ADDRESS.sub("", text)


class Check:
    """One named check inside a ``with grader.check(...)`` block."""

    def __init__(self, name: str, concept_key: str) -> None:
        self.name = name
        self.concept_key = concept_key

    def __repr__(self) -> str:
        return f"<Check {self.name!r}>"

    def fail(self, expected: Any, got: Any, concept_key: str | None = None) -> NoReturn:
        """End the check as failed; ``concept_key`` overrides the check's own hint."""
        raise CheckFailed(
            expected if expected is None or isinstance(expected, str) else shown(expected),
            got if got is None or isinstance(got, str) else shown(got),
            concept_key,
        )

    def expect(
        self,
        expected: Any,
        got: Any,
        *,
        diagnose: Callable[[Any], str | None] | None = None,
    ) -> None:
        """Fail unless ``got == expected``; ``diagnose(got)`` may name the concept of a known mistake."""
        if got == expected:
            return
        key = diagnose(got) if diagnose is not None else None
        self.fail(shown(expected), shown(got), key)

    def require(self, condition: bool, expected: str, got: str, concept_key: str | None = None) -> None:
        """Fail unless ``condition`` holds."""
        if not condition:
            self.fail(expected, got, concept_key)


class Grader:
    """Runs one task's checks on a submission and collects their verdicts."""

    def __init__(self, task: Task, submission: Submission) -> None:
        self.task = task
        self.submission = submission
        self.results: list[CheckResult] = []
        self.notes: list[str] = []
        #: Substrings of a learner's error message that reveal a known mistake → its concept.
        self.error_concepts: dict[str, str] = {}
        self._loaded: dict[str, ModuleType | None] = {}

    def __repr__(self) -> str:
        return f"<Grader task {self.task.number}: {len(self.results)} checks>"

    # ------------------------------------------------------------------ the learner's files
    def load(self, name: str) -> ModuleType | None:
        """The course file ``name``, loaded once; its first load is a check of its own ("<file> loads").

        Returns ``None`` when it does not load (the failed check says why).
        """
        if name in self._loaded:
            return self._loaded[name]
        file = course_file_named(name)
        module: ModuleType | None = None
        with self.check(f"{file.filename} loads", "loads"):
            module = self.submission.module(file)
        self._loaded[name] = module
        return module

    def implemented(self, name: str, *functions: str) -> ModuleType | None:
        """The course file ``name`` if it loads and none of ``functions`` is still a stub, else ``None``.

        Used to pair a learner's file with another of theirs only once both are written;
        it records no check.
        """
        try:
            module = self.submission.module(course_file_named(name))
        except LoadFailed:
            return None
        for function in functions:
            if is_stub(getattr(module, function, None)):
                return None
        return module

    def files(self) -> list[Path]:
        """The files an error message may point into."""
        return self.submission.paths()

    def call(self, func: Callable[..., Any], *args: Any, time_limit: float = DEFAULT_TIME_LIMIT,
             keep_output: bool = True, name: str | None = None, **kwargs: Any) -> Outcome:
        """Call the learner's ``func`` (see :func:`queuesim.practice.learner.call`); ``name``: what messages
        call it, when not its ``__name__``."""
        return call(func, *args, files=self.files(), time_limit=time_limit, keep_output=keep_output, name=name,
                    **kwargs)

    # ------------------------------------------------------------------ checks
    @contextmanager
    def check(self, name: str, concept_key: str) -> Iterator[Check]:
        """A named check (see the module docstring); ``concept_key`` is its hint when it fails."""
        check = Check(name, concept_key)
        try:
            yield check
        except CheckFailed as failed:
            self._record(name, False, failed.expected, failed.got, failed.concept_key or concept_key)
        except LearnerError as error:
            self._record(name, False, None, str(error), self._error_concept(error, concept_key))
        except LoadFailed as error:
            self._record(name, False, None, str(error), "loads")
        except Exception as error:  # the learner's objects can break a check anywhere: say so, no traceback
            self._record(name, False, None, f"the check could not finish: {type(error).__name__}: {error}",
                         concept_key)
        else:
            self._record(name, True)

    def _error_concept(self, error: LearnerError, default: str) -> str:
        if error.error is not None and not_written(error.error):
            return "not-written"
        text = str(error)
        for fragment, key in self.error_concepts.items():
            if fragment in text:
                return key
        return default

    def _record(self, name: str, passed: bool, expected: str | None = None, got: str | None = None,
                concept_key: str | None = None) -> None:
        hint: Concept | None = None if passed or concept_key is None else concept(concept_key)
        self.results.append(CheckResult(name, passed, expected, got, hint))

    def note(self, text: str) -> None:
        """Add a remark to the report (not a check)."""
        self.notes.append(text)

    def report(self) -> TaskReport:
        """The task's report."""
        return TaskReport(self.task, list(self.results), list(self.notes), self.submission.solution)


def need(module: ModuleType, name: str) -> Any:
    """``module.name``, which must be there (inside a check block: fails it otherwise)."""
    value = getattr(module, name, None)
    if value is None:
        file = Path(getattr(module, "__file__", None) or "the file").name
        raise CheckFailed(f"{name} in {file}", f"{file} has no {name}", "not-written")
    return value


def is_stub(func: Any) -> bool:
    """Whether ``func`` is missing or still a stub: its body (after the docstring) only raises NotImplementedError,
    or is only ``...``."""
    if func is None or getattr(func, NOT_WRITTEN, False):
        return True
    try:
        source = textwrap.dedent(inspect.getsource(func))
        node = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return False
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[0].value.value is Ellipsis
    return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0])
