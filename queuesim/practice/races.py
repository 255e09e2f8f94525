"""The race checks of tasks 12 and 13: the learner's reservation under concurrent callers.

Each is a :class:`RaceSpec` in the shape of the race finder's contract
(``queuesim race-check TARGET --setup SETUP --invariant CHECK``): ``target(r, i)``
is one client's call, ``setup(r)`` prepares the store, ``invariant(r, results)``
says whether the outcome is right. :func:`check_race` grades a spec in two
stages, each failing the check with the schedule that broke it (a
:class:`Broken`):

1. every schedule of two clients with one preemption
   (:mod:`queuesim.practice.interleave`): the lost update of a GET-then-SET, at once;
2. the finders of :data:`RACE_FINDERS`: by default queuesim's race finder
   (:mod:`queuesim.practice.race_finder`: three clients in virtual time, a fixed
   budget of seeded schedules, a minimised counterexample), which catches what
   needs more preemptions or a third client (a lock checked with GET and taken
   with SET; a lock any caller deletes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis

from queuesim.practice.grading import Check, Grader
from queuesim.practice.interleave import (
    MAX_STEPS,
    Blocked,
    Counterexample,
    Invariant,
    Setup,
    Target,
    TooManySteps,
    explore_two_clients,
)
from queuesim.practice.learner import LearnerError, describe_call

__all__ = ["RACE_FINDERS", "Broken", "RaceFinder", "RaceSpec", "Step", "check_race", "diagnose_lock", "who"]


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
    #: The keys the task's data lives in (any other key the learner's code writes is a lock of its own).
    keys: tuple[str, ...] = ()
    #: The learner's function the target calls, by the name the learner gave it.
    function: str = "the function"

    def __repr__(self) -> str:
        return f"<RaceSpec {self.role}>"


@dataclass(frozen=True, slots=True)
class Step:
    """One round trip of one client in a schedule that broke a spec."""

    client: int
    #: The command as text (``GET item.1``; ``MULTI; SET item.1 0; EXEC``).
    command: str
    #: The reply as the client's code got it (``'1'``, ``True``, ``WatchError: ...``).
    reply: str
    #: When it took effect, in milliseconds of virtual time (``None``: the two-client exploration has no clock).
    at_ms: float | None = None


@dataclass(slots=True)
class Broken:
    """A schedule that broke a spec: its steps in the order the store ran them, each client's result, the verdict."""

    steps: list[Step]
    #: Each client's return value, or the exception it raised.
    results: list[Any]
    #: What the invariant said.
    verdict: str
    #: Lines after the verdict: how it was found (a seed that replays it) and where to read more.
    found_by: list[str] = field(default_factory=list)

    def lines(self, role: str) -> list[str]:
        """The schedule, step by step, then each client's result, the verdict and how it was found."""
        shown = []
        for step in self.steps:
            when = "" if step.at_ms is None else f"{step.at_ms:8.3f} ms  "
            shown.append(f"{when}{who(role, step.client)}: {step.command} → {step.reply}")
        shown += [f"{who(role, i)} {_result(r)}" for i, r in enumerate(self.results)]
        shown.append(self.verdict)
        return shown + self.found_by

    @classmethod
    def from_exploration(cls, found: Counterexample) -> Broken:
        """A schedule of the two-client exploration."""
        return cls([Step(s.client, s.sent, s.reply) for s in found.steps], list(found.results), found.verdict)


def who(role: str, client: int) -> str:
    """``buyer A``, ``buyer B``, … for clients 0, 1, …"""
    letter = chr(ord("A") + client) if client < 26 else str(client)
    return f"{role} {letter}"


def _result(value: Any) -> str:
    if isinstance(value, BaseException):
        return f"raised {type(value).__name__}: {value}"
    return f"returned {value!r}"


#: Finds a violation of a spec (with more clients and schedules), or returns None; it gets the grader to run the
#: learner's code with a time limit, and raises :class:`LearnerError` (a message in the learner's terms) when it
#: cannot run it.
RaceFinder = Callable[[Grader, RaceSpec], "Broken | None"]


def _virtual_time(grader: Grader, spec: RaceSpec) -> Broken | None:
    from queuesim.practice.race_finder import find_in_virtual_time

    return find_in_virtual_time(grader, spec)


#: Race finders run by :func:`check_race` once the two-client exploration passed: queuesim's race finder.
RACE_FINDERS: list[RaceFinder] = [_virtual_time]


def check_race(grader: Grader, check: Check, spec: RaceSpec, expected: str, concept_key: str, *,
               blocked_concept: str = "process-lock",
               diagnose: Callable[[Broken], str | None] | None = None) -> None:
    """Fail ``check`` with the schedule that breaks ``spec``, if one is found.

    The exploration runs as the learner's code does (a time limit, errors in one line);
    ``diagnose(broken)`` may name a more precise concept than ``concept_key`` (a
    hand-made lock is recognised here, from the keys the schedule wrote).
    """
    try:
        explored = grader.call(explore_two_clients, spec.target, spec.setup, spec.invariant,
                               name=f"{spec.function}, called by two {spec.role}s,").value
    except LearnerError as error:
        if isinstance(error.error, Blocked):
            check.fail(expected, f"{error.error}: it waited for a lock the first one held", blocked_concept)
        if isinstance(error.error, TooManySteps):
            check.fail(expected, f"{spec.function} sent more than {MAX_STEPS} Redis commands in one call: does it "
                       "loop forever?", concept_key)
        raise
    found = None if explored is None else Broken.from_exploration(explored)
    for finder in RACE_FINDERS:
        if found is not None:
            break
        try:
            found = finder(grader, spec)
        except LearnerError as error:
            check.fail(expected, str(error), concept_key)
    if found is None:
        return
    for result in found.results:
        if isinstance(result, NotImplementedError):
            check.fail(expected, describe_call(spec.function, result, grader.files()), "not-written")
    key = (diagnose and diagnose(found)) or diagnose_lock(found, spec.keys) or concept_key
    check.fail(expected, "this schedule breaks it:\n" + "\n".join(f"    {line}" for line in found.lines(spec.role)),
               key)


def diagnose_lock(found: Broken, keys: tuple[str, ...]) -> str | None:
    """The concept of a hand-made lock in ``found``, if it shows one; ``keys`` are the task's data keys.

    ``lock-owner``: a client deleted a lock it had not got (its ``SET … NX`` answered
    nothing); ``hand-made-lock``: a client set and deleted a key that is not the task's
    data (a lock of its own, taken in a step apart from its check).
    """
    if not keys:
        return None
    missed: set[tuple[int, str]] = set()
    written: set[tuple[int, str]] = set()
    lock = False
    for step in found.steps:
        words = step.command.split()
        if len(words) < 2 or words[1] in keys:
            continue
        name, key = words[0].upper(), words[1]
        if name in ("SET", "SETNX"):
            written.add((step.client, key))
            nx = name == "SETNX" or "NX" in (w.upper() for w in words[3:])
            if nx and step.reply in ("None", "False", "0"):
                missed.add((step.client, key))
        elif name in ("DEL", "UNLINK"):
            if any((step.client, k) in missed for k in words[1:]):
                return "lock-owner"
            lock = lock or any((step.client, k) in written for k in words[1:])
    return "hand-made-lock" if lock else None


def results_of(results: list[Any]) -> tuple[list[Any], list[BaseException]]:
    """The values returned and the errors raised, apart."""
    values = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    return values, errors


def read_int(client: redis.Redis, key: str) -> int | None:
    """The integer stored at ``key``, or None."""
    raw = client.get(key)
    return None if raw is None else int(raw)
