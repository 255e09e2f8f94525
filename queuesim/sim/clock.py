"""The simulation clock: SimPy's ``env.now`` read as seconds, or as whole milliseconds for conversations.

Time unit: SimPy time in queuesim is **seconds** (a float). Conversations and Lua
scripts take ``now`` as an **int of milliseconds** (the unit of Redis ``PX`` and of
job timestamps), which :meth:`SimClock.now_ms` gives: the same reading a live
caller would take with ``int(time.time() * 1000)``, but from virtual time.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SimClock"]

# env.now * 1000 can land a hair below a whole millisecond (1.005 * 1000 = 1004.9999999999999);
# nudging by far less than a millisecond makes the floor read what the schedule meant.
_EPSILON_MS = 1e-6


class SimClock:
    """Reads the virtual time of a SimPy environment (a drop-in for ``time.time`` in sim runs)."""

    __slots__ = ("env",)

    def __init__(self, env: Any) -> None:
        self.env = env

    def __repr__(self) -> str:
        return f"<SimClock t={self.env.now:.6f}s>"

    def time(self) -> float:
        """Seconds since the start of the simulation (``env.now``)."""
        return float(self.env.now)

    def now_ms(self) -> int:
        """Whole milliseconds since the start of the simulation (floor, like a wall clock in ms)."""
        ms = self.env.now * 1000.0 + _EPSILON_MS
        # int() is floor from zero up, and cheaper (a worker reads the clock several times a job)
        return int(ms) if ms >= 0.0 else math.floor(ms)
