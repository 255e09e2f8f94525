"""A stub whose body is only ``...`` reads "not written yet", like one raising NotImplementedError: never a wrong
answer, never a traceback."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from queuesim.practice import check
from queuesim.practice.catalogue import course_file_named
from queuesim.practice.grading import is_stub
from queuesim.practice.learner import LearnerError, NotWritten, call
from queuesim.practice.loader import load_path, unwritten_functions

from .conftest import solution_source, with_overrides

_RAISE = re.compile(r"raise NotImplementedError\([^)]*\)")


def as_ellipsis(folder: Path) -> Path:
    """The stubs of ``folder`` with every ``raise NotImplementedError(...)`` replaced by ``...``."""
    for path in folder.glob("*.py"):
        path.write_text(_RAISE.sub("...", path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


@pytest.mark.parametrize("task", [1, 2, 3, 4, 6, 10, 12])
def test_a_stub_left_as_ellipsis_fails_as_not_written(task: int, stubs: Path) -> None:
    report = check(task, as_ellipsis(stubs))
    assert not report.passed
    failed = [c for c in report.checks if not c.passed]
    assert failed
    for result in failed:
        assert result.concept is not None, report.text()
        assert result.concept.key == "not-written", report.text()
        assert "Traceback" not in result.message
        assert "could not finish" not in result.message
    assert any(re.search(r"is not written yet: its body is still `\.\.\.` \(in \S+\.py, line \d+\)", c.message)
               for c in failed), report.text()


def test_tests_left_as_ellipsis_are_not_written_not_passing(stubs: Path) -> None:
    report = check(11, as_ellipsis(stubs))
    written = next(c for c in report.checks if c.name == "your tests pass on a correct 8-job.py")
    assert not written.passed
    assert written.concept is not None
    assert written.concept.key == "not-written"
    assert "test_create_two_new_jobs_to_the_queue (line" in written.message
    assert "queue (line" in written.message  # the fixture too
    caught = [c for c in report.checks if c.name.startswith("your tests catch")]
    assert caught
    assert all("no test passes on a correct 8-job.py" in c.message for c in caught)


def test_which_functions_are_left_as_ellipsis() -> None:
    source = (
        "def a():\n    ...\n\n"
        "def b(x):\n    '''Doc.'''\n    ...\n\n"
        "async def c():\n    ...\n\n"
        "@decorator\ndef d():\n    ...\n\n"
        "def e():\n    pass\n\n"
        "def f():\n    x = 1\n    ...\n\n"
        "class G:\n    def h(self):\n        ...\n"
    )
    found = {(u.name, u.line, u.decorated) for u in unwritten_functions(source)}
    assert found == {("a", 2, False), ("b", 6, False), ("c", 9, False), ("d", 13, True)}
    assert unwritten_functions("def broken(:\n") == []


def test_an_ellipsis_function_raises_not_written_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("def reserve(client, n: int) -> bool:\n    '''Take one.'''\n    ...\n\n"
                    "async def later():\n    ...\n\n"
                    "def uses():\n    return reserve(None, 1)\n", encoding="utf-8")
    module = load_path(path)
    assert is_stub(module.reserve)
    assert not is_stub(module.uses)
    assert str(inspect.signature(module.reserve)) == "(client, n: int) -> bool"
    with pytest.raises(LearnerError, match=r"^uses calls reserve, which is not written yet: its body is still `\.\.\.` "
                                           r"\(in mine\.py, line 3\)$") as raised:
        call(module.uses, files=[path])
    assert isinstance(raised.value.error, NotWritten)
    with pytest.raises(NotWritten):
        asyncio.run(module.later())


def test_a_written_function_calling_an_ellipsis_stub_names_the_stub(solved: Callable[..., Path]) -> None:
    stub = 'def reserve_stock_by_id(client, item_id):\n    """Take one unit."""\n    ...\n'
    folder = solved({"9-stock": with_overrides(solution_source(course_file_named("9-stock")), stub)})
    report = check("9-stock", folder)
    failed = {c.name: c for c in report.checks if not c.passed}
    reserve = failed["GET /reserve_product/3 twice: Reservation confirmed, then 409 Not enough stock available"]
    assert reserve.got is not None
    assert reserve.got.startswith("route_reserve_product calls reserve_stock_by_id, which is not written yet: its "
                                  "body is still `...` (in 9-stock.py, line ")
    race = next(c for name, c in failed.items() if name.startswith("buyers of the last unit"))
    assert race.got is not None
    assert race.got.startswith("reserve_stock_by_id is not written yet: its body is still `...`")
    assert all(c.concept is not None and c.concept.key == "not-written" for c in failed.values()), report.text()
