"""Targets to run through the race finder, written with plain redis-py: copy one and change it.

* :mod:`~queuesim.race.examples.stock`: the course's stock reservation four ways:
  GET then SET (the original: racy), the falsy-zero bug, WATCH/MULTI and Lua.
* :mod:`~queuesim.race.examples.seats`: the seat service's workers, each running
  reservation jobs GET then SET: one worker is safe, a second one races.
* :mod:`~queuesim.race.examples.services`: queuesim's own stock and seat services
  (``naive``, ``watch``, ``atomic``) as targets.

Each module has a ``setup`` and a ``check`` beside its targets, so on the command line::

    queuesim race-check queuesim.race.examples.stock:reserve_naive --setup setup --invariant check
"""
