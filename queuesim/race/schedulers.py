"""Schedulers: who reaches the server when, in one run of a load.

In virtual time a *step* is one round trip reaching the server. A scheduler decides
when the clients arrive, how long each message travels and, for the *gated* ones,
which waiting command the server takes next:

* :class:`RandomScheduler`: seeded arrivals (all at once, or Poisson) and random
  network delays; commands take effect as they arrive. Cheap, and finds shallow
  races often.
* :class:`PCTScheduler`: probabilistic concurrency testing (Burckhardt, Kothari,
  Musuvathi and Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of
  Finding Bugs", ASPLOS 2010). The clients get random distinct priorities; the server
  always takes the command of the highest-priority client still running (the others'
  commands wait, as if delayed in the network); at d−1 random change points among the
  k steps the running client drops below all others. A bug of depth d (d ordering
  constraints must hold for it to show) among n clients is found by one run with
  probability at least 1/(n·k^(d−1)); the GET-then-SET lost update has depth 2.
* :class:`OrderedScheduler`: an explicit schedule, as blocks ``(client, steps)`` run in
  turn and then every client to its end, one after the other: how a minimised
  counterexample is replayed.

Every draw comes from the named streams of one seed (:class:`~queuesim.sim.RandomStreams`),
so a seed is a schedule: the same seed gives the same run, bit for bit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence

from queuesim.race.load import Load
from queuesim.sim.distributions import distribution
from queuesim.sim.network import Network
from queuesim.sim.streams import RandomStreams

__all__ = [
    "SCHEDULERS",
    "SEED_LIMIT",
    "OrderedScheduler",
    "PCTScheduler",
    "RandomScheduler",
    "Scheduler",
    "check_seed",
    "make_scheduler",
    "schedule_seed",
]

#: How a finder chooses each schedule: ``mixed`` (half random, half PCT), ``random`` or ``pct``.
SCHEDULERS = ("mixed", "random", "pct")
#: Seeds are below this (32 bits), so a reported seed is short enough to type.
SEED_LIMIT = 2**32
_GOLDEN = 0x9E3779B9  # Weyl step: schedule seeds of one finder never repeat within 2^32 schedules


def check_seed(seed: int) -> int:
    """``seed`` if it is an int from 0 to ``SEED_LIMIT`` − 1.

    Raises:
        ValueError: it is not.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be an int from 0 to {SEED_LIMIT - 1}, got {seed!r}")
    return seed


def schedule_seed(seed: int, index: int) -> int:
    """The seed of schedule ``index`` of a finder started with ``seed`` (schedule 0 uses ``seed`` itself).

    So a reported seed, given back with one schedule, replays exactly that schedule.
    """
    return (seed + index * _GOLDEN) % SEED_LIMIT


def _arrivals(load: Load, streams: RandomStreams) -> list[float]:
    if load.arrival_rate is None:
        return [0.0] * load.clients
    gaps = streams["arrivals"]
    times, now = [], 0.0
    for _ in range(load.clients):
        now += gaps.exponential(1.0 / load.arrival_rate)
        times.append(now)
    return times


class Scheduler(ABC):
    """The choices of one run: arrivals, message delays and (gated schedulers) the server's order."""

    #: whether the server waits for :meth:`choose` before taking a command
    gated: bool = False

    @abstractmethod
    def arrivals(self) -> list[float]:
        """When each client starts (seconds of virtual time)."""

    @abstractmethod
    def one_way(self) -> float:
        """The delay of one message (seconds)."""

    def choose(self, pending: Collection[int], live: Collection[int], finished: Collection[int]) -> int | None:
        """Gated schedulers: the client whose waiting command the server takes now, or None to wait.

        ``pending``: clients whose command waits at the server; ``live``: clients started
        and not ended; ``finished``: clients that ended.
        """
        return next(iter(pending), None)

    def executed(self, client: int) -> None:  # noqa: B027 (a hook: most schedulers need nothing)
        """Told after each step the server took, with the client it came from."""

    @abstractmethod
    def describe(self) -> str:
        """One line: what this scheduler does in this run."""


class RandomScheduler(Scheduler):
    """Seeded arrivals and random network delays (the load's ``delay`` distribution, mean RTT/2)."""

    def __init__(self, load: Load, streams: RandomStreams) -> None:
        self._arrivals = _arrivals(load, streams)
        half = load.rtt_ms / 2000
        self.network = Network.zero() if half == 0 else Network(distribution(load.delay, half), streams["network"])

    def arrivals(self) -> list[float]:
        """When each client starts."""
        return list(self._arrivals)

    def one_way(self) -> float:
        """A random delay."""
        return self.network.one_way()

    def describe(self) -> str:
        """One line."""
        return "random arrivals and delays"


class PCTScheduler(Scheduler):
    """PCT: random priorities, the highest running client goes first, d−1 random change points.

    Args:
        load: the load (arrivals as it says; every message takes RTT/2).
        streams: the run's streams (``pct`` draws the priorities and change points).
        depth: d, the bug depth aimed at (≥ 1; 1 means no change point).
        steps: k, the number of steps the change points are drawn among.
    """

    gated = True

    def __init__(self, load: Load, streams: RandomStreams, depth: int, steps: int) -> None:
        if depth < 1 or steps < 1:
            raise ValueError(f"PCT needs depth ≥ 1 and steps ≥ 1, got depth {depth}, steps {steps}")
        self._arrivals = _arrivals(load, streams)
        self._half = load.rtt_ms / 2000
        stream = streams["pct"]
        order = list(range(load.clients))
        for i in range(len(order) - 1, 0, -1):  # Fisher-Yates, one uniform per swap
            j = stream.randrange(i + 1)
            order[i], order[j] = order[j], order[i]
        #: client -> priority: d … d+n−1 at first, higher runs first
        self.priority = {client: depth + rank for rank, client in enumerate(order)}
        points: dict[int, int] = {}
        while len(points) < min(depth - 1, steps):
            step = 1 + stream.randrange(steps)
            if step not in points:
                points[step] = len(points) + 1  # the i-th change point lowers to priority i
        self.change_points = points
        self.depth = depth
        self.steps_bound = steps
        self._steps = 0

    def arrivals(self) -> list[float]:
        """When each client starts."""
        return list(self._arrivals)

    def one_way(self) -> float:
        """RTT/2: the order is the scheduler's, not the network's."""
        return self._half

    def choose(self, pending: Collection[int], live: Collection[int], finished: Collection[int]) -> int | None:
        """The highest-priority running client, if its command is waiting."""
        if not live:
            return None
        top = max(live, key=self.priority.__getitem__)
        return top if top in pending else None

    def executed(self, client: int) -> None:
        """Count the step; at a change point the client drops below every other."""
        self._steps += 1
        lowered = self.change_points.get(self._steps)
        if lowered is not None:
            self.priority[client] = lowered

    def describe(self) -> str:
        """One line."""
        points = ", ".join(str(p) for p in sorted(self.change_points)) or "none"
        return f"PCT depth {self.depth} over {self.steps_bound} steps (change points: {points})"


class OrderedScheduler(Scheduler):
    """An explicit schedule: ``blocks`` of ``(client, steps)`` in turn, then each client to its end.

    Every client starts at time 0 and every message takes RTT/2. A block's client
    runs up to ``steps`` commands (fewer if it ends); a block of a client that has
    ended is skipped. After the last block the server keeps to the client it ran
    last until that one ends, then takes the lowest-numbered client left: no more
    preemptions. With no blocks, the clients run one after the other.
    """

    gated = True

    def __init__(self, load: Load, blocks: Sequence[tuple[int, int]] = ()) -> None:
        self.clients = load.clients
        self.blocks = tuple((int(c), int(n)) for c, n in blocks)
        for client, steps in self.blocks:
            if not 0 <= client < load.clients or steps < 1:
                raise ValueError(f"a block names client {client} of {load.clients} for {steps} steps")
        self._half = load.rtt_ms / 2000
        self._block = 0
        self._used = 0
        self._last: int | None = None

    def arrivals(self) -> list[float]:
        """All at time 0."""
        return [0.0] * self.clients

    def one_way(self) -> float:
        """RTT/2."""
        return self._half

    def choose(self, pending: Collection[int], live: Collection[int], finished: Collection[int]) -> int | None:
        """The current block's client; after the blocks, the last one run, else the lowest left."""
        while self._block < len(self.blocks):
            client = self.blocks[self._block][0]
            if client in finished:
                self._block, self._used = self._block + 1, 0
                continue
            return client if client in pending else None
        last = self._last
        if last is not None and last not in finished:
            return last if last in pending else None
        left = [c for c in range(self.clients) if c not in finished]
        if not left:
            return None
        return left[0] if left[0] in pending else None

    def executed(self, client: int) -> None:
        """Count the step against the current block."""
        self._last = client
        if self._block < len(self.blocks):
            self._used += 1
            if self._used >= self.blocks[self._block][1]:
                self._block, self._used = self._block + 1, 0

    def describe(self) -> str:
        """One line."""
        if not self.blocks:
            return "one client after the other"
        return "blocks " + " ".join(f"{c}×{n}" for c, n in self.blocks) + ", then each client to its end"


def make_scheduler(
    mode: str, load: Load, streams: RandomStreams, *, steps: int | Callable[[], int] | None = None
) -> Scheduler:
    """The scheduler of one schedule: ``random``, ``pct`` or ``mixed`` (drawn from the seed's ``scheduler`` stream).

    PCT draws its depth (2 or 3) from the same stream; ``steps`` is k for PCT (the
    length of a run with no preemption, :func:`queuesim.race.simulation.sequential_steps`),
    or a function giving it (called only if PCT is chosen).

    Raises:
        ValueError: an unknown mode, or PCT without ``steps``.
    """
    if mode not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {mode!r}; choose one of {', '.join(SCHEDULERS)}")
    choice = streams["scheduler"]
    kind = mode
    if mode == "mixed":
        kind = "random" if choice.random() < 0.5 else "pct"
    if kind == "random":
        return RandomScheduler(load, streams)
    if steps is None:
        raise ValueError("a PCT schedule needs steps (k)")
    depth = 2 + choice.randrange(2)
    k = steps() if callable(steps) else steps
    return PCTScheduler(load, streams, depth, max(1, k))
