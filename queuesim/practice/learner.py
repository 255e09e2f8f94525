"""Running a learner's code: in a thread with a time limit, its printed lines kept, its errors told in one line.

A learner's function may hang (a subscriber that never stops, a retry loop that
never ends), print from other threads (a job's event listener, a worker), or
raise anything. :func:`call` runs it on a daemon thread and waits at most a
time limit; :class:`Output` keeps every line printed meanwhile, from any
thread, and lets a check wait for a line; :func:`describe_error` turns an
exception into one line naming the learner's file and line, never a traceback.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "LearnerError",
    "NotWritten",
    "Outcome",
    "Output",
    "Running",
    "call",
    "capture",
    "describe_call",
    "describe_error",
    "install_hint",
    "missing_package",
    "not_written",
    "show",
    "start",
]

#: Seconds a learner's function may run before a check gives up on it.
DEFAULT_TIME_LIMIT = 20.0


class Output(io.TextIOBase):
    """Lines printed while it is ``sys.stdout``, from any thread; a check can wait for a line."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = threading.Condition()
        self._text = ""

    def __repr__(self) -> str:
        return f"<Output {len(self.lines)} lines>"

    def writable(self) -> bool:
        """Always: it is written to."""
        return True

    def write(self, text: str) -> int:
        """Keep ``text`` (``print`` writes the line and its newline separately)."""
        with self._changed:
            self._text += str(text)
            self._changed.notify_all()
        return len(text)

    @property
    def lines(self) -> list[str]:
        """The complete lines printed so far (a last line without its newline included)."""
        with self._changed:
            text = self._text
        return text.splitlines()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float) -> bool:
        """Wait until ``predicate(lines)`` holds; False if ``timeout`` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self._text.splitlines()), timeout)


@contextlib.contextmanager
def capture() -> Iterator[Output]:
    """Make ``sys.stdout`` an :class:`Output` (for every thread) while the block runs."""
    output = Output()
    with contextlib.redirect_stdout(output):
        yield output


class LearnerError(Exception):
    """The learner's code raised, hung or could not run; ``str()`` says how, in one line."""

    def __init__(self, message: str, error: BaseException | None = None, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        #: The exception the learner's code raised, if any.
        self.error = error
        #: The lines it printed before (when they were kept).
        self.lines = list(lines)


@dataclass(slots=True)
class Outcome:
    """What a call to the learner's code did: its value, the lines it printed, the warnings it caused."""

    value: Any = None
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Seconds it took (checks use it as a lower bound only: "waited at least ...").
    seconds: float = 0.0


class NotWritten(NotImplementedError):
    """Raised by a learner's function whose body is still only ``...`` (a stub not filled in yet)."""

    def __init__(self, name: str, filename: str, line: int) -> None:
        super().__init__(f"{name} is not written yet")
        self.name = name
        self.filename = filename
        self.line = line


def not_written(error: BaseException) -> bool:
    """Whether ``error`` says the stub was not filled in (it still raises ``NotImplementedError``, or is ``...``)."""
    return isinstance(error, NotImplementedError)


def describe_error(error: BaseException, files: Sequence[Path] = ()) -> str:
    """One line for ``error``: what it is, and where in the learner's ``files`` it was raised.

    A stub's ``NotImplementedError`` (or a body of only ``...``) reads "is not written yet".
    """
    if isinstance(error, NotWritten):
        return f"is not written yet: its body is still `...` (in {error.filename}, line {error.line})"
    where = _learner_line(error, files)
    package = missing_package(error)
    if package is not None:
        return f"imports {package}{where}, which is not installed here: {install_hint(package)}, or remove the import"
    if not_written(error):
        return f"is not written yet: it still raises NotImplementedError{where}"
    text = str(error)
    name = type(error).__name__
    return f"raised {name}{': ' + text if text else ''}{where}"


def missing_package(error: BaseException) -> str | None:
    """The package an import failed to find (``requests`` for ``No module named 'requests'``), or None.

    None too when the package is there and only a module inside it is missing
    (``No module named 'redis.nothing'``): that is a wrong name, not a missing install.
    """
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    top = error.name.partition(".")[0]
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    return top if found is None else None


def install_hint(package: str) -> str:
    """How to install ``package`` where queuesim runs."""
    return f"`python -m pip install {package}` in the environment queuesim runs in"


def describe_call(name: str, error: BaseException, files: Sequence[Path] = ()) -> str:
    """One line for ``error`` raised by a call of the learner's ``name``: ``name raised …``, ``name is not
    written yet …``, or ``name calls other, which is not written yet …`` (a stub left as ``...`` inside)."""
    if isinstance(error, NotWritten) and error.name != name:
        return f"{name} calls {error.name}, which {describe_error(error, files)}"
    return f"{name} {describe_error(error, files)}"


def _learner_line(error: BaseException, files: Sequence[Path]) -> str:
    if not files:
        return ""
    wanted = {str(f.resolve()) for f in files}
    found = ""
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            resolved = str(Path(frame.filename).resolve())
        except OSError:
            continue
        if resolved in wanted:
            found = f" in {Path(frame.filename).name}, line {frame.lineno}"
    return found


class Running:
    """The learner's function running on a daemon thread (see :func:`start`)."""

    def __init__(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 files: Sequence[Path], name: str | None = None) -> None:
        #: What messages call it: the learner's name for it (its ``__name__`` unless told).
        self.name: str = name or str(getattr(func, "__name__", "the code"))
        self.files = list(files)
        self._result: dict[str, Any] = {}
        self._done = threading.Event()
        self._started = time.monotonic()
        self.thread = threading.Thread(target=self._target, args=(func, args, kwargs), name=f"learner-{self.name}",
                                       daemon=True)
        self.thread.start()

    def __repr__(self) -> str:
        return f"<Running {self.name} {'done' if self.done else 'running'}>"

    def _target(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._result["value"] = func(*args, **kwargs)
            self._result["warnings"] = [str(w.message) for w in caught]
        except BaseException as exc:  # the learner's error, reported by the waiting thread
            self._result["error"] = exc
        finally:
            self._result["seconds"] = time.monotonic() - self._started
            self._done.set()

    @property
    def done(self) -> bool:
        """Whether the function has returned or raised."""
        return self._done.is_set()

    def wait(self, time_limit: float, output: Output | None = None) -> Outcome:
        """Its outcome, once it ends (``output``: where its lines went).

        Raises:
            LearnerError: it raised, or still runs after ``time_limit`` seconds (left behind, as a daemon).
        """
        finished = self._done.wait(time_limit)
        lines = output.lines if output is not None else []
        if not finished:
            raise LearnerError(
                f"{self.name} did not return within {time_limit:g} s (does it wait forever?)", None, lines
            )
        error = self._result.get("error")
        if error is not None:
            if isinstance(error, SystemExit | KeyboardInterrupt):
                message = f"{self.name} stopped the program ({type(error).__name__}); a function must return"
                raise LearnerError(message, error, lines)
            raise LearnerError(describe_call(self.name, error, self.files), error, lines)
        return Outcome(self._result.get("value"), lines, list(self._result.get("warnings", [])),
                       float(self._result.get("seconds", 0.0)))


def start(func: Callable[..., Any], *args: Any, files: Sequence[Path] = (), name: str | None = None,
          **kwargs: Any) -> Running:
    """Start ``func(*args, **kwargs)`` on a daemon thread; :meth:`Running.wait` gives its outcome.

    ``name`` is what messages call it (the learner's term), when not ``func.__name__``.
    """
    return Running(func, args, kwargs, files, name)


def call(
    func: Callable[..., Any],
    *args: Any,
    files: Sequence[Path] = (),
    time_limit: float = DEFAULT_TIME_LIMIT,
    keep_output: bool = True,
    name: str | None = None,
    **kwargs: Any,
) -> Outcome:
    """Run ``func(*args, **kwargs)`` on a daemon thread for at most ``time_limit`` seconds.

    With ``keep_output`` its printed lines are kept in the outcome (not shown);
    otherwise they go wherever ``sys.stdout`` already goes (a capture around
    the whole check). Warnings it causes (a coroutine never awaited) are kept.
    ``name`` is what messages call it, when not ``func.__name__`` (a check's wrapper
    around the learner's function).

    Raises:
        LearnerError: it raised (the message names the learner's file and line from ``files``),
            or did not return in time (its thread is left behind, as a daemon).
    """
    if not keep_output:
        return start(func, *args, files=files, name=name, **kwargs).wait(time_limit)
    with capture() as output:
        return start(func, *args, files=files, name=name, **kwargs).wait(time_limit, output)


def show(lines: Sequence[str], limit: int = 12) -> str:
    """Printed lines for a message: each on its own line, at most ``limit`` (then how many more)."""
    if not lines:
        return "(nothing printed)"
    shown = list(lines[:limit])
    if len(lines) > limit:
        shown.append(f"… and {len(lines) - limit} more lines")
    return "\n".join(shown)
