"""Swimlanes: a run drawn with one lane per client, each round trip a box from send to reply.

The box spans the command's trip: sent at its left edge, answered at its right
edge; the thick mark inside is the instant it took effect at the server, labelled
``COMMAND → REPLY``. A dotted line drops from that instant to the bottom lane, the
store, which shows its keys right after each command (in recorded runs, such as a
counterexample's). Read the marks from left to right and you read the order the
server saw, which is what decides a race.

matplotlib is imported when a figure is drawn, never by ``import queuesim.race``.
"""

from __future__ import annotations

from typing import Any

from queuesim.race.simulation import Run
from queuesim.race.trace import format_state

__all__ = ["plot_swimlanes"]

_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")
_LABEL = 30  # characters of a box's label


def _short(text: str, limit: int = _LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot_swimlanes(run: Run, ax: Any = None, *, title: str | None = None, show_state: bool = True) -> Any:
    """Draw ``run`` as swimlanes on ``ax`` (a new figure when omitted); returns the Axes.

    Args:
        run: a run, e.g. ``finding.counterexample.run``.
        title: the title (default: the violation's message, or "invariant held").
        show_state: draw the store's lane (when the run recorded states).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    clients = [record.client for record in run.clients]
    with_state = show_state and any(entry.state is not None for entry in run.trace)
    lanes = len(clients) + (1 if with_state else 0)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 1.0 + 1.1 * lanes))
    lane_of = {client: lanes - 1 - n for n, client in enumerate(clients)}  # client 0 on top
    store_lane = 0.0
    end = max([e.received or e.at for e in run.trace] + [r.ended or 0.0 for r in run.clients] + [0.0]) * 1000
    end = end or 1.0
    state_marks: list[float] = []
    for entry in run.trace:
        y = lane_of[entry.client]
        color = _COLORS[entry.client % len(_COLORS)]
        left = entry.sent * 1000
        right = (entry.received if entry.received is not None else entry.at) * 1000
        at = entry.at * 1000
        ax.add_patch(Rectangle((left, y - 0.18), max(right - left, end * 0.002), 0.36, facecolor=color, alpha=0.25,
                               edgecolor=color, linewidth=1.0))
        ax.plot([at, at], [y - 0.18, y + 0.18], color=color, linewidth=3.0, solid_capstyle="butt")
        text = _short(f"{entry.command} → {entry.reply_text}")
        ax.text(at, y + 0.22, text, fontsize=8, ha="center", va="bottom", color="black" if entry.ok else "#B00020")
        if with_state:
            ax.plot([at, at], [store_lane + 0.25, y - 0.18], color=color, linewidth=0.8, linestyle=":")
            level = sum(1 for x in state_marks if abs(x - at) < end * 0.08)  # stack labels that would overlap
            state_marks.append(at)
            ax.text(at, store_lane + 0.1 - 0.22 * (level % 3), _short(format_state(entry.state), 24), fontsize=7.5,
                    ha="center", va="bottom", color="#333333")
    for record in run.clients:
        y = lane_of[record.client]
        ax.plot([record.arrived * 1000], [y], marker=">", color="#555555", markersize=5)
        if record.ended is not None:
            ax.plot([record.ended * 1000], [y], marker="|", color="#555555", markersize=12)
    ticks: list[float] = [lane_of[c] for c in clients]
    labels = [f"client {c}" for c in clients]
    if with_state:
        ticks.append(store_lane)
        labels.append("store")
        ax.axhline(store_lane + 0.5, color="#BBBBBB", linewidth=0.8)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-0.7, lanes - 0.3)
    ax.set_xlim(-end * 0.06, end * 1.08)
    ax.set_xlabel("virtual time (ms)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title(title if title is not None else (run.violation or "invariant held"), fontsize=10)
    return ax
