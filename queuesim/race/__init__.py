"""queuesim.race: anyone's redis-py code under concurrent load in virtual time; its races found, replayed, drawn.

A function written with plain redis-py, ``def reserve(r, i): ...``, runs as K
simulated clients against one simulated Redis (:mod:`queuesim.sim`'s store, on a
SimPy clock). Every command it sends is suspended (a greenlet switch), travels the
simulated network, takes effect at its virtual instant and comes back through
redis-py's own reply parsing::

    from queuesim.race import Load, find_race

    finding = find_race(Load(reserve, clients=10, setup=setup, invariant=check))
    finding.seed                      # replays the failing schedule: run(load, seed=...)
    print(finding.counterexample)     # the fewest clients and commands that still fail
    finding.counterexample.plot()     # swimlanes (matplotlib, imported only then)

* :class:`Load`, :func:`run`: one run of K clients (arrivals, RTT, setup, invariant);
  each client's result, the command trace with virtual times, the verdict.
* :func:`find_race`: seeded random and PCT schedules until the invariant fails; the
  seed that replays it; a ddmin-minimised :class:`Counterexample`.
* :func:`sleep` (and :func:`asleep`): think time in virtual time inside a target.
* ``queuesim race-check TARGET --setup SETUP --invariant CHECK``: the same from the shell.

``import queuesim`` does not import this package; importing it imports SimPy and
greenlet, never matplotlib.
"""

from queuesim.race.aio import AsyncRaceClient, asleep
from queuesim.race.client import sleep
from queuesim.race.errors import RaceError
from queuesim.race.finder import Finding, find_race
from queuesim.race.load import RUNNING, Load
from queuesim.race.minimise import Counterexample, ddmin, minimise
from queuesim.race.schedulers import OrderedScheduler, PCTScheduler, RandomScheduler, Scheduler
from queuesim.race.simulation import ClientRecord, Run, run, run_with
from queuesim.race.swimlanes import plot_swimlanes
from queuesim.race.trace import TraceEntry, format_trace

__all__ = [
    "RUNNING",
    "AsyncRaceClient",
    "ClientRecord",
    "Counterexample",
    "Finding",
    "Load",
    "OrderedScheduler",
    "PCTScheduler",
    "RaceError",
    "RandomScheduler",
    "Run",
    "Scheduler",
    "TraceEntry",
    "asleep",
    "ddmin",
    "find_race",
    "format_trace",
    "minimise",
    "plot_swimlanes",
    "run",
    "run_with",
    "sleep",
]
