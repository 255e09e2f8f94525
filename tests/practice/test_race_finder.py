"""The race finder in the checks of tasks 12 and 13: what two clients with one preemption cannot break, three
clients in virtual time do, and the failing check shows the minimised schedule, its seed and where to read."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from queuesim.practice import check
from queuesim.practice.catalogue import course_file_named
from queuesim.practice.checks.seats import SEAT_RACE
from queuesim.practice.checks.stock import STOCK_RACE
from queuesim.practice.interleave import explore_two_clients
from queuesim.practice.loader import load_path
from queuesim.practice.race_finder import CLIENTS, SCHEDULES
from queuesim.practice.races import Broken, Step, diagnose_lock
from queuesim.practice.report import CheckResult

from .conftest import WRONG, solution_source, with_overrides

#: The wrong solutions only the race finder catches: (course file, mistake, role, clients in the counterexample).
FINDER_ONLY = [
    ("9-stock", "lock_get_then_set", "buyer", 2),
    ("9-stock", "lock_released_by_anyone", "buyer", 3),
    ("100-seat", "lock_get_then_set", "worker", 2),
    ("100-seat", "lock_released_by_anyone", "worker", 3),
]
RACES = {"9-stock": STOCK_RACE, "100-seat": SEAT_RACE}
RACE_CHECK = {"9-stock": "buyers of the last unit at once", "100-seat": "workers at once"}


def wrong_source(course: str, mistake: str) -> str:
    """The reference solution of ``course`` with the mistake's definitions in place."""
    file = course_file_named(course)
    return with_overrides(solution_source(file), (WRONG / course / f"{mistake}.py").read_text(encoding="utf-8"))


def race_check(folder: Path, course: str) -> CheckResult:
    report = check(course, folder)
    return next(c for c in report.checks if c.name.startswith(RACE_CHECK[course]))


@pytest.mark.parametrize(("course", "mistake", "role", "clients"), FINDER_ONLY,
                         ids=[f"{c}/{m}" for c, m, _, _ in FINDER_ONLY])
def test_two_clients_with_one_preemption_cannot_break_it(course: str, mistake: str, role: str, clients: int,
                                                         tmp_path: Path) -> None:
    path = tmp_path / course_file_named(course).filename
    path.write_text(wrong_source(course, mistake), encoding="utf-8")
    spec = RACES[course](load_path(path))
    assert explore_two_clients(spec.target, spec.setup, spec.invariant) is None


@pytest.mark.parametrize(("course", "mistake", "role", "clients"), FINDER_ONLY,
                         ids=[f"{c}/{m}" for c, m, _, _ in FINDER_ONLY])
def test_the_race_finder_fails_it_with_the_interleaving(course: str, mistake: str, role: str, clients: int,
                                                        solved: Callable[..., Path]) -> None:
    folder = solved({course_file_named(course).name: wrong_source(course, mistake)})
    report = check(course, folder)
    failed = [c for c in report.checks if not c.passed]
    assert [c.name for c in failed] == [next(c.name for c in report.checks if c.name.startswith(RACE_CHECK[course]))]
    result = failed[0]  # caught by the race check only, by its race finder (the two clients pass, see above)
    message = result.message
    assert result.got is not None
    lines = result.got.splitlines()
    assert lines[0] == "this schedule breaks it:"
    trace = [line for line in lines if re.match(rf"^\s+\d+\.\d{{3}} ms  {role} [A-C]: \S", line)]
    assert len(trace) >= 6, message
    times = [float(line.split()[0]) for line in trace]
    assert times == sorted(times), "the steps come in the order the store ran them"
    who = {re.search(rf"{role} ([A-C]):", line).group(1) for line in trace}  # type: ignore[union-attr]
    assert len(who) == clients, message
    assert any("lock" in line for line in trace), message
    ends = [line.strip() for line in lines if re.match(rf"^\s+{role} [A-C] (returned|raised) ", line)]
    assert len(ends) == clients
    assert re.search(rf"found by the race finder: {CLIENTS} {role}s in virtual time, in schedule \d+ of {SCHEDULES} "
                     rf"\(seed \d+; the check runs the same schedules every time\), minimised to {clients} {role}s",
                     message), message
    assert "notebooks/sim2_find_races.ipynb" in message
    assert "notebooks/sim1_race_in_virtual_time.ipynb" in message
    assert ("2 seats taken" if role == "worker" else "2 reservations confirmed") in message


def test_a_lock_any_caller_deletes_is_told_so(solved: Callable[..., Path]) -> None:
    folder = solved({"9-stock": wrong_source("9-stock", "lock_released_by_anyone")})
    result = race_check(folder, "9-stock")
    assert result.concept is not None
    assert result.concept.key == "lock-owner"
    assert "also one that did not get it" in result.message
    assert re.search(r"buyer [ABC]: SET lock\.item\.1 1 NX → None", result.message)


@pytest.mark.parametrize("course", ["9-stock", "100-seat"])
def test_the_reference_solution_passes_the_race_finder(course: str) -> None:
    report = check(course, solution=True)
    assert report.passed, report.text()
    assert not report.notes


def test_without_the_simulation_extra_the_check_says_so(solved: Callable[..., Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "queuesim.race", None)
    folder = solved({"9-stock": wrong_source("9-stock", "lock_released_by_anyone")})
    report = check("9-stock", folder)
    assert report.passed  # only two buyers were tried: they cannot break it
    assert any("the race finder did not run" in note and "pip install 'queuesim[sim]'" in note
               for note in report.notes), report.notes


def test_a_function_the_simulation_cannot_run_is_told_in_the_learners_terms(solved: Callable[..., Path]) -> None:
    blocking = ("def reserve_stock_by_id(client, item_id):\n"
                "    client.blpop(['wait'], timeout=0.01)\n"
                "    return stock.reserve_stock_by_id(client, item_id).confirmed\n")
    folder = solved({"9-stock": with_overrides(solution_source(course_file_named("9-stock")), blocking)})
    result = race_check(folder, "9-stock")
    assert not result.passed
    assert result.got is not None
    assert result.got.startswith("the race finder could not run reserve_stock_by_id as 3 buyers: buyer A sent BLPOP")
    assert "client 0" not in result.got
    assert "Traceback" not in result.message


def _broken(*steps: tuple[int, str, str]) -> Broken:
    return Broken([Step(client, command, reply) for client, command, reply in steps], [True, True], "2 confirmed")


def test_a_hand_made_lock_is_recognised_from_the_schedule() -> None:
    keys = ("item.1",)
    lock = _broken((0, "GET lk", "None"), (0, "SET lk 1", "True"), (0, "GET item.1", "'1'"), (0, "DEL lk", "1"))
    assert diagnose_lock(lock, keys) == "hand-made-lock"
    owner = _broken((0, "SET lk 1 NX", "True"), (1, "SET lk 1 NX", "None"), (1, "DEL lk", "1"))
    assert diagnose_lock(owner, keys) == "lock-owner"
    plain = _broken((0, "GET item.1", "'1'"), (1, "GET item.1", "'1'"), (0, "SET item.1 0", "True"))
    assert diagnose_lock(plain, keys) is None
    counter = _broken((0, "SET sold 1", "True"), (0, "SET item.1 0", "True"))
    assert diagnose_lock(counter, keys) is None, "a key of its own that is never released is not a lock"
    assert diagnose_lock(lock, ()) is None


def test_the_message_of_a_broken_schedule() -> None:
    broken = Broken([Step(0, "GET k", "'1'", 0.5), Step(1, "GET k", "'1'", 0.5)], [True, ValueError("no")],
                    "2 confirmed", ["found by: x"])
    assert broken.lines("buyer") == [
        "   0.500 ms  buyer A: GET k → '1'",
        "   0.500 ms  buyer B: GET k → '1'",
        "buyer A returned True",
        "buyer B raised ValueError: no",
        "2 confirmed",
        "found by: x",
    ]


