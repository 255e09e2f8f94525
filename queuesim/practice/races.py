"""The race checks of tasks 12 and 13: the learner's reservation under concurrent callers.

Each is a :class:`RaceSpec` in the shape of the race finder's contract
(``queuesim race-check TARGET --setup SETUP --invariant CHECK``): ``target(r, i)``
is one client's call, ``setup(r)`` prepares the store, ``invariant(r, results)``
says whether the outcome is right. :func:`check_race` grades a spec; today it
explores every schedule of two clients with one preemption
(:mod:`queuesim.practice.interleave`), which catches the lost update of a
GET-then-SET. **The seam for the race finder** is :data:`RACE_FINDERS`: a finder
registered there runs after the two-client exploration passes, with more
clients and schedules, in virtual time, and reports its minimised counterexample
the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from queuesim.practice.grading import Check, Grader
from queuesim.practice.interleave import Blocked, Counterexample, Invariant, Setup, Target, explore_two_clients
from queuesim.practice.learner import LearnerError, describe_error

__all__ = ["RACE_FINDERS", "RaceFinder", "RaceSpec", "check_race"]


@dataclass(frozen=True, slots=True)
class RaceSpec:
    """A function under concurrent callers, and what must hold after them."""

    #: What one client does: ``target(r, i)``, ``i`` the client's number.
    target: Target
    #: Prepares an empty store: ``setup(r)``.
    setup: Setup
    #: ``invariant(r, results)``: True, or False / a sentence saying what went wrong.
    invariant: Invariant
    #: Who the clients are, for the message ("buyer", "worker").
    role: str = "client"

    def __repr__(self) -> str:
        return f"<RaceSpec {self.role}>"


#: Finds a violation of a spec with more clients and schedules, or returns None (the race finder, phase 2).
RaceFinder = Callable[[RaceSpec], "Counterexample | None"]
#: Race finders run by :func:`check_race` once the two-client exploration passed (none yet).
RACE_FINDERS: list[RaceFinder] = []


def check_race(grader: Grader, check: Check, spec: RaceSpec, expected: str, concept_key: str, *,
               blocked_concept: str = "process-lock",
               diagnose: Callable[[Counterexample], str | None] | None = None) -> None:
    """Fail ``check`` with the schedule that breaks ``spec``, if one is found.

    The exploration runs as the learner's code does (a time limit, errors in one line);
    ``diagnose(counterexample)`` may name a more precise concept than ``concept_key``.
    """
    who = (f"{spec.role} A", f"{spec.role} B")
    try:
        found = grader.call(explore_two_clients, spec.target, spec.setup, spec.invariant).value
    except LearnerError as error:
        if isinstance(error.error, Blocked):
            check.fail(expected, f"{error.error}: it waited for a lock the first one held", blocked_concept)
        raise
    if found is not None:
        _fail_with(grader, check, found, who, expected, (diagnose and diagnose(found)) or concept_key)
    for finder in RACE_FINDERS:
        found = finder(spec)
        if found is not None:
            _fail_with(grader, check, found, who, expected, (diagnose and diagnose(found)) or concept_key)


def _fail_with(grader: Grader, check: Check, found: Counterexample, who: tuple[str, str], expected: str,
               concept_key: str) -> None:
    for result in found.results:
        if isinstance(result, NotImplementedError):
            check.fail(expected, f"the function {describe_error(result, grader.files())}", "not-written")
    check.fail(expected, _schedule_text(found, who), concept_key)


def _schedule_text(found: Counterexample, who: tuple[str, str]) -> str:
    lines = found.lines(who)
    return "this schedule breaks it:\n" + "\n".join(f"    {line}" for line in lines)


def results_of(results: list[Any]) -> tuple[list[Any], list[BaseException]]:
    """The values returned and the errors raised, apart."""
    values = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    return values, errors


def read_int(client: redis.Redis, key: str) -> int | None:
    """The integer stored at ``key``, or None."""
    raw = client.get(key)
    return None if raw is None else int(raw)
