"""Simulated queue workers: the real worker loop (:mod:`queuesim.queue.dispatch`) in virtual time.

A :class:`SimWorker` runs the dispatcher's loop (a conversation) through a
:class:`~queuesim.sim.driver.SimDriver` (network delay, then the real Lua
scripts against the simulation's store) and answers its effects inside SimPy:
a ``Start`` becomes a SimPy process that "works" for the job's service time, and
a ``Wait`` waits in virtual time until its timeout or until it is poked. Idle
workers are poked by a :class:`WakeBus` when a job is enqueued: the simulated
counterpart of the wake list that live workers block on with ``BLPOP`` (blocking
commands cannot run in a simulation).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import simpy

from queuesim.drivers import Effect
from queuesim.queue.conversations import Outcome
from queuesim.queue.dispatch import Dispatcher, Run, Start, Wait, WorkerSettings, WorkerStats
from queuesim.queue.keys import QueueKeys
from queuesim.sim.driver import SimDriver

__all__ = ["RunHandler", "SimWorker", "WakeBus"]

#: What a simulated job does: a generator (SimPy process body) that works on the run
#: and returns its outcome, e.g. ``yield env.timeout(service); return result_outcome(...)``.
RunHandler = Callable[[Run], Generator[Any, Any, Outcome]]


def _end_wait(wake: simpy.Event, _timeout: simpy.Event) -> None:
    """A wait's timeout: end the wait unless a poke ended it already."""
    if not wake.triggered:
        wake.succeed()


class WakeBus:
    """Pokes one idle worker per notification (what ``LPUSH wake`` + ``BLPOP`` do live)."""

    __slots__ = ("idle",)

    def __init__(self) -> None:
        self.idle: deque[SimWorker] = deque()

    def notify(self) -> None:
        """Work arrived: wake the longest-idle worker that is still idle."""
        while self.idle:
            worker = self.idle.popleft()
            if worker.poke():
                return


class SimWorker:
    """One worker process of the queue, simulated.

    Args:
        env: the SimPy environment.
        driver: this worker's connection (a :class:`SimDriver`).
        keys: the queue's keys.
        clock_ms: the queue clock (virtual time in ms).
        settings: the worker's knobs (concurrency, lease, stall interval …).
        handler: the job's body in virtual time (see :data:`RunHandler`).
        bus: where idle workers wait to be poked; None = only their own timeouts wake them.
        name: the worker id used in lease tokens.
        events_maxlen: the queue's event stream length.
    """

    def __init__(
        self,
        env: simpy.Environment,
        driver: SimDriver,
        keys: QueueKeys,
        clock_ms: Callable[[], int],
        settings: WorkerSettings,
        handler: RunHandler,
        *,
        bus: WakeBus | None = None,
        name: str = "sim-worker",
        events_maxlen: int = 10_000,
    ) -> None:
        self.env = env
        self.driver = driver
        self.handler = handler
        self.bus = bus
        self.core = Dispatcher(keys, events_maxlen, clock_ms, settings, name, {})
        self.process: simpy.Process | None = None
        self._jobs: list[simpy.Process] = []
        self._wake: simpy.Event | None = None
        self.alive = True

    def __repr__(self) -> str:
        return f"<SimWorker {self.core.worker_id} running={len(self.core.runs)}>"

    @property
    def stats(self) -> WorkerStats:
        """What the worker did."""
        return self.core.stats

    def start(self, burst: bool = False) -> simpy.Process:
        """Start the worker's loop as a SimPy process."""
        self.process = self.env.process(self._loop(burst))
        return self.process

    def poke(self) -> bool:
        """Wake the worker if it is waiting; False if it was not (so the bus tries another)."""
        if not self.alive or self._wake is None or self._wake.triggered or self.core.free_slots() <= 0:
            return False  # not waiting for work (a stale entry of the bus, or busy): try another
        self.core.work_arrived()
        self._wake.succeed()
        return True

    def kill(self) -> None:
        """Kill -9: the loop and every running job stop at once; nothing is reported or released."""
        self.alive = False
        for proc in [self.process, *self._jobs]:
            if proc is not None and proc.is_alive:
                proc.interrupt("killed")
        self._jobs.clear()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Graceful stop, as SIGTERM does live."""
        self.core.stop(timeout_s)
        self._poke_self()

    def _poke_self(self) -> None:
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    def _loop(self, burst: bool) -> Generator[Any, Any, None]:
        try:
            yield from self.driver.run(self.core.steps(burst), self._effect)
        except simpy.Interrupt:
            return

    def _effect(self, effect: Effect) -> Generator[Any, Any, None]:
        """The dispatcher's effects in virtual time (an abandoned run keeps working; its result is ignored)."""
        if type(effect) is Start:
            self._jobs.append(self.env.process(self._run_job(effect.run)))
        elif type(effect) is Wait:
            # one event ends the wait: a poke triggers it, and so does the timeout (when the
            # wait is still on): no Condition, whose own event would cost a step per wake-up
            wake = self._wake = self.env.event()
            if self.bus is not None and self.core.free_slots() > 0:
                self.bus.idle.append(self)
            self.env.timeout(effect.seconds).callbacks.append(partial(_end_wait, wake))
            yield wake
            self._wake = None

    def _run_job(self, run: Run) -> Generator[Any, Any, None]:
        try:
            outcome = yield from self.handler(run)
        except simpy.Interrupt:
            return
        if not self.alive:
            return
        self.core.finished(run, outcome)
        self._poke_self()
        me = self.env.active_process
        if me in self._jobs:
            self._jobs.remove(me)
