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

import importlib
import importlib.util
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Protocol

import fakeredis
import redis

from queuesim.practice.catalogue import CourseFile, course_file_named
from queuesim.practice.learner import LearnerError, call, describe_error

__all__ = [
    "SOLUTIONS_PACKAGE",
    "FolderSubmission",
    "LoadFailed",
    "ReferenceSubmission",
    "Submission",
    "course_file",
    "fresh_client",
    "load_path",
    "redirected",
]

#: The package holding queuesim's reference solutions, one module per course file.
SOLUTIONS_PACKAGE = "queuesim.practice.solutions"
_SOLUTIONS_DIR = Path(__file__).resolve().parent / "solutions"
_LOAD_TIME_LIMIT = 20.0
_counter = itertools.count(1)


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
        detail = describe_error(error, [path]) if error is not None else str(exc)
        raise LoadFailed(f"{path.name} does not load: {detail}") from None
    return module


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
