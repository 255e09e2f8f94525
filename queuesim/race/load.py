"""The load API: K simulated clients running one redis-py function, and what must hold afterwards.

A :class:`Load` names the user's code and the conditions it runs under::

    def reserve(r, i):                       # client i, with its own connection r
        left = int(r.get("stock"))
        if left <= 0:
            return False
        r.set("stock", left - 1)             # another client may have read the same value
        return True

    def setup(r):
        r.set("stock", 4)

    def check(r, results):                   # results[i]: client i's return value or exception
        remaining = int(r.get("stock"))
        sold = sum(result is True for result in results)
        return sold + remaining == 4 and remaining >= 0 or f"sold {sold}, {remaining} left"

    load = Load(reserve, clients=10, setup=setup, invariant=check)

:func:`queuesim.race.run` runs it once under one schedule;
:func:`queuesim.race.find_race` explores schedules until the invariant fails.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queuesim.sim._checks import check_count, check_non_negative, check_positive
from queuesim.sim.distributions import DISTRIBUTION_KINDS

__all__ = ["BACKENDS", "RUNNING", "Load", "Verdict", "judge"]

#: Where the simulated store keeps its data: ``fast`` (FastStore: LuaJIT, the default) or
#: ``fakeredis`` (slower, more commands); see :mod:`queuesim.sim.store`.
BACKENDS = ("fast", "fakeredis")


class _Running:
    """The result of a client that has not ended yet (seen by invariants checked after every command)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RUNNING"

    def __bool__(self) -> bool:
        return False


#: ``results[i]`` of a client still running, when the invariant is checked after every command.
RUNNING: Any = _Running()

#: What an invariant says: ``None`` when it holds, else the message of the violation.
Verdict = str | None


def _check_callable(value: Any, what: str, *example: Any) -> None:
    """``value`` must be callable with ``example`` positional arguments."""
    if not callable(value):
        raise TypeError(f"{what} must be a callable, got {value!r}")
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # some builtins have none: let the call tell
        return
    try:
        signature.bind(*example)
    except TypeError:
        names = {1: "(r)", 2: "(r, i)" if what == "target" else "(r, results)"}[len(example)]
        raise TypeError(f"{what} {_name(value)} must take {names}; its signature is {signature}") from None


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


@dataclass(frozen=True, slots=True)
class Load:
    """K clients running ``target(r, i)`` on one simulated store, each with its own connection ``r``.

    Args:
        target: ``target(r, i)``, called once by each client ``i`` (0 … K−1) with its own
            redis-py client ``r``; its return value (or the exception it raises) is
            ``results[i]``. An ``async def`` target gets a ``redis.asyncio``-style client
            (see :mod:`queuesim.race.aio`).
        clients: K, how many clients.
        setup: ``setup(r)``, run once before the clients start (initial data).
        invariant: ``invariant(r, results)`` after all clients end: ``True`` when it holds,
            ``False`` or a message when it does not (raising ``AssertionError`` counts as
            ``False``, with its message). Without one, only errors are found.
        arrival_rate: clients per second, arriving as a Poisson stream; ``None`` (the
            default): all at once at time 0.
        rtt_ms: the mean client-store round trip (milliseconds); each message takes half.
        delay: the distribution of one message's delay: ``exp`` (default), ``det`` or
            ``lognormal`` (mean ``rtt_ms``/2).
        check_every_command: also check the invariant after every command, with
            :data:`RUNNING` as the result of the clients that have not ended.
        max_commands: the command budget of one schedule (round trips and
            :func:`~queuesim.race.sleep` calls of all clients): past it the run stops with
            a :class:`~queuesim.race.RaceError` (a target that never ends).
        stall_seconds: the wall-clock time one client may run between two of its round
            trips (or sleeps): past it the run stops with a
            :class:`~queuesim.race.RaceError`: a loop that sends nothing (a bare
            ``except:`` retrying an error raised before any command), or a client
            blocked outside the simulation (a ``threading.Lock`` another client holds).
            Watched in the main thread where ``signal.setitimer`` exists.
        backend: ``fast`` (default) or ``fakeredis`` (more commands, slower).
        decode_responses: whether ``r`` returns ``str`` (default) or ``bytes``.

    Raises:
        TypeError: a function is not callable or does not take the arguments above.
        ValueError: a number out of range or an unknown name.
    """

    target: Callable[..., Any]
    clients: int = 10
    setup: Callable[..., Any] | None = None
    invariant: Callable[..., Any] | None = None
    arrival_rate: float | None = None
    rtt_ms: float = 1.0
    delay: str = "exp"
    check_every_command: bool = False
    max_commands: int = 10_000
    stall_seconds: float = 5.0
    backend: str = "fast"
    decode_responses: bool = True

    def __post_init__(self) -> None:
        _check_callable(self.target, "target", None, 0)
        if self.setup is not None:
            _check_callable(self.setup, "setup", None)
        if self.invariant is not None:
            _check_callable(self.invariant, "invariant", None, [])
        check_count(self.clients, "clients", 1)
        if self.arrival_rate is not None:
            check_positive(self.arrival_rate, "arrival_rate (clients per second)")
        check_non_negative(self.rtt_ms, "rtt_ms")
        if self.delay not in DISTRIBUTION_KINDS:
            kinds = ", ".join(DISTRIBUTION_KINDS)
            raise ValueError(f"unknown delay distribution {self.delay!r}; choose one of {kinds}")
        check_count(self.max_commands, "max_commands", 1)
        check_positive(self.stall_seconds, "stall_seconds")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")

    def __repr__(self) -> str:
        return f"<Load {_name(self.target)} × {self.clients} clients, rtt {self.rtt_ms:g} ms>"

    @property
    def checks(self) -> str:
        """When the invariant is checked, in words, for verdicts: after every command, or only at the end."""
        if self.invariant is None:
            return "no invariant: only errors are looked for"
        if self.check_every_command:
            return "invariant checked after every command and at the end"
        return "invariant checked only at the end, once every client had ended"

    @property
    def is_async(self) -> bool:
        """Whether the target is an ``async def`` function."""
        return inspect.iscoroutinefunction(self.target)

    def with_clients(self, clients: int) -> Load:
        """The same load with ``clients`` clients."""
        return dataclasses.replace(self, clients=clients)


def judge(value: Any, what: str = "invariant") -> Verdict:
    """An invariant's return value as a verdict: ``None`` (holds) or the violation's message.

    Raises:
        TypeError: anything but a bool or a message (``None`` included: a missing ``return``).
    """
    if value is True:
        return None
    if value is False:
        return f"the {what} returned False"
    if isinstance(value, str):
        return value or f"the {what} returned ''"
    if type(value).__name__ == "bool_":  # numpy's bool
        return None if bool(value) else f"the {what} returned False"
    raise TypeError(
        f"the {what} returned {value!r}; it must return True when it holds, False or a message when it does not"
    )
