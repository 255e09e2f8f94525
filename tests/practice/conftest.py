"""Fixtures for practice mode: practice folders holding the stubs, the reference solutions, or a wrong solution."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from queuesim.practice import TASKS, init
from queuesim.practice.catalogue import CourseFile
from queuesim.practice.loader import defined_names

SOLUTIONS = Path(__file__).resolve().parents[2] / "queuesim" / "practice" / "solutions"
WRONG = Path(__file__).resolve().parent / "wrong"
#: Names in a wrong-solution file that describe it rather than belong to the learner's file.
METADATA = {"CONCEPT"}

ALL_FILES: list[CourseFile] = [f for task in TASKS for f in task.files]


def solution_source(file: CourseFile) -> str:
    """The reference solution of ``file``, as text."""
    return (SOLUTIONS / f"{file.module}.py").read_text(encoding="utf-8")


def with_overrides(base: str, override: str) -> str:
    """``base`` with the top-level definitions of ``override`` in place of its own (new ones added at the end,
    before the ``__main__`` block); the override's imports come first."""
    tree = ast.parse(base)
    extra = ast.parse(override)
    imports = [n for n in extra.body if isinstance(n, ast.Import | ast.ImportFrom)]
    definitions = [n for n in extra.body if defined_names(n) and not defined_names(n) <= METADATA]
    replaced: set[str] = set()
    body: list[ast.stmt] = []
    for node in tree.body:
        names = defined_names(node)
        replacement = next((d for d in definitions if names and defined_names(d) & names), None)
        if replacement is not None:
            body.append(replacement)
            replaced |= defined_names(replacement)
        else:
            body.append(node)
    added = [d for d in definitions if not defined_names(d) <= replaced]
    main = next((i for i, n in enumerate(body) if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)),
                len(body))
    body[main:main] = added
    start = 1 if body and isinstance(body[0], ast.Expr) else 0  # after the docstring
    while start < len(body) and isinstance(body[start], ast.ImportFrom) and body[start].module == "__future__":
        start += 1
    body[start:start] = imports
    tree.body = body
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def concept_of(path: Path) -> str:
    """The ``CONCEPT`` a wrong-solution file declares."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and defined_names(node) == {"CONCEPT"}:
            assert isinstance(node.value, ast.Constant)
            return str(node.value.value)
    raise AssertionError(f"{path} declares no CONCEPT")


@dataclass(frozen=True)
class WrongSolution:
    """A file of the catalogue: the course file it breaks, and the concept its failure must name."""

    path: Path

    @property
    def course_file(self) -> str:
        return self.path.parent.name

    @property
    def concept(self) -> str:
        return concept_of(self.path)

    @property
    def id(self) -> str:
        return f"{self.course_file}/{self.path.stem}"


def wrong_solutions() -> list[WrongSolution]:
    """Every file of the catalogue, in course order."""
    order = {f.name: i for i, f in enumerate(ALL_FILES)}
    found = [WrongSolution(p) for p in WRONG.glob("*/*.py")]
    return sorted(found, key=lambda w: (order[w.course_file], w.path.stem))


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    """A practice folder as `queuesim practice init` writes it."""
    init(tmp_path)
    return tmp_path


@pytest.fixture
def solved(tmp_path: Path) -> Callable[..., Path]:
    """Makes a practice folder holding every reference solution, some replaced (``{course name: source}``)."""

    def make(replaced: dict[str, str] | None = None) -> Path:
        for file in ALL_FILES:
            source = (replaced or {}).get(file.name, solution_source(file))
            (tmp_path / file.filename).write_text(source, encoding="utf-8")
        return tmp_path

    return make
