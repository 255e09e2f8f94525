"""Swimlanes of a run: :func:`queuesim.sim.plots.plot_swimlanes` (the one drawing) fed from a run's trace.

One lane per client, each round trip a box from send to reply, the thick mark
inside at the instant it took effect at the server, labelled ``COMMAND → REPLY``;
in recorded runs (such as a counterexample's) a bottom lane, the store, shows its
keys right after each command. Read the marks from left to right and you read the
order the server saw, which is what decides a race.

matplotlib is imported when a figure is drawn, never by ``import queuesim.race``.
"""

from __future__ import annotations

from typing import Any

from queuesim.race.simulation import Run
from queuesim.race.trace import format_state, state_changes

__all__ = ["plot_swimlanes"]

_STATE = 24  # characters of a whole store shown on its lane; longer stores show what changed


def plot_swimlanes(run: Run, ax: Any = None, *, title: str | None = None, show_state: bool = True) -> Any:
    """Draw ``run`` as swimlanes on ``ax`` (a new figure when omitted); returns the Axes.

    Args:
        run: a run, e.g. ``finding.counterexample.run``.
        title: the title (default: the violation's message, or "invariant held").
        show_state: draw the store's lane (when the run recorded states).
    """
    import matplotlib.pyplot as plt

    from queuesim.sim.plots import LaneEvent
    from queuesim.sim.plots import plot_swimlanes as draw

    with_state = show_state and any(entry.state is not None for entry in run.trace)
    names = [f"client {record.client}" for record in run.clients]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 1.0 + 1.1 * (len(names) + with_state)))
    events = []
    previous = run.initial_state
    for entry in run.trace:
        state = None
        if with_state:
            whole = format_state(entry.state)
            state = whole if len(whole) <= _STATE else state_changes(previous, entry.state)
            previous = entry.state
        received = entry.received if entry.received is not None else entry.at
        events.append(LaneEvent(f"client {entry.client}", entry.sent * 1000, entry.at * 1000, received * 1000,
                                f"{entry.command} → {entry.reply_text}", entry.ok, state))
    return draw(
        ax, events, lanes=names, server="store",
        arrived={f"client {r.client}": r.arrived * 1000 for r in run.clients},
        ended={f"client {r.client}": r.ended * 1000 for r in run.clients if r.ended is not None},
        title=title if title is not None else (run.violation or "invariant held"),
    )
