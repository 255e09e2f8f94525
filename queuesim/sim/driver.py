"""The simulation driver: run the real conversations in SimPy virtual time.

Each step a conversation yields travels to the server (a one-way network delay),
is applied atomically at its arrival instant against the store, exactly as the
live :class:`~queuesim.drivers.SyncDriver` applies it (a ``Batch`` or a
``ScriptCall`` is one atomic step), and its reply travels back (another delay).
Other SimPy processes run in between, so a read-then-write conversation races in
the simulation exactly where it races live, reproducibly from a seed::

    env = simpy.Environment()
    store = SimStore(SimClock(env).time)
    driver = SimDriver(env, store.client(), network=Network.exponential(0.001, streams["network"]))

    def client(env):
        ok = yield from driver.run(reserve_naive("stock", 1))

    env.process(client(env))
    env.run()

Time is in seconds; :meth:`SimDriver.now_ms` gives the integer milliseconds that
conversations take as ``now``.

Blocking commands (``BLPOP``, ``BRPOPLPUSH``, ``XREAD … BLOCK``, …) cannot run here:
applied at one instant against an in-process store they would wait on the wall
clock and stall the whole simulation. The driver refuses them with a
``ValueError``; a simulated worker waits in virtual time instead (a SimPy timeout
or event) and then claims without blocking.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import redis

from queuesim.drivers import Batch, Effect, Pause, Routine, Step, SyncDriver
from queuesim.scripts import ScriptCall
from queuesim.sim.clock import SimClock
from queuesim.sim.fast_store.client import FastClient
from queuesim.sim.fast_store.lane import ScriptLane
from queuesim.sim.network import Network
from queuesim.sim.server import Server, step_commands
from queuesim.sim.store import SimStore

__all__ = ["BLOCKING_COMMANDS", "DriverStats", "SimDriver", "blocking_command"]

T = TypeVar("T")

#: What a SimPy process generator built on the driver yields and returns.
SimProcess = Generator[Any, Any, T]


@dataclass(slots=True)
class DriverStats:
    """Counters of what a driver sent (mutable: they grow as the simulation runs)."""

    #: Conversations started.
    conversations: int = 0
    #: Steps sent, each one network round trip.
    round_trips: int = 0
    #: Commands sent (a batch counts each command in it).
    commands: int = 0
    #: Lua script calls among those commands.
    scripts: int = 0
    #: Steps whose reply was an error (thrown into the conversation).
    errors: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counters as a dict."""
        return asdict(self)


#: Commands that block the connection until data arrives or a timeout passes.
BLOCKING_COMMANDS = frozenset(
    {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"}
)


def blocking_command(step: Step) -> str | None:
    """The name of a blocking command in ``step``, if any."""
    commands = step.steps if isinstance(step, Batch) else (step,)
    for command in commands:
        if isinstance(command, ScriptCall | Pause) or not command:
            continue
        name = str(command[0]).upper()
        if name in BLOCKING_COMMANDS or (
            name in ("XREAD", "XREADGROUP") and any(str(a).upper() == "BLOCK" for a in command[1:])
        ):
            return name
    return None


def _scripts_in(step: Step) -> int:
    if isinstance(step, ScriptCall):
        return 1
    if isinstance(step, Batch):
        count = 0
        for s in step.steps:
            if isinstance(s, ScriptCall):
                count += 1
        return count
    return 0


class SimDriver:
    """Runs conversations in a SimPy environment against a store, through a network model.

    A driver stands for one client connection: ``WATCH`` state lives on its store
    client, so give each simulated client that uses ``WATCH`` its own driver (and
    client). Many SimPy processes may share a driver otherwise; its stats then count
    all of them.

    Args:
        env: the ``simpy.Environment``.
        store: the connection commands are applied on (a sync Redis client, normally
            ``SimStore.client()``, whose key expiry follows virtual time; any other
            client works but expires keys by the wall clock); a fresh
            :class:`SimStore` on this environment's clock when omitted.
        network: the delay model; :meth:`Network.zero` when omitted.
        server: a shared :class:`Server` to model Redis's single thread (queueing and
            service time); ``None`` means commands take no server time.
    """

    __slots__ = ("_lane", "_sync", "clock", "env", "network", "server", "stats", "store")

    def __init__(
        self,
        env: Any,
        store: redis.Redis | None = None,
        *,
        network: Network | None = None,
        server: Server | None = None,
    ) -> None:
        self.env = env
        self.clock = SimClock(env)
        self.store = store if store is not None else SimStore(self.clock.time).client()
        self.network = network if network is not None else Network.zero()
        self.server = server
        self.stats = DriverStats()
        self._sync = SyncDriver(self.store)
        # script steps on a FastStore skip redis-py's layers (same words, same replies)
        store_client = self.store
        self._lane = ScriptLane(store_client) if isinstance(store_client, FastClient) and store_client._decode else None

    def __repr__(self) -> str:
        return f"<SimDriver {self.network!r} round_trips={self.stats.round_trips}>"

    @property
    def instant(self) -> bool:
        """Whether a round trip takes no virtual time (no network delay and no server model)."""
        return self.server is None and self.network.is_zero

    def now_ms(self) -> int:
        """The simulated time in whole milliseconds (what conversations take as ``now``)."""
        return self.clock.now_ms()

    def run(
        self, conversation: Routine[T], effects: Callable[[Effect], SimProcess[Any]] | None = None
    ) -> SimProcess[T]:
        """A SimPy process generator that runs ``conversation`` and returns its result.

        Use it as ``result = yield from driver.run(conv)`` inside a process, or start
        it with ``env.process(driver.run(conv))``. A reply that is an error (e.g.
        ``WatchError``) is thrown into the conversation, as the live drivers do.
        ``effects`` answers the conversation's effects (a worker's loop) as a SimPy
        process generator: ``reply = yield from effects(effect)``.
        """
        self.stats.conversations += 1
        try:
            step = next(conversation)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        while True:
            if isinstance(step, Effect):
                if effects is None:
                    raise TypeError(f"{type(step).__name__} is an effect: pass run() an effects handler")
                ok, reply = True, (yield from effects(step))
            elif type(step) is not Pause and self.server is None and self.network._constant == 0.0:
                # (self.instant, read inline: it is asked at every step)
                ok, reply = self._instant(step)  # nothing to wait for: no generator frames per step
            else:
                ok, reply = yield from self._step(step)
            try:
                step = conversation.send(reply) if ok else conversation.throw(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    def execute(self, step: Step) -> SimProcess[Any]:
        """One step as a SimPy process generator: its reply, or its error raised."""
        ok, reply = yield from self._step(step)
        if not ok:
            raise reply
        return reply

    def _step(self, step: Step) -> SimProcess[tuple[bool, Any]]:
        if isinstance(step, Pause):  # client think time: virtual time passes, nothing is sent
            yield self.env.timeout(step.seconds)
            return True, None
        return (yield from self._round_trip(step))

    def _instant(self, step: Step) -> tuple[bool, Any]:
        """:meth:`_round_trip` without a network delay or a server model: the same counts, at once."""
        stats = self.stats
        stats.round_trips += 1
        lane = self._lane
        if type(step) is ScriptCall and lane is not None and lane.accepts(step):
            stats.commands += 1  # the usual step of a worker or a producer, by the shortest path
            stats.scripts += 1
            try:
                ok, reply = lane.script(step)
            except Exception as exc:  # an argument that cannot be encoded: as _apply gives it
                ok, reply = False, exc
        else:
            stats.commands += step_commands(step)
            stats.scripts += _scripts_in(step)
            ok, reply = self._apply(step)
        if not ok:
            stats.errors += 1
        return ok, reply

    def _round_trip(self, step: Step) -> SimProcess[tuple[bool, Any]]:
        stats = self.stats
        stats.round_trips += 1
        commands = step_commands(step)
        stats.commands += commands
        stats.scripts += _scripts_in(step)
        env = self.env
        delay = self.network.one_way()
        if delay > 0:
            yield env.timeout(delay)
        server = self.server
        if server is None:
            ok, reply = self._apply(step)
        else:
            with server.resource.request() as request:
                yield request
                ok, reply = self._apply(step)
                service = server.cost(step)
                server.steps += 1
                server.commands += commands
                server.busy_time += service
                if service > 0:
                    yield env.timeout(service)
        if not ok:
            stats.errors += 1
        delay = self.network.one_way()
        if delay > 0:
            yield env.timeout(delay)
        return ok, reply

    def _apply(self, step: Step) -> tuple[bool, Any]:
        lane = self._lane
        if lane is not None and lane.accepts(step):
            try:
                return True, lane.execute(step)  # type: ignore[arg-type]
            except Exception as exc:  # as below: the conversation may handle it
                return False, exc
        blocking = blocking_command(step)
        if blocking is not None:
            error = ValueError(
                f"{blocking} blocks, which cannot run in a simulation; wait in virtual time "
                "(a SimPy timeout or event) and use a non-blocking command instead"
            )
            return False, error
        try:
            return True, self._sync.execute(step)
        except Exception as exc:  # the conversation may handle it (WatchError, ResponseError)
            return False, exc
