"""The race finder: run a load under schedule after schedule until its invariant fails.

Schedule ``j`` of a finder started with seed ``S`` has its own seed
(:func:`~queuesim.race.schedulers.schedule_seed`; schedule 0 uses ``S``), and that
seed decides everything in it: which scheduler (``mixed``: random or PCT, half
each), arrivals, delays, priorities, change points. So the seed a finding reports
replays the failing run exactly (:func:`replay`, or ``queuesim race-check ... --seed
SEED --schedules 1``). The failing run is then minimised
(:func:`~queuesim.race.minimise.minimise`) into a counterexample to read and draw.

Schedulers: seeded random arrivals and delays, and PCT (Burckhardt, Kothari,
Musuvathi and Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of
Finding Bugs", ASPLOS 2010); see :mod:`queuesim.race.schedulers`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queuesim.race.errors import RaceError
from queuesim.race.load import Load
from queuesim.race.minimise import Counterexample, blocks_of, minimise
from queuesim.race.schedulers import SCHEDULERS, check_seed, schedule_seed
from queuesim.race.simulation import ClientRecord, Run, one_after_the_other, run, sequential_steps
from queuesim.race.stores import Stores

__all__ = ["Finding", "find_race", "run_difference"]


@dataclass(slots=True)
class Finding:
    """What a search found: a violation (with the seed that replays it and a counterexample) or none."""

    #: the load searched
    load: Load
    #: whether the invariant failed in some schedule
    violation: bool
    #: how many schedules were run (the failing one included)
    schedules: int
    #: the seed of the failing schedule (replays it), or ``None``
    seed: int | None
    #: how schedules were chosen (``mixed``, ``random`` or ``pct``)
    scheduler: str
    #: the failing run as found, or ``None``
    run: Run | None = None
    #: the minimised counterexample, or ``None``
    counterexample: Counterexample | None = None
    #: in how many schedules some client raised (its exception was its result)
    raised_in: int = 0
    #: the first client that raised, and the seed of its schedule
    first_raised: tuple[int, ClientRecord] | None = None
    #: a schedule that ran differently when run again (its seed, ``None`` for the clients one after the
    #: other, and how), or ``None``
    unstable: tuple[int | None, str] | None = None

    def raised_note(self) -> str | None:
        """One line about the clients that raised, or ``None`` if none did."""
        if self.first_raised is None:
            return None
        seed, record = self.first_raised
        return (f"clients raised in {self.raised_in} of {self.schedules} schedules (their exceptions were their "
                f"results); the first: {record.describe()} (schedule seed {seed})")

    def unstable_note(self) -> str | None:
        """One line about a schedule that ran differently when run again, or ``None``."""
        if self.unstable is None:
            return None
        seed, difference = self.unstable
        what = "the clients one after the other" if seed is None else f"schedule seed {seed}"
        return (f"{what}, run twice, ran differently ({difference}): the target depends on more than the seed "
                "(state kept in Python between runs, such as a module-level flag: reset it in SETUP; random; the "
                "wall clock), so a seed may not replay what it did")

    @property
    def message(self) -> str | None:
        """The invariant's message in the failing run."""
        return None if self.run is None else self.run.violation

    def to_dict(self) -> dict[str, Any]:
        """What ``queuesim race-check --json`` prints: ``violation``, ``schedules``, ``seed``, ``counterexample``, …"""
        return {
            "violation": self.violation,
            "schedules": self.schedules,
            "seed": self.seed,
            "scheduler": self.scheduler,
            "clients": self.load.clients,
            "message": self.message,
            "schedule": None if self.run is None else self.run.scheduler,
            "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
            "unstable": None if self.unstable is None else {"seed": self.unstable[0], "difference": self.unstable[1]},
            "raised": None if self.first_raised is None else {
                "schedules": self.raised_in,
                "seed": self.first_raised[0],
                "client": self.first_raised[1].client,
                "error": self.first_raised[1].describe(),
            },
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict())

    def format(self) -> str:
        """A report: the verdict, the seed that replays it and the counterexample."""
        plural = "s" if self.schedules != 1 else ""
        if not self.violation:
            clients = f"{self.load.clients} client{'s' if self.load.clients != 1 else ''}"
            return f"no violation in {self.schedules} schedule{plural} of {clients} ({self.load.checks})"
        lines = [
            f"VIOLATION in schedule {self.schedules} (seed {self.seed}, {self.run.scheduler if self.run else ''}; "
            f"{self.load.checks}): {self.message}"
        ]
        if self.counterexample is not None:
            kind = "minimised counterexample" if self.counterexample.minimised else "counterexample (not minimised)"
            lines.append(f"{kind}: {self.counterexample.format()}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def find_race(
    load: Load,
    *,
    schedules: int = 100,
    seed: int = 1,
    scheduler: str = "mixed",
    minimise_counterexample: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Finding:
    """Run ``load`` under up to ``schedules`` schedules until its invariant fails.

    Args:
        schedules: the budget: how many schedules to try at most.
        seed: the finder's seed (schedule 0 uses it, the others derive from it).
        scheduler: ``mixed`` (default: each schedule random or PCT, half each),
            ``random`` or ``pct``.
        minimise_counterexample: minimise the failing run (else the counterexample
            is the failing run itself, recorded).
        progress: called with the number of schedules run so far, after each.

    Raises:
        RaceError: the load cannot be run (see :func:`queuesim.race.run_with`); the
            message names the client, the command and the schedule's seed.
        ValueError: a budget, seed or scheduler out of range.
    """
    if isinstance(schedules, bool) or not isinstance(schedules, int) or schedules < 1:
        raise ValueError(f"schedules must be an int ≥ 1, got {schedules!r}")
    check_seed(seed)
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; choose one of {', '.join(SCHEDULERS)}")
    stores = Stores(load.backend)
    cached: list[int] = []

    def steps(for_seed: int) -> int:  # PCT's k, computed once (for the first schedule that needs it)
        if not cached:
            cached.append(sequential_steps(load, stores, seed=for_seed))
        return cached[0]

    raised_in = 0
    first_raised: tuple[int, ClientRecord] | None = None
    unstable: tuple[int | None, str] | None = None
    try:  # the clients one after the other, twice: PCT's k, and whether a run is a function of its schedule
        first, second = (one_after_the_other(load, stores, seed=seed) for _ in range(2))
    except RaceError:
        if scheduler != "random":
            raise  # PCT needs k
    else:
        cached.append(max(1, len(first.trace)))
        difference = run_difference(first, second)
        if difference is not None:
            unstable = (None, difference)
    for index in range(schedules):
        this_seed = schedule_seed(seed, index)

        def again(s: int = this_seed, record: bool = False) -> Run:
            return run(load, seed=s, scheduler=scheduler, stores=stores, steps=steps, record_state=record)

        result = again()
        if progress is not None:
            progress(index + 1)
        if result.errors:
            raised_in += 1
            if first_raised is None:
                first_raised = (this_seed, result.clients[min(result.errors)])
        if result.violated:
            recorded = again(record=True)
            difference = run_difference(result, recorded)
            if difference is not None:
                unstable = (this_seed, difference)
                recorded = result  # the run as found: the replay did something else

            if minimise_counterexample:
                def as_recorded(found: Run = recorded) -> Run:
                    return found

                counterexample = minimise(load, result, stores=stores, rerun=as_recorded)
            else:
                order = blocks_of([e.client for e in recorded.trace])
                counterexample = Counterexample(load, order, recorded, list(range(load.clients)), minimised=False)
            return Finding(load, True, index + 1, this_seed, scheduler, result, counterexample, raised_in, first_raised,
                           unstable)
    return Finding(load, False, schedules, None, scheduler, raised_in=raised_in, first_raised=first_raised,
                   unstable=unstable)


def run_difference(first: Run, second: Run) -> str | None:
    """How ``second`` (the same schedule run again) differs from ``first``: the first trace entry or result, or None."""
    for n, (a, b) in enumerate(zip(first.trace, second.trace, strict=False)):
        seen = (a.client, a.at, a.command, a.reply_text)
        if seen != (b.client, b.at, b.command, b.reply_text):
            return (f"round trip {n + 1} was client {a.client} {a.command} → {a.reply_text}, then client {b.client} "
                    f"{b.command} → {b.reply_text}")
    if len(first.trace) != len(second.trace):
        return f"{len(first.trace)} round trips, then {len(second.trace)}"
    for a_record, b_record in zip(first.clients, second.clients, strict=True):
        if a_record.describe() != b_record.describe():
            return f"{a_record.describe()}, then {b_record.describe().removeprefix(f'client {b_record.client} ')}"
    if first.violation != second.violation:
        return f"the invariant said {first.violation!r}, then {second.violation!r}"
    return None
