"""The race finder's own error: a check that could not be carried out (not a violation)."""

from __future__ import annotations

from queuesim.errors import QueuesimError

__all__ = ["RaceError"]


class RaceError(QueuesimError):
    """A target, setup or invariant could not be loaded or run in the simulation.

    Raised, for example, for a target that is not callable, a command the simulated
    store does not have, a blocking command, a schedule that runs past its command
    budget, or an invariant that raises. The message names the client, the command
    and the schedule's seed where there is one. ``queuesim race-check`` exits with 2.
    """
