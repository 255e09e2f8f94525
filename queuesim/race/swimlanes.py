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
_LABEL = 30  # characters of a box's label, at most
_STATE = 24  # characters of a store label, at most


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _char_width(ax: Any, span: float) -> float:
    """The width of one character of an 8-point label, in data units along x."""
    width_inches = float(ax.get_position().width * ax.figure.get_figwidth())
    return span / (width_inches * 72 / (8 * 0.6))


def _fit(labels: list[tuple[float, str]], levels: int, char: float, limit: int) -> list[tuple[int, str]]:
    """A level for each label (the first where it does not overlap the one before it there), and its text cut
    to the room its neighbours on that level leave; ``""`` where fewer than 4 characters fit."""
    wanted = [min(len(text), limit) * char for _, text in labels]
    right_edge = [float("-inf")] * levels
    placed: list[int] = []
    for (x, _), width in zip(labels, wanted, strict=True):
        free = [level for level in range(levels) if right_edge[level] <= x - width / 2]
        level = free[0] if free else min(range(levels), key=right_edge.__getitem__)
        right_edge[level] = x + width / 2
        placed.append(level)
    out = []
    for k, ((x, text), level) in enumerate(zip(labels, placed, strict=True)):
        same = [labels[j][0] for j in range(len(labels)) if j != k and placed[j] == level]
        room = min((abs(x - other) for other in same), default=float("inf"))
        chars = limit if room == float("inf") else min(limit, int(room / char) - 1)
        out.append((level, _short(text, chars) if chars >= 4 else ""))
    return out


def _changes(before: dict[str, str] | None, after: dict[str, str] | None) -> str:
    """What changed in the store: ``key=value`` of the keys written, ``key deleted`` of the others."""
    before, after = before or {}, after or {}
    parts = [f"{key}={value}" for key, value in after.items() if before.get(key) != value]
    parts += [f"{key} deleted" for key in before if key not in after]
    return " ".join(parts)


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
    ax.set_xlim(-end * 0.06, end * 1.08)
    char = _char_width(ax, end * 1.14)
    labels_of: dict[int, list[tuple[float, str, bool]]] = {client: [] for client in clients}
    states: list[tuple[float, str]] = []
    previous = run.initial_state
    for entry in run.trace:
        y = lane_of[entry.client]
        color = _COLORS[entry.client % len(_COLORS)]
        left = entry.sent * 1000
        right = (entry.received if entry.received is not None else entry.at) * 1000
        at = entry.at * 1000
        ax.add_patch(Rectangle((left, y - 0.18), max(right - left, end * 0.002), 0.36, facecolor=color, alpha=0.25,
                               edgecolor=color, linewidth=1.0))
        ax.plot([at, at], [y - 0.18, y + 0.18], color=color, linewidth=3.0, solid_capstyle="butt")
        labels_of[entry.client].append((at, f"{entry.command} → {entry.reply_text}", entry.ok))
        if with_state:
            ax.plot([at, at], [store_lane + 0.25, y - 0.18], color=color, linewidth=0.8, linestyle=":")
            whole = format_state(entry.state)
            states.append((at, whole if len(whole) <= _STATE else _changes(previous, entry.state)))
            previous = entry.state
    for client, marks in labels_of.items():  # above the boxes, then below, alternately
        y = lane_of[client]
        fitted_labels = _fit([(at, text) for at, text, _ in marks], 2, char, _LABEL)
        for (at, _, ok), (level, fitted) in zip(marks, fitted_labels, strict=True):
            if fitted:
                ax.text(at, y + 0.22 if level == 0 else y - 0.24, fitted, fontsize=8, ha="center",
                        va="bottom" if level == 0 else "top", color="black" if ok else "#B00020")
    for (at, _), (level, fitted) in zip(states, _fit(states, 3, char, _STATE), strict=True):
        if fitted:
            ax.text(at, store_lane + 0.1 - 0.22 * level, fitted, fontsize=7.5, ha="center", va="bottom",
                    color="#333333")
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
    ax.set_xlabel("virtual time (ms)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title(title if title is not None else (run.violation or "invariant held"), fontsize=10)
    return ax
