"""The Redis server as a single-threaded resource: commands queue for it and each takes a service time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from queuesim.drivers import Batch, Step
from queuesim.sim._checks import check_non_negative

__all__ = ["Server", "step_commands"]


def step_commands(step: Step) -> int:
    """How many commands a step sends: 1 for a command or a script call, the batch size for a batch."""
    return len(step.steps) if isinstance(step, Batch) else 1


class Server:
    """A single-threaded Redis server: one step at a time, each holding it for its service time.

    Without a server model (the driver's default) commands cost no server time and
    never queue. With one, a step that reaches a busy server waits its turn (FIFO),
    is applied when its turn comes, and its reply leaves after its service time.

    Args:
        env: the SimPy environment.
        service_time: seconds per command (a batch costs one per command in it, a
            script call counts as one command), or a function giving the seconds a
            step takes, e.g. ``lambda step: dist.sample(streams["server"])``.
    """

    __slots__ = ("_cost", "_per_command", "busy_time", "commands", "env", "resource", "steps")

    def __init__(self, env: Any, service_time: float | Callable[[Step], float] = 0.0) -> None:
        self.env = env
        self.resource = simpy.Resource(env, capacity=1)
        if callable(service_time):
            self._cost: Callable[[Step], float] | None = service_time
            self._per_command = 0.0
        else:
            self._cost = None
            self._per_command = check_non_negative(service_time, "service_time (seconds per command)")
        #: Steps served so far.
        self.steps = 0
        #: Commands served so far.
        self.commands = 0
        #: Total seconds spent serving.
        self.busy_time = 0.0

    def __repr__(self) -> str:
        return f"<Server steps={self.steps} queue={len(self.resource.queue)}>"

    def cost(self, step: Step) -> float:
        """The service time of ``step`` in seconds."""
        if self._cost is not None:
            seconds = float(self._cost(step))
            if not seconds >= 0:
                raise ValueError(f"service_time gave {seconds!r} seconds for {step!r}; it must be ≥ 0")
            return seconds
        return self._per_command * step_commands(step)

    def utilization(self) -> float:
        """Fraction of the elapsed simulated time the server was busy."""
        now = float(self.env.now)
        return self.busy_time / now if now > 0 else 0.0
