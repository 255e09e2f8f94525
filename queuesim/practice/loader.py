"""Loading what is graded: the learner's files from a folder, or queuesim's reference solutions.

Course file names (``9-stock.py``, ``8-job-main.py``) are not importable module
names, so a learner's file is loaded from its path, each time under a new
module name: a check can load it twice to play two server processes, and an
edited file is read again on the next check. A file that does not load gives
one line (the error and its line number), never a traceback.

Files that use another course file (``8-job-main.py`` and ``8-job_test.py``
use ``8-job.py``) get it with :func:`course_file`, which a check can redirect
(to grade a learner's tests against deliberately wrong versions).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
import itertools
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any, Protocol

import fakeredis
import redis

from queuesim.practice.catalogue import CourseFile, course_file_named
from queuesim.practice.learner import LearnerError, NotWritten, call, describe_error, install_hint, missing_package

__all__ = [
    "NOT_WRITTEN",
    "SOLUTIONS_PACKAGE",
    "FolderSubmission",
    "LoadFailed",
    "ReferenceSubmission",
    "Submission",
    "Unwritten",
    "course_file",
    "defined_names",
    "fresh_client",
    "load_path",
    "redirected",
    "unwritten_functions",
]

#: The package holding queuesim's reference solutions, one module per course file.
SOLUTIONS_PACKAGE = "queuesim.practice.solutions"
_SOLUTIONS_DIR = Path(__file__).resolve().parent / "solutions"
_LOAD_TIME_LIMIT = 20.0
_counter = itertools.count(1)
#: The attribute set on a function that stands in for one whose body is only ``...``.
NOT_WRITTEN = "__queuesim_not_written__"


class LoadFailed(Exception):
    """A course file is missing or does not load; the message says why in one line."""


class Submission(Protocol):
    """What a check grades: one module per course file."""

    #: Whether this is queuesim's reference solution.
    solution: bool

    def module(self, file: CourseFile) -> ModuleType:
        """The file's module, loaded once per submission.

        Raises:
            LoadFailed: the file is missing or does not load.
        """
        ...

    def fresh(self, file: CourseFile) -> ModuleType:
        """A new instance of the file's module, as a second process would load it.

        Raises:
            LoadFailed: the file is missing or does not load.
        """
        ...

    def paths(self) -> list[Path]:
        """The files whose lines an error message may point at."""
        ...


def load_path(path: Path, name: str | None = None) -> ModuleType:
    """Load the Python file at ``path`` as a new module (not registered in ``sys.modules``).

    Raises:
        LoadFailed: the file is missing, has a syntax error, or raises while it loads.
    """
    if not path.is_file():
        raise LoadFailed(f"{path.name} is not in {path.parent}")
    module_name = name or f"queuesim_practice_{_identifier(path.stem)}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for paths that are not .py files
        raise LoadFailed(f"{path.name} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    try:
        call(loader.exec_module, module, files=[path], time_limit=_LOAD_TIME_LIMIT)
    except LearnerError as exc:
        error = exc.error
        if isinstance(error, SyntaxError):
            raise LoadFailed(
                f"{path.name} does not load: {type(error).__name__}: {error.msg} (line {error.lineno})"
            ) from None
        package = None if error is None else missing_package(error)
        if package is not None:
            raise LoadFailed(f"{path.name} does not load: it imports {package}{_line_in(error, path)}, which is not "
                             f"installed here: {install_hint(package)}, or remove the import") from None
        detail = describe_error(error, [path]) if error is not None else str(exc)
        raise LoadFailed(f"{path.name} does not load: {detail}") from None
    _mark_unwritten(module, path)
    return module


@dataclass(frozen=True, slots=True)
class Unwritten:
    """A top-level function of a learner's file whose body is only ``...`` (after its docstring)."""

    name: str
    #: The line of its ``...``.
    line: int
    #: Whether it has decorators (a pytest fixture): then it is reported, not replaced.
    decorated: bool


def _only_ellipsis(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and body[0].value.value is Ellipsis


def defined_names(node: ast.stmt) -> set[str]:
    """The names a top-level statement of a course file defines (a function, a class, a constant)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def unwritten_functions(source: str) -> list[Unwritten]:
    """The top-level functions of ``source`` whose body is only ``...`` (a stub left as it is); [] if it
    does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [Unwritten(node.name, node.body[-1].lineno, bool(node.decorator_list)) for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _only_ellipsis(node)]


def _mark_unwritten(module: ModuleType, path: Path) -> None:
    """Replace each undecorated function of ``module`` whose body is only ``...`` by one raising
    :class:`NotWritten`, so a stub left as ``...`` fails as "not written yet" instead of returning None."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    for stub in unwritten_functions(source):
        func = getattr(module, stub.name, None)
        if stub.decorated or not isinstance(func, FunctionType) or func.__code__.co_filename != str(path):
            continue
        setattr(module, stub.name, _raising(func, path.name, stub.line))


def _raising(func: FunctionType, filename: str, line: int) -> Callable[..., Any]:
    name = func.__name__
    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def not_written_async(*args: Any, **kwargs: Any) -> Any:
            raise NotWritten(name, filename, line)

        replacement: Callable[..., Any] = not_written_async
    else:
        @functools.wraps(func)
        def not_written(*args: Any, **kwargs: Any) -> Any:
            raise NotWritten(name, filename, line)

        replacement = not_written
    setattr(replacement, NOT_WRITTEN, True)
    return replacement


def _line_in(error: BaseException | None, path: Path) -> str:
    """`` (line N)``: the line of ``path`` the error came through, or nothing."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__ if error else None)
             if Path(frame.filename).resolve() == path.resolve()]
    return f" (line {lines[-1]})" if lines else ""


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


class FolderSubmission:
    """The learner's files in ``folder``, under the course's names."""

    solution = False

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._loaded: dict[str, ModuleType] = {}

    def __repr__(self) -> str:
        return f"<FolderSubmission {self.folder}>"

    def path(self, file: CourseFile) -> Path:
        """Where the file is (or should be)."""
        return self.folder / file.filename

    def module(self, file: CourseFile) -> ModuleType:
        """The learner's file, loaded once (see :class:`Submission`)."""
        if file.name not in self._loaded:
            path = self.path(file)
            if not path.is_file():
                raise LoadFailed(
                    f"{file.filename} is not in {self.folder}: `queuesim practice init {self.folder}` writes its stub"
                )
            self._loaded[file.name] = load_path(path)
        return self._loaded[file.name]

    def fresh(self, file: CourseFile) -> ModuleType:
        """The learner's file loaded again (see :class:`Submission`)."""
        return load_path(self.path(file))

    def paths(self) -> list[Path]:
        """The course files present in the folder."""
        return sorted(self.folder.glob("*.py"))


class ReferenceSubmission:
    """queuesim's reference solutions (``queuesim.practice.solutions``)."""

    solution = True

    def __repr__(self) -> str:
        return "<ReferenceSubmission>"

    def module(self, file: CourseFile) -> ModuleType:
        """The reference solution's module (see :class:`Submission`)."""
        return importlib.import_module(f"{SOLUTIONS_PACKAGE}.{file.module}")

    def fresh(self, file: CourseFile) -> ModuleType:
        """The reference solution loaded again from its file (see :class:`Submission`)."""
        return load_path(_SOLUTIONS_DIR / f"{file.module}.py")

    def paths(self) -> list[Path]:
        """The reference solutions' files."""
        return sorted(_SOLUTIONS_DIR.glob("*.py"))


_redirect_lock = threading.Lock()
_redirects: dict[str, ModuleType] = {}
_client_factory: list[Callable[[], redis.Redis]] = []


@contextmanager
def redirected(
    modules: Mapping[str, ModuleType], client_factory: Callable[[], redis.Redis] | None = None
) -> Iterator[None]:
    """While active, :func:`course_file` answers ``modules[name]`` for those course names,
    and :func:`fresh_client` answers ``client_factory()``.

    A check uses it to give the learner's ``8-job-main.py`` the module it grades,
    and the learner's tests deliberately wrong versions of ``8-job.py`` and a
    store the check looks into afterwards.
    """
    with _redirect_lock:
        saved, saved_factory = dict(_redirects), list(_client_factory)
        _redirects.update(modules)
        if client_factory is not None:
            _client_factory[:] = [client_factory]
    try:
        yield
    finally:
        with _redirect_lock:
            _redirects.clear()
            _redirects.update(saved)
            _client_factory[:] = saved_factory


def course_file(name: str, near: str | Path) -> ModuleType:
    """The course file ``name`` (e.g. ``"8-job"``) beside the file ``near`` (pass ``__file__``).

    While a check runs it may answer another module (see :func:`redirected`).
    Beside a reference solution, it answers the reference solution of ``name``.

    Raises:
        LoadFailed: the file is missing or does not load.
        queuesim.practice.catalogue.UnknownTask: no course file has that name.
    """
    wanted = course_file_named(name)
    with _redirect_lock:
        redirect = _redirects.get(wanted.name)
    if redirect is not None:
        return redirect
    folder = Path(near).resolve().parent
    if folder == _SOLUTIONS_DIR:
        return importlib.import_module(f"{SOLUTIONS_PACKAGE}.{wanted.module}")
    return load_path(folder / wanted.filename)


def fresh_client() -> redis.Redis:
    """A client on an empty store of its own (or, while a check runs, on the store it chose)."""
    with _redirect_lock:
        factory = _client_factory[0] if _client_factory else None
    if factory is not None:
        return factory()
    return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
