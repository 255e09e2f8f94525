"""``queuesim practice init DIR``: one stub per course file, under the course's names, never over a learner's work.

The stubs are the modules of :mod:`queuesim.practice.stubs`, copied as they are
(so what the learner gets is what ruff and mypy checked here).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from queuesim.practice.catalogue import TASKS, CourseFile

__all__ = ["FilesExist", "Written", "init", "stub_source"]

_STUBS = "queuesim.practice.stubs"


class FilesExist(FileExistsError):
    """The folder already holds practice files; nothing was written."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        super().__init__(
            f"{folder} already holds {listed}: they may hold your work, so nothing was written. "
            "To replace them with fresh stubs, losing what they hold, add --force "
            "(in Python: init(folder, force=True))."
        )
        self.folder = folder
        self.names = names


@dataclass(frozen=True, slots=True)
class Written:
    """What :func:`init` did: the folder and the files it wrote, in course order."""

    folder: Path
    files: tuple[Path, ...]

    def __repr__(self) -> str:
        return f"<Written {len(self.files)} files in {self.folder}>"


def course_files() -> list[CourseFile]:
    """Every course file, in course order."""
    return [f for task in TASKS for f in task.files]


def stub_source(file: CourseFile) -> str:
    """The text of ``file``'s stub."""
    return (resources.files(_STUBS) / f"{file.module}.py").read_text(encoding="utf-8")


def init(folder: str | Path, *, force: bool = False) -> Written:
    """Write one stub per course file into ``folder`` (made if missing).

    Raises:
        FilesExist: a course file is there already (and ``force`` is false); nothing is written.
        NotADirectoryError: ``folder`` exists and is not a directory.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder")
    files = course_files()
    present = [f.filename for f in files if (target / f.filename).exists()]
    if present and not force:
        raise FilesExist(target, present)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for file in files:
        path = target / file.filename
        path.write_text(stub_source(file), encoding="utf-8")
        written.append(path)
    return Written(target, tuple(written))
