"""Two clients, one preemption: run a second call of a function between any two Redis steps of the first.

A lost update (read, then write what was read) needs only this: client B runs
entirely between client A's read and A's write. So for every step ``k`` of A
(a command, or a pipeline's round trip), a fresh store is set up, A runs until
just before its ``k``-th step, B runs to its end, and A finishes; then the
invariant is checked. That is every schedule of two calls with one preemption,
systematically, in one thread: the same verdict on every run.

The order is deterministic, but B runs on a helper thread while A waits, so a
lock held by A inside its process (``threading.Lock``) shows as B waiting for
it, which is reported, rather than hanging the check.

This is the phase-1 check of tasks 12 and 13; queuesim's race finder
(virtual time, many clients, schedules explored by seed) is the definitive one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fakeredis
import redis
from redis.client import Pipeline

__all__ = ["BLOCKED_SECONDS", "MAX_STEPS", "Blocked", "Counterexample", "StepClient", "TooManySteps",
           "explore_two_clients"]

#: Seconds the second client may wait (for a lock the first holds) before the check says so.
BLOCKED_SECONDS = 5.0
#: More steps than any reservation needs: a call past it is stopped.
MAX_STEPS = 200


class Blocked(Exception):
    """The second client could not run while the first was paused: it waited for something the first held."""


class TooManySteps(BaseException):
    """A call sent more than ``MAX_STEPS`` commands: it loops (a BaseException, past ``except Exception``)."""


@dataclass(slots=True)
class Step:
    """One step of one client: what it sent and what came back."""

    client: int
    sent: str
    reply: str


@dataclass(slots=True)
class Trace:
    """The steps of a schedule, in the order they reached the store, and each client's end."""

    steps: list[Step] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, client: int, sent: str, reply: str) -> None:
        """Record one step."""
        with self.lock:
            self.steps.append(Step(client, sent, reply))


def _words(args: tuple[Any, ...]) -> str:
    shown = []
    for arg in args:
        text = arg.decode() if isinstance(arg, bytes) else str(arg)
        shown.append(text if len(text) <= 40 and " " not in text else repr(text[:37] + "…" if len(text) > 40 else text))
    return " ".join(shown)


class StepPipeline(Pipeline):
    """A pipeline of a :class:`StepClient`: a transaction's round trip, or a command after WATCH, is one step."""

    owner: StepClient
    #: Whether its round trip is a transaction (MULTI … EXEC).
    atomic: bool

    def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        """A command sent at once (after WATCH): one step."""
        self.owner.before_step()
        reply = super().immediate_execute_command(*args, **options)  # type: ignore[no-untyped-call]
        self.owner.trace.add(self.owner.number, _words(args), repr(reply))
        return reply

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        """The queued commands (MULTI … EXEC for a transaction): one step."""
        queued = [_words(command[0]) for command in self.command_stack]
        self.owner.before_step()
        try:
            reply = super().execute(raise_on_error)
        except redis.exceptions.WatchError:
            self.owner.trace.add(self.owner.number, _transaction(queued, self.atomic), "WatchError (aborted)")
            raise
        self.owner.trace.add(self.owner.number, _transaction(queued, self.atomic), repr(reply))
        return reply


def _transaction(commands: list[str], transaction: bool) -> str:
    inside = "; ".join(commands)
    return f"MULTI; {inside}; EXEC" if transaction else f"pipeline [{inside}]"


class StepClient(fakeredis.FakeRedis):
    """A client that calls :meth:`before_step` before each step it sends to the store, and records it."""

    def __init__(self, server: fakeredis.FakeServer, number: int, trace: Trace) -> None:
        super().__init__(server=server, decode_responses=True)
        self.number = number
        self.trace = trace
        self.steps = 0
        #: Called with the step's number (1, 2, …) before the step is sent.
        self.on_step: Callable[[int], None] | None = None

    def __repr__(self) -> str:
        return f"<StepClient {self.number}: {self.steps} steps>"

    def before_step(self) -> None:
        """Count the step; stop a call that loops; let :attr:`on_step` run something first."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TooManySteps(f"client {self.number} sent more than {MAX_STEPS} commands")
        if self.on_step is not None:
            self.on_step(self.steps)

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """One command: one step."""
        self.before_step()
        reply = super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        self.trace.add(self.number, _words(args), repr(reply))
        return reply

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> StepPipeline:
        """A pipeline whose round trips are steps of this client."""
        pipe = StepPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.owner = self
        pipe.atomic = transaction
        return pipe


@dataclass(slots=True)
class Counterexample:
    """A schedule of two calls that broke the invariant: where B ran, the steps, the results, the verdict."""

    #: B ran just before A's step number ``preempted_at`` (``steps + 1``: after A's last step).
    preempted_at: int
    steps: list[Step]
    results: list[Any]
    verdict: str

    def lines(self, who: tuple[str, str] = ("A", "B")) -> list[str]:
        """The schedule, step by step, then each call's result and what the invariant said."""
        shown = [f"{who[s.client]}: {s.sent} → {s.reply}" for s in self.steps]
        shown += [f"{who[i]} returned {_result(r)}" for i, r in enumerate(self.results)]
        shown.append(self.verdict)
        return shown


def _result(value: Any) -> str:
    if isinstance(value, BaseException):
        return f"by raising {type(value).__name__}: {value}"
    return repr(value)


Target = Callable[[redis.Redis, int], Any]
Setup = Callable[[redis.Redis], None]
Invariant = Callable[[redis.Redis, list[Any]], "bool | str"]


def _run(target: Target, client: redis.Redis, number: int) -> Any:
    try:
        return target(client, number)
    except (TooManySteps, Blocked):
        raise
    except Exception as error:  # a call may fail on purpose ("Not enough seats available"): it is a result
        return error


def explore_two_clients(target: Target, setup: Setup, invariant: Invariant) -> Counterexample | None:
    """Every schedule of two calls ``target(r, 0)``, ``target(r, 1)`` with one preemption; the first that breaks.

    ``setup(r)`` prepares a fresh store for each schedule; ``invariant(r, results)``
    says ``True`` when the results and the store are right, else ``False`` or why not.

    Raises:
        Blocked: while A was paused, B did not finish within :data:`BLOCKED_SECONDS` (a lock in the process).
        TooManySteps: a call sends commands without end.
    """
    solo = _schedule(target, setup, invariant, preempt_at=None)
    if solo is not None:
        return solo
    steps_of_a = _count_steps(target, setup)
    for k in range(1, steps_of_a + 2):
        found = _schedule(target, setup, invariant, preempt_at=k)
        if found is not None:
            return found
    return None


def _count_steps(target: Target, setup: Setup) -> int:
    server = fakeredis.FakeServer()
    setup(fakeredis.FakeRedis(server=server, decode_responses=True))
    a = StepClient(server, 0, Trace())
    _run(target, a, 0)
    return a.steps


def _schedule(target: Target, setup: Setup, invariant: Invariant, preempt_at: int | None) -> Counterexample | None:
    """One schedule: B after A (``None``), or B just before A's step ``preempt_at``."""
    server = fakeredis.FakeServer()
    checker = fakeredis.FakeRedis(server=server, decode_responses=True)
    setup(checker)
    trace = Trace()
    a, b = StepClient(server, 0, trace), StepClient(server, 1, trace)
    results: list[Any] = [None, None]
    ran_b = False

    def run_b() -> None:
        nonlocal ran_b
        ran_b = True
        box: dict[str, Any] = {}
        helper = threading.Thread(target=lambda: box.update(result=_run(target, b, 1)), name="client-B", daemon=True)
        helper.start()
        helper.join(BLOCKED_SECONDS)
        if helper.is_alive():
            raise Blocked(
                f"while the first caller was paused before its Redis command {a.steps}, the second waited more "
                f"than {BLOCKED_SECONDS:g} s"
            )
        results[1] = box.get("result")

    if preempt_at is not None:
        a.on_step = lambda step: run_b() if step == preempt_at and not ran_b else None
    results[0] = _run(target, a, 0)
    if not ran_b:
        run_b()
    verdict = invariant(checker, results)
    if verdict is True:
        return None
    why = verdict if isinstance(verdict, str) else "the invariant does not hold"
    return Counterexample(preempt_at if preempt_at is not None else a.steps + 1, list(trace.steps), results, why)
