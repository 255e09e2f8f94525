"""One run of a load under one schedule: the clients as SimPy processes, their code in greenlets.

Each client is a SimPy process that starts the user's function in a
:class:`~queuesim.race.client.ClientGreenlet`. Whenever the function makes a round
trip, the greenlet is suspended and the process takes over: it waits the message's
delay, (with a gated scheduler) waits for the server to take its command, runs the
command on the store at that virtual instant, records it in the trace, waits the
reply's delay and resumes the function with the reply. So the function's commands
interleave with the other clients' exactly as the schedule says, and one seed gives
one run, bit for bit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import greenlet
import simpy

from queuesim.drivers import Batch
from queuesim.race.client import (
    COMMAND,
    SLEEP,
    STALLED,
    Bridge,
    ClientGreenlet,
    Request,
    StallGuard,
    virtual_sleeps,
)
from queuesim.race.errors import RaceError
from queuesim.race.load import RUNNING, Load, Verdict, judge
from queuesim.race.schedulers import OrderedScheduler, Scheduler, check_seed, make_scheduler
from queuesim.race.stores import RunStore, Stores
from queuesim.race.trace import TraceEntry, format_command, format_reply, format_trace
from queuesim.sim.clock import SimClock
from queuesim.sim.driver import blocking_command
from queuesim.sim.streams import RandomStreams

__all__ = ["ClientRecord", "Run", "one_after_the_other", "run", "run_with", "sequential_steps"]


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """How one client's function went (times in seconds of virtual time)."""

    client: int
    #: when it started
    arrived: float
    #: when it returned or raised (``None`` if the run stopped first)
    ended: float | None
    #: whether it returned (else :attr:`result` is the exception it raised)
    returned: bool
    #: its return value, the exception it raised, or :data:`~queuesim.race.RUNNING`
    result: Any
    #: the last round trip it made, as text (``None`` if it made none)
    last_command: str | None

    @property
    def raised(self) -> bool:
        """Whether it raised (:attr:`result` is the exception); false while it has not ended."""
        return not self.returned and self.result is not RUNNING

    @property
    def result_text(self) -> str:
        """The result as text: ``True``, ``ValueError: ...``, or ``RUNNING`` for a client that had not ended."""
        return repr(RUNNING) if self.result is RUNNING else format_reply(not self.raised, self.result, 200)

    def describe(self) -> str:
        """One line: ``client 1 returned True`` or ``client 1 raised ValueError: ... after GET k``."""
        if self.result is RUNNING:
            return f"client {self.client} had not ended"
        if self.returned:
            return f"client {self.client} returned {format_reply(True, self.result, 60)}"
        after = f" after {self.last_command}" if self.last_command else " before any command"
        return f"client {self.client} raised {format_reply(False, self.result, 80)}{after}"


@dataclass(slots=True)
class Run:
    """What one run did: every client's result, the command trace and the invariant's verdict."""

    load: Load
    #: the seed of this schedule (``None`` for an explicit schedule)
    seed: int | None
    #: what the scheduler did, in one line
    scheduler: str
    #: ``results[i]``: client i's return value or the exception it raised
    results: list[Any]
    #: every round trip, in the order they took effect
    trace: list[TraceEntry]
    #: per client: times, result, last command
    clients: list[ClientRecord] = field(default_factory=list)
    #: ``None`` when the invariant held, else its message
    violation: Verdict = None
    #: the store after the setup (recorded runs only)
    initial_state: dict[str, str] | None = None

    @property
    def violated(self) -> bool:
        """Whether the invariant failed."""
        return self.violation is not None

    @property
    def errors(self) -> dict[int, BaseException]:
        """The clients that raised, and what."""
        return {c.client: c.result for c in self.clients if c.raised}

    def format(self) -> str:
        """The interleaved trace, each client's result and the verdict, as text."""
        lines = [format_trace(self.trace, [c.client for c in self.clients], self.initial_state)]
        lines += [c.describe() for c in self.clients]
        checked = self.load.checks.removeprefix("invariant ")
        if self.load.invariant is None:
            lines.append(self.load.checks)
        else:
            lines.append(f"invariant violated ({checked}): {self.violation}" if self.violated
                         else f"invariant held ({checked})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class _Ended:
    """What a client's greenlet returns: the function's result, or the exception it raised."""

    __slots__ = ("returned", "value")

    def __init__(self, value: Any, returned: bool) -> None:
        self.value = value
        self.returned = returned


class _Abort(Exception):
    """Stops the simulation (the reason is kept on the run)."""


class _Gate:
    """The server's door for gated schedulers: a command waits until the scheduler picks it.

    ``live`` holds the clients started, not ended and not in think time: a client in
    :func:`~queuesim.race.sleep` is not enabled (it has no step to take before its
    pause ends), so the scheduler does not wait for it.
    """

    __slots__ = ("busy", "env", "finished", "live", "pending", "scheduler")

    def __init__(self, env: simpy.Environment, scheduler: Scheduler) -> None:
        self.env = env
        self.scheduler = scheduler
        self.pending: dict[int, simpy.Event] = {}  # in the order the commands reached the server
        self.live: set[int] = set()
        self.finished: set[int] = set()
        self.busy = False

    def start(self, client: int) -> None:
        self.live.add(client)
        self._release()

    def request(self, client: int) -> simpy.Event:
        event = self.env.event()
        self.pending[client] = event
        self._release()
        return event

    def executed(self, client: int) -> None:
        self.busy = False
        self.scheduler.executed(client)
        self._release()

    def sleeping(self, client: int) -> None:
        self.live.discard(client)
        self._release()

    def awake(self, client: int) -> None:
        self.live.add(client)
        self._release()

    def finish(self, client: int) -> None:
        self.live.discard(client)
        self.finished.add(client)
        self._release()

    def _release(self) -> None:
        if self.busy or not self.pending:
            return
        client = self.scheduler.choose(self.pending, self.live, self.finished)
        if client is not None:
            self.busy = True
            self.pending.pop(client).succeed()


def _blocking(commands: tuple[tuple[Any, ...], ...]) -> str | None:
    """The name of a blocking command among ``commands`` (the simulation driver's rule), if any."""
    return blocking_command(Batch.of(commands))


def _unknown_command(error: BaseException) -> str | None:
    """``"a command"`` or ``"a command its script calls"`` when ``error`` says the store lacks one, else None."""
    text = str(error).lower()
    if "unknown redis command called from" in text:
        return "a command its script calls"
    if "unknown command" in text or "unknown subcommand" in text:
        return "a command"
    return None


def _command_of(entry: TraceEntry | None) -> str | None:
    return None if entry is None else entry.command


def _describe_callable(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _call(fn: Callable[..., Any], client: Any, *args: Any) -> Any:
    """Call a target, setup or invariant with ``client`` (an ``async def`` one: an asyncio client, run to its end)."""
    if inspect.iscoroutinefunction(fn):
        from queuesim.race.aio import AsyncRaceClient, run_coroutine

        return run_coroutine(fn(AsyncRaceClient(client), *args))
    return fn(client, *args)


class _Simulation:
    """The machinery of one run (use :func:`run_with`)."""

    def __init__(
        self, load: Load, scheduler: Scheduler, seed: int | None, stores: Stores, record_state: bool, label: str | None
    ) -> None:
        self.load = load
        self.scheduler = scheduler
        self.seed = seed
        self.label = label
        self.record_state = record_state
        self.env = simpy.Environment()
        self.store: RunStore = stores.open(SimClock(self.env).time, load.decode_responses)
        self.gate = _Gate(self.env, scheduler) if scheduler.gated else None
        self.trace: list[TraceEntry] = []
        self.results: list[Any] = [RUNNING] * load.clients
        self.returned = [False] * load.clients
        self.arrived: list[float | None] = [None] * load.clients
        self.ended: list[float | None] = [None] * load.clients
        self.last: list[TraceEntry | None] = [None] * load.clients
        self.bridges: list[Bridge] = []
        self.requests = 0
        self.abort: BaseException | None = None
        self.violation: Verdict = None
        self.initial_state: dict[str, str] | None = None

    # ----------------------------------------------------------------- the run

    def run(self) -> Run:
        load = self.load
        # the guard watches the clients while they run and while a stopped run unwinds them
        with virtual_sleeps(), StallGuard(load.stall_seconds):
            try:
                if load.setup is not None:
                    self._setup()
                if self.record_state:
                    self.initial_state = self.store.snapshot()
                for client, arrival in enumerate(self.scheduler.arrivals()):
                    self.env.process(self._client(client, arrival))
                with contextlib.suppress(_Abort):  # the reason is in self.abort or self.violation
                    self.env.run()
                if self.abort is not None:
                    raise self.abort
                if self.violation is None:
                    stalled = [i for i, end in enumerate(self.ended) if end is None]
                    if stalled:  # a scheduler waiting for a client that never came: a bug here, not the user's
                        raise RaceError(f"{self._where()}: clients {stalled} never ended")
                    self.violation = self._check()
            finally:
                self._stop_clients()
                self.store.close()
        return Run(
            load=load,
            seed=self.seed,
            scheduler=self.scheduler.describe(),
            results=list(self.results),
            trace=self.trace,
            clients=[self._record(i) for i in range(load.clients)],
            violation=self.violation,
            initial_state=self.initial_state,
        )

    def _record(self, i: int) -> ClientRecord:
        return ClientRecord(i, self.arrived[i] or 0.0, self.ended[i], self.returned[i], self.results[i],
                            _command_of(self.last[i]))

    def _where(self) -> str:
        if self.label is not None:
            return self.label
        return "an explicit schedule" if self.seed is None else f"schedule seed {self.seed}"

    def _fail(self, error: BaseException) -> None:
        self.abort = error
        raise _Abort

    def _setup(self) -> None:
        setup = self.load.setup
        assert setup is not None
        try:
            _call(setup, self.store.plain)
        except (Exception, SystemExit) as exc:
            raise RaceError(
                f"setup {_describe_callable(setup)} raised {format_reply(False, exc, 200)} ({self._where()})"
            ) from exc

    def _check(self, partial: bool = False) -> Verdict:
        invariant = self.load.invariant
        if invariant is None:
            return None
        try:
            value = _call(invariant, self.store.plain, list(self.results))
        except AssertionError as exc:  # its first line: pytest's rewritten asserts add their explanation below
            return str(exc).split("\n", 1)[0] or "the invariant's assert failed"
        except (Exception, SystemExit) as exc:
            raised = "; ".join(
                self._record(i).describe()
                for i, r in enumerate(self.results)
                if not self.returned[i] and r is not RUNNING
            )
            when = " after a command" if partial else ""
            raise RaceError(
                f"the invariant {_describe_callable(invariant)} raised {format_reply(False, exc, 200)}{when} "
                f"({self._where()}){'; ' + raised if raised else ''}"
            ) from exc
        try:
            return judge(value)
        except TypeError as exc:  # what it returned is no verdict (a missing return gives None)
            hint = "; an assert-style check ends with `return True`" if value is None else ""
            raise RaceError(f"{_describe_callable(invariant)}: {exc}{hint}") from None

    def _stop_clients(self) -> None:
        """End the greenlets of clients still running (a stopped run); their finally blocks run directly.

        A client that swallows the ``GreenletExit`` and goes on is abandoned by its
        bridge (see :class:`~queuesim.race.client.Bridge`); what a client raises while
        unwinding is dropped: the run has stopped for a reason of its own.
        """
        for bridge in self.bridges:
            bridge.open = False
            g = bridge.greenlet
            if g is not None and not g.dead:
                with contextlib.suppress(Exception):
                    g.throw(greenlet.GreenletExit)

    # ----------------------------------------------------------------- one client

    def _body(self, r: Any, client: int) -> _Ended:
        try:
            return _Ended(_call(self.load.target, r, client), True)
        except RaceError as exc:  # not the target's doing: the run stops
            raise RaceError(f"client {client} ({self._where()}): {exc}") from exc
        except (Exception, SystemExit) as exc:  # sys.exit() in a target is its exception, not the checker's exit
            return _Ended(exc, False)

    def _client(self, client: int, arrival: float) -> Generator[Any, Any, None]:
        env = self.env
        scheduler = self.scheduler
        gate = self.gate
        if arrival > 0:
            yield env.timeout(arrival)
        bridge = Bridge(client)
        self.bridges.append(bridge)
        r = self.store.race_client(bridge)
        g = ClientGreenlet(self._body, bridge)
        self.arrived[client] = float(env.now)
        if gate is not None:
            gate.start(client)
        message = g.switch(r, client)
        budget = self.load.max_commands
        while type(message) is Request:
            self.requests += 1
            if self.requests > budget:
                self._fail(RaceError(
                    f"{self._where()}: the clients sent more than {budget} commands without ending (client "
                    f"{client} was sending {format_command(message.kind, message.commands) or 'a sleep'}); does the "
                    "target loop forever? (a load that needs more: raise max_commands)"
                ))
            if message.kind == SLEEP:
                if message.seconds > 0:
                    if gate is not None:
                        gate.sleeping(client)
                    yield env.timeout(message.seconds)
                    if gate is not None:
                        gate.awake(client)
                message = g.switch((True, None))
                continue
            sent = float(env.now)
            delay = scheduler.one_way()
            if delay > 0:
                yield env.timeout(delay)
            if gate is not None:
                yield gate.request(client)
            ok, reply = self._execute(client, message)
            entry = TraceEntry(client, message.kind, message.commands, sent, float(env.now), None, ok, reply)
            if self.record_state:
                entry.state = self.store.snapshot()
            self.trace.append(entry)
            self.last[client] = entry
            if gate is not None:
                gate.executed(client)
            if self.load.check_every_command:
                verdict = self._check(partial=True)
                if verdict is not None:
                    self.violation = f"{verdict} (after command {len(self.trace)}, {entry.command})"
                    raise _Abort
            delay = scheduler.one_way()
            if delay > 0:
                yield env.timeout(delay)
            entry.received = float(env.now)
            message = g.switch((ok, reply))
        if message is STALLED:
            last = self.last[client]
            self._fail(RaceError(
                f"client {client} ran for more than {self.load.stall_seconds:g} s without sending a command "
                f"({self._where()}) {f'after {last.command}' if last else 'before any command'}: a loop that sends "
                "nothing (a bare except: retrying an error raised before any command?), or waiting for something "
                "outside the simulation, such as a threading lock another client holds (the simulated clients share "
                "one thread; and a lock of one process does not guard a store that several share); a target that "
                "needs longer: raise stall_seconds"
            ))
        assert isinstance(message, _Ended)
        self.results[client] = message.value
        self.returned[client] = message.returned
        self.ended[client] = float(env.now)
        if gate is not None:
            gate.finish(client)

    def _execute(self, client: int, request: Request) -> tuple[bool, Any]:
        blocking = _blocking(request.commands)
        if blocking is not None:
            self._fail(RaceError(
                f"client {client} sent {blocking}, which blocks: it cannot run in the simulation ({self._where()}); "
                "poll with a non-blocking command and queuesim.race.sleep instead"
            ))
        try:
            reply = request.execute()
        except Exception as exc:
            self._refuse_unknown(client, request, exc)
            return False, exc
        if request.kind != COMMAND and isinstance(reply, list):
            for item in reply:
                if isinstance(item, Exception):
                    self._refuse_unknown(client, request, item)
        return True, reply

    def _refuse_unknown(self, client: int, request: Request, error: BaseException) -> None:
        what = _unknown_command(error)
        if what is None:
            return
        hint = "; try the fakeredis backend (more commands)" if self.load.backend == "fast" else ""
        self._fail(RaceError(
            f"client {client} sent {format_command(request.kind, request.commands)}: {what} the simulated "
            f"store ({self.load.backend}) does not have ({self._where()}){hint}"
        ))


def run_with(
    load: Load,
    scheduler: Scheduler,
    *,
    seed: int | None = None,
    stores: Stores | None = None,
    record_state: bool = False,
    label: str | None = None,
) -> Run:
    """Run ``load`` once under ``scheduler`` (``seed`` only names the run in messages).

    Args:
        record_state: keep a snapshot of the store after every command in the trace.
        stores: where the runs of a series keep their data (reused between them).
        label: how error messages name this run (default: by its seed).

    Raises:
        RaceError: the setup or the invariant raised, a client sent a command the
            store lacks or a blocking one, or the run went past its command budget.
    """
    return _Simulation(load, scheduler, seed, stores or Stores(load.backend), record_state, label).run()


def one_after_the_other(load: Load, stores: Stores | None = None, *, seed: int | None = None) -> Run:
    """The clients run one after the other, without the invariant (``seed``: the schedule it is run for)."""
    label = "the clients one after the other" if seed is None else (
        f"schedule seed {seed}, measuring PCT's k with the clients one after the other"
    )
    probe = dataclasses.replace(load, invariant=None, check_every_command=False)  # only what it sends counts
    return run_with(probe, OrderedScheduler(probe), stores=stores, label=label)


def sequential_steps(load: Load, stores: Stores | None = None, *, seed: int | None = None) -> int:
    """How many round trips the clients make run one after the other (PCT's k; ``seed``: the schedule that needs it)."""
    return max(1, len(one_after_the_other(load, stores, seed=seed).trace))


def run(
    load: Load,
    *,
    seed: int = 1,
    scheduler: str = "mixed",
    record_state: bool = False,
    stores: Stores | None = None,
    steps: Callable[[int], int] | None = None,
) -> Run:
    """Run ``load`` once under the schedule of ``seed``: the same seed (and scheduler) gives the same run.

    ``run(load, seed=finding.seed, scheduler=finding.scheduler)`` replays what a
    finder found.

    Args:
        scheduler: ``mixed`` (default, as the finder's: random or PCT, as the seed draws),
            ``random`` (random arrivals and delays) or ``pct`` (see :mod:`queuesim.race.schedulers`).
        record_state: keep a snapshot of the store after every command in the trace.
        stores: where a series of runs keeps its data (one store reused).
        steps: PCT's k for a seed (default: :func:`sequential_steps` of the load).

    Raises:
        RaceError: see :func:`run_with`.
        ValueError: an unknown scheduler, or a seed that is not an int from 0 to 2**32 − 1.
    """
    check_seed(seed)
    chosen_stores = stores or Stores(load.backend)

    def k() -> int:  # only if PCT is chosen
        return steps(seed) if steps is not None else sequential_steps(load, chosen_stores, seed=seed)

    chosen = make_scheduler(scheduler, load, RandomStreams(seed), steps=k)
    return run_with(load, chosen, seed=seed, stores=chosen_stores, record_state=record_state)
