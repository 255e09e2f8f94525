"""Minimising a failing run: the fewest clients, then the fewest preemptions, that still break the invariant.

A failing run is turned into an explicit schedule: the order in which its round
trips took effect, as blocks ``(client, steps)`` (run-length encoded), replayed by
an :class:`~queuesim.race.schedulers.OrderedScheduler`. Delta debugging (Zeller and
Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", IEEE TSE 2002;
:func:`ddmin`) then drops what the failure does not need, keeping every candidate
that still fails:

1. clients: a subset of the clients runs, numbered 0 … m−1 in their old order, each
   keeping its place in the schedule;
2. blocks: a dropped block's commands run later, at the client's next block or at
   the end, so each dropped block is a preemption fewer. With no block left the
   clients run one after the other: a violation that needs no interleaving at all
   is a plain bug, not a race.

The result is 1-minimal (dropping any one more client or block makes it pass), not
necessarily the smallest there is. It is run once more recording the store after
every command, which is what :func:`~queuesim.race.trace.format_trace` and the
swimlanes show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from queuesim.race.errors import RaceError
from queuesim.race.load import Load
from queuesim.race.schedulers import OrderedScheduler
from queuesim.race.simulation import Run, run_with
from queuesim.race.stores import Stores
from queuesim.race.trace import entry_dict, format_reply, format_trace, preemptions

__all__ = ["Block", "Counterexample", "blocks_of", "ddmin", "minimise"]

T = TypeVar("T")
#: ``(client, steps)``: the client runs this many round trips in a row.
Block = tuple[int, int]


def blocks_of(clients: Sequence[int]) -> list[Block]:
    """The execution order ``clients`` (one entry per round trip) as run-length blocks."""
    blocks: list[Block] = []
    for client in clients:
        if blocks and blocks[-1][0] == client:
            blocks[-1] = (client, blocks[-1][1] + 1)
        else:
            blocks.append((client, 1))
    return blocks


def ddmin(items: Sequence[T], fails: Callable[[list[T]], bool]) -> list[T]:
    """Zeller's ddmin: a 1-minimal sub-list of ``items`` (order kept) on which ``fails`` still holds.

    ``fails(items)`` is assumed true; the empty list is never tried.
    """
    current = list(items)
    granularity = 2
    while len(current) >= 2:
        size = len(current)
        bounds = [size * k // granularity for k in range(granularity + 1)]
        chunks = [current[bounds[k]:bounds[k + 1]] for k in range(granularity)]
        chunks = [c for c in chunks if c]
        reduced = False
        for chunk in chunks:  # a subset alone
            if len(chunk) < size and fails(chunk):
                current, granularity, reduced = chunk, 2, True
                break
        if not reduced:
            for k in range(len(chunks)):  # the complement of a subset
                complement = [x for j, c in enumerate(chunks) if j != k for x in c]
                if complement and len(complement) < size and fails(complement):
                    current, granularity, reduced = complement, max(granularity - 1, 2), True
                    break
        if not reduced:
            if granularity >= size:
                break
            granularity = min(size, granularity * 2)
    return current


def _restrict(blocks: Sequence[Block], kept: Sequence[int]) -> list[Block]:
    """``blocks`` of the clients ``kept`` only, renumbered 0 … m−1 in their order, adjacent ones merged."""
    number = {client: n for n, client in enumerate(kept)}
    return _merge([(number[client], steps) for client, steps in blocks if client in number])


@dataclass(slots=True)
class Counterexample:
    """A small failing run: its clients, its explicit schedule and its recorded trace."""

    #: the load it runs (with as many clients as the counterexample has)
    load: Load
    #: the schedule, as blocks ``(client, steps)``, then each client to its end
    blocks: list[Block]
    #: the run, with the store's state recorded after every command
    run: Run
    #: which clients of the failing run these are (client ``k`` here was ``found_as[k]`` there)
    found_as: list[int]
    #: whether it was minimised (``False``: the failing run as found, which its schedule could not replay)
    minimised: bool = True

    @property
    def clients(self) -> int:
        """How many clients."""
        return self.load.clients

    @property
    def commands(self) -> int:
        """How many round trips the trace holds."""
        return len(self.run.trace)

    @property
    def preemptions(self) -> int:
        """How many times a client was interrupted by another before its end."""
        return preemptions(self.run.trace)

    @property
    def message(self) -> str | None:
        """The invariant's message."""
        return self.run.violation

    def format(self) -> str:
        """The interleaved trace, the clients' results and the violation, as text."""
        head = (
            f"{self.clients} client{'s' if self.clients != 1 else ''}, {self.commands} command"
            f"{'s' if self.commands != 1 else ''}, {self.preemptions} preemption{'s' if self.preemptions != 1 else ''}"
        )
        lines = [head, format_trace(self.run.trace, list(range(self.clients)), self.run.initial_state)]
        lines += [record.describe() for record in self.run.clients]
        lines.append(f"violation: {self.message}")
        if self.minimised and not self.blocks:
            lines.append("no preemption needed: it fails with the clients one after the other (a bug, not a race)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``counterexample`` of ``queuesim race-check --json``)."""
        return {
            "clients": [
                {
                    "client": record.client,
                    "result": format_reply(record.returned, record.result, 200),
                    "raised": not record.returned,
                    "found_as": self.found_as[record.client],
                }
                for record in self.run.clients
            ],
            "trace": [entry_dict(e) for e in self.run.trace],
            "schedule": [list(block) for block in self.blocks],
            "initial_state": self.run.initial_state,
            "preemptions": self.preemptions,
            "minimised": self.minimised,
            "message": self.message,
        }

    def replay(self, *, record_state: bool = True) -> Run:
        """Run the counterexample again under its explicit schedule (a minimised one fails again, always)."""
        return run_with(self.load, OrderedScheduler(self.load, self.blocks), record_state=record_state)

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Draw it as swimlanes (:func:`queuesim.race.swimlanes.plot_swimlanes`); returns the Axes."""
        from queuesim.race.swimlanes import plot_swimlanes

        return plot_swimlanes(self.run, ax=ax, **options)


def minimise(
    load: Load, failing: Run, *, stores: Stores | None = None, rerun: Callable[[], Run] | None = None
) -> Counterexample:
    """The smallest failing schedule ddmin reaches from ``failing`` (a run of ``load`` whose invariant failed).

    Args:
        rerun: replays ``failing`` recording the store's state; used when its explicit
            schedule does not fail (a target whose behaviour depends on the exact
            virtual times), so the counterexample is then the failing run itself.

    Raises:
        ValueError: ``failing`` did not fail.
    """
    if not failing.violated:
        raise ValueError("only a failing run can be minimised")
    stores = stores or Stores(load.backend)

    def attempt(kept: Sequence[int], blocks: Sequence[Block], record: bool = False) -> Run | None:
        sub = load.with_clients(len(kept))
        try:
            result = run_with(sub, OrderedScheduler(sub, blocks), stores=stores, record_state=record)
        except RaceError:  # a smaller run that cannot be checked does not count as failing
            return None
        return result if result.violated else None

    everyone = list(range(load.clients))
    order = blocks_of([e.client for e in failing.trace])
    if attempt(everyone, order) is None:
        found = rerun() if rerun is not None else failing
        return Counterexample(load, order, found, everyone, minimised=False)
    kept = ddmin(everyone, lambda subset: attempt(subset, _restrict(order, subset)) is not None)
    blocks = _restrict(order, kept)
    if attempt(kept, []) is not None:
        blocks = []
    else:
        blocks = ddmin(blocks, lambda subset: attempt(kept, _merge(subset)) is not None)
        blocks = _merge(blocks)
    final = attempt(kept, blocks, record=True)
    assert final is not None  # deterministic: it failed a moment ago
    return Counterexample(load.with_clients(len(kept)), blocks, final, list(kept))


def _merge(blocks: Sequence[Block]) -> list[Block]:
    out: list[Block] = []
    for client, steps in blocks:
        if out and out[-1][0] == client:
            out[-1] = (client, out[-1][1] + steps)
        else:
            out.append((client, steps))
    return out
