"""Plots that draw on a matplotlib ``Axes`` they are given and return it (no pyplot state, no ``show``).

Use them with ``fig, ax = plt.subplots()``; a notebook cell then ends with
``plt.show()``. ``plt.style.use(PAGE_STYLE)`` sizes figures for a book page (about
750 pixels wide, text readable without zooming). This module does not import
matplotlib at run time: it only calls methods of the ``Axes`` passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from queuesim.sim.stats import Summary

__all__ = [
    "PAGE_STYLE",
    "STRATEGY_STYLES",
    "LaneEvent",
    "legend_below",
    "plot_coverage",
    "plot_grouped_bars",
    "plot_race_sweep",
    "plot_series",
    "plot_sim_vs_theory",
    "plot_swimlanes",
    "plot_wait_distribution",
    "plot_wait_tail",
    "plot_warmup",
]

#: Matplotlib settings for a figure read at a book page's width: 7.5 in at 100 dpi is
#: 750 pixels, shown at its own size, with 10-point text.
PAGE_STYLE: dict[str, Any] = {
    "figure.figsize": (7.5, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
}

#: One look per reservation strategy, told apart by colour, marker and line alike: where two
#: series coincide (watch and atomic both at 0 oversold) the large hollow square of ``watch``
#: rings the small triangle of ``atomic``, so neither hides the other.
STRATEGY_STYLES: dict[str, dict[str, Any]] = {
    "naive": {"color": "C3", "marker": "o", "linestyle": "-", "markersize": 6},
    "watch": {"color": "C0", "marker": "s", "linestyle": "--", "markersize": 10, "markerfacecolor": "none",
              "markeredgewidth": 1.5},
    "atomic": {"color": "C2", "marker": "^", "linestyle": ":", "markersize": 5, "linewidth": 2},
}


def _nan_for_none(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _label_axes(ax: Axes, xlabel: str | None, ylabel: str | None, title: str | None) -> None:
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)


def plot_sim_vs_theory(
    ax: Axes,
    xs: Sequence[float],
    sim_means: Sequence[float],
    sim_ci: Sequence[float | None] | None,
    theory: Sequence[float | None] | None,
    *,
    label: str = "simulation (95% CI)",
    theory_label: str = "theory",
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    color: str | None = None,
    theory_xs: Sequence[float] | None = None,
) -> Axes:
    """Simulated means with CI error bars, and the analytic curve as a line (both in ``color``;
    default: the next color of the cycle for the points, black for the line).

    Args:
        ax: where to draw.
        xs: the swept parameter (load, servers, …).
        sim_means: one simulated mean per x.
        sim_ci: CI half-widths per x (``None`` entries draw no bar), or ``None``.
        theory: analytic value per x (or per ``theory_xs``); ``None`` where theory has
            none (e.g. unstable), which leaves a gap in the line. ``None`` for no theory line.
        theory_xs: where ``theory`` is given, when not at ``xs`` (a finer grid draws a smooth curve).
    """
    if len(sim_means) != len(xs) or (sim_ci is not None and len(sim_ci) != len(xs)):
        raise ValueError("xs, sim_means and sim_ci must have the same length")
    if theory is not None:
        at = xs if theory_xs is None else theory_xs
        if len(theory) != len(at):
            raise ValueError(f"{'xs' if theory_xs is None else 'theory_xs'} and theory must have the same length")
        ax.plot(list(at), _nan_for_none(theory), "-", color=color or "black", linewidth=1.2, label=theory_label)
    yerr = None if sim_ci is None else [0.0 if h is None else float(h) for h in sim_ci]
    ax.errorbar(list(xs), [float(m) for m in sim_means], yerr=yerr, fmt="o", capsize=3, label=label, color=color)
    _label_axes(ax, xlabel, ylabel, title)
    ax.legend()
    return ax


def plot_series(
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float | None],
    *,
    label: str | None = None,
    step: bool = False,
    marker: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    style: Mapping[str, Any] | None = None,
) -> Axes:
    """One series as a line (``step=True`` for a level that jumps, like a queue length).

    ``style`` holds more line properties (``color``, ``linestyle``, ``markersize``, …).
    """
    if len(xs) != len(ys):
        raise ValueError(f"xs and ys must have the same length, got {len(xs)} and {len(ys)}")
    values = _nan_for_none(ys)
    extra = dict(style or {})
    if marker is not None:
        extra["marker"] = marker
    if step:
        ax.step(list(xs), values, where="post", label=label, **extra)
    else:
        ax.plot(list(xs), values, label=label, **extra)
    _label_axes(ax, xlabel, ylabel, title)
    if label is not None:
        ax.legend()
    return ax


def plot_warmup(
    ax: Axes,
    curve: Sequence[float],
    warmup: float | None = None,
    *,
    period: float = 1.0,
    label: str = "Welch moving average",
    xlabel: str | None = "time",
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """A Welch curve (point i at time i·``period``) and, if given, the chosen warm-up as a dashed line."""
    if not period > 0:
        raise ValueError(f"period must be > 0, got {period!r}")
    ax.plot([i * period for i in range(len(curve))], [float(v) for v in curve], label=label)
    if warmup is not None:
        ax.axvline(warmup, linestyle="--", color="gray", label=f"warm-up = {warmup:g}")
    _label_axes(ax, xlabel, ylabel, title)
    ax.legend()
    return ax


def plot_wait_distribution(
    ax: Axes,
    waits: Sequence[float],
    *,
    theory_mean: float | None = None,
    bins: int = 40,
    title: str | None = None,
) -> Axes:
    """A histogram of waiting times with the simulated mean and, if given, the analytic mean."""
    if not waits:
        raise ValueError("no waits to plot")
    ax.hist(waits, bins=bins, density=True, alpha=0.6, label="simulated waits")
    mean = sum(waits) / len(waits)
    ax.axvline(mean, color="C1", label=f"simulated mean {mean:.3g} s")
    if theory_mean is not None:
        ax.axvline(theory_mean, color="C2", linestyle="--", label=f"theory {theory_mean:.3g} s")
    ax.set_xlabel("wait in queue (s)")
    ax.set_ylabel("density (1/s)")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_race_sweep(
    ax: Axes,
    points: Sequence[Any],
    measure: str,
    *,
    ceiling: float | None = None,
    ceiling_label: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """A race sweep (``RacePoint`` s of a sweep): ``measure`` against λ·RTT, one line per strategy.

    Strategies are drawn in :data:`STRATEGY_STYLES`, so lines that coincide stay
    distinguishable; x is logarithmic. ``ceiling`` draws a dotted horizontal line
    (e.g. buyers − stock, the most a sale can oversell), labelled ``ceiling_label``.
    ``legend=False`` leaves the legend out (for :func:`legend_below`, one legend for
    several panels, where none can cover a line).
    """
    strategies = list(dict.fromkeys(p.strategy for p in points))
    if not strategies:
        raise ValueError("no race points to plot")
    for strategy in strategies:
        mine = [p for p in points if p.strategy == strategy]
        ax.plot([p.load for p in mine], [float(getattr(p, measure)) for p in mine], label=strategy,
                **STRATEGY_STYLES.get(strategy, {"marker": "o"}))
    if ceiling is not None:
        ax.axhline(ceiling, color="gray", linestyle=(0, (1, 3)), linewidth=1,
                   label=ceiling_label or f"ceiling {ceiling:g}")
    ax.set_xscale("log")
    ax.tick_params(axis="x", which="minor", labelbottom=False)  # over a short range they overlap
    _label_axes(ax, "λ·RTT (buyers arriving within one round trip)", ylabel, title)
    if legend:
        ax.legend()
    return ax


def legend_below(fig: Any, axes: Sequence[Axes], *, columns: int | None = None) -> Any:
    """One legend for the series of ``axes`` (each label once), under the panels, outside every plot.

    Needs the constrained layout of :data:`PAGE_STYLE`; returns the legend.
    """
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if not handles:
        raise ValueError("no labelled series to put in a legend")
    return fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                      ncols=columns or len(handles), frameon=False)


@dataclass(frozen=True, slots=True)
class LaneEvent:
    """One round trip of a client, for :func:`plot_swimlanes` (times in the plot's unit, e.g. ms)."""

    #: the client's lane (its name)
    lane: str
    #: when the client sent the command
    sent: float
    #: when the server applied it (atomically, at one instant)
    applied: float
    #: when the reply reached the client
    replied: float
    #: what to write by it: the command and its reply, in one line (cut to fit)
    label: str
    #: whether the reply was a value (``False``: an error, labelled in red)
    ok: bool = True
    #: what the store holds right after it, for the store's lane (``None``: no store lane)
    state: str | None = None


_LANE_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")
_LABEL = 30  # characters of a command's label, at most
_STATE = 24  # characters of a store label, at most


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _char_width(ax: Axes, span: float) -> float:
    """The width of one character of an 8-point label, in data units along x."""
    figure: Any = ax.figure
    width_inches = float(ax.get_position().width * figure.get_figwidth())
    return span / (width_inches * 72 / (8 * 0.6))


def _fit(labels: Sequence[tuple[float, str]], levels: int, char: float, limit: int) -> list[tuple[int, str]]:
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


def plot_swimlanes(
    ax: Axes,
    events: Sequence[LaneEvent],
    *,
    lanes: Sequence[str] | None = None,
    arrived: Mapping[str, float] | None = None,
    ended: Mapping[str, float] | None = None,
    server: str = "store",
    unit: str = "ms",
    title: str | None = None,
) -> Axes:
    """Swimlanes in virtual time: one lane per client, each round trip a box from send to reply.

    The box spans the command's trip (sent at its left edge, answered at its
    right edge); the thick mark inside is the instant the server applied it,
    labelled ``COMMAND → REPLY`` (in red for an error reply). Read the marks from
    left to right and you read the order the server saw, which is what decides a
    race. When events carry a :attr:`LaneEvent.state`, a bottom lane named
    ``server`` shows the store after each command, with a dotted line up to the
    command that made it. The one drawing of the simulations' timelines and of the
    race finder's counterexamples (:func:`queuesim.race.plot_swimlanes`).

    Args:
        lanes: the lanes, top to bottom (default: in order of first appearance).
        arrived, ended: per lane, when the client started (``>``) and ended (``|``).
    """
    names = list(lanes) if lanes is not None else list(dict.fromkeys(e.lane for e in events))
    if not events and not names:
        raise ValueError("no events to plot")
    with_state = any(e.state is not None for e in events)
    count = len(names) + (1 if with_state else 0)
    lane_of = {name: float(count - 1 - n) for n, name in enumerate(names)}  # the first lane on top
    color_of = {name: _LANE_COLORS[n % len(_LANE_COLORS)] for n, name in enumerate(names)}
    store_lane = 0.0
    times = [0.0, *(e.replied for e in events), *(arrived or {}).values(), *(ended or {}).values()]
    start, end = min(times), max(times)
    span = (end - start) or 1.0
    ax.set_xlim(start - span * 0.06, end + span * 0.08)
    char = _char_width(ax, span * 1.14)
    marks: dict[str, list[tuple[float, str, bool]]] = {name: [] for name in names}
    states: list[tuple[float, str]] = []
    for e in events:
        y, color = lane_of[e.lane], color_of[e.lane]
        ax.barh(y, max(e.replied - e.sent, span * 0.002), left=e.sent, height=0.36, color=color, alpha=0.25,
                edgecolor=color, linewidth=1.0)
        ax.plot([e.applied, e.applied], [y - 0.18, y + 0.18], color=color, linewidth=3.0, solid_capstyle="butt")
        marks[e.lane].append((e.applied, e.label, e.ok))
        if with_state:
            ax.plot([e.applied, e.applied], [store_lane + 0.25, y - 0.18], color=color, linewidth=0.8,
                    linestyle=":")
            states.append((e.applied, e.state or ""))
    for name, placed in marks.items():  # above the boxes, then below, alternately
        y = lane_of[name]
        fitted = _fit([(at, text) for at, text, _ in placed], 2, char, _LABEL)
        for (at, _, ok), (level, text) in zip(placed, fitted, strict=True):
            if text:
                ax.text(at, y + 0.22 if level == 0 else y - 0.24, text, fontsize=8, ha="center",
                        va="bottom" if level == 0 else "top", color="black" if ok else "#B00020")
    for (at, _), (level, text) in zip(states, _fit(states, 3, char, _STATE), strict=True):
        if text:
            ax.text(at, store_lane + 0.1 - 0.22 * level, text, fontsize=7.5, ha="center", va="bottom",
                    color="#333333")
    for name, at in (arrived or {}).items():
        ax.plot([at], [lane_of[name]], marker=">", color="#555555", markersize=5)
    for name, at in (ended or {}).items():
        ax.plot([at], [lane_of[name]], marker="|", color="#555555", markersize=12)
    ticks, labels = list(lane_of.values()), list(lane_of)
    if with_state:
        ticks.append(store_lane)
        labels.append(server)
        ax.axhline(store_lane + 0.5, color="#BBBBBB", linewidth=0.8)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-0.7, count - 0.3)
    ax.grid(axis="y", visible=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    _label_axes(ax, f"virtual time ({unit})", None, None)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def plot_wait_tail(
    ax: Axes,
    waits: Sequence[float],
    tail: Callable[[float], float] | None = None,
    *,
    theory_label: str = "theory",
    points: int = 200,
    title: str | None = None,
) -> Axes:
    """The waiting-time distribution as P(wait > t) on a log scale: simulated (steps) and ``tail(t)`` (a line).

    A tail plot shows the whole distribution, its atom at 0 (those who did not
    wait) and its exponential tail, where a histogram hides both.
    """
    xs = sorted(float(w) for w in waits)
    if not xs:
        raise ValueError("no waits to plot")
    n = len(xs)
    top = xs[-1] if xs[-1] > 0 else 1.0
    grid = [top * i / (points - 1) for i in range(points)]
    exceed, j = [], 0
    for t in grid:
        while j < n and xs[j] <= t:
            j += 1
        exceed.append((n - j) / n)
    ax.step(grid, [v if v > 0 else math.nan for v in exceed], where="post", color="C0",
            label=f"simulated ({n:,} jobs)")
    if tail is not None:
        ax.plot(grid, [tail(t) for t in grid], color="black", linestyle="--", linewidth=1.2, label=theory_label)
    ax.set_yscale("log")
    ax.set_ylim(max(0.5 / n, 1e-4), 1.05)
    _label_axes(ax, "t: wait in queue (s)", "P(wait > t)", title)
    ax.legend()
    return ax


def plot_coverage(ax: Axes, summaries: Sequence[Summary], truth: float, *, title: str | None = None) -> Axes:
    """One confidence interval per experiment (seed), stacked, against the true value.

    Intervals that miss the truth are drawn in red, the rest in gray: a correct
    simulation's 95% intervals miss about 1 in 20.
    """
    if not summaries:
        raise ValueError("no intervals to plot")
    misses = 0
    for i, s in enumerate(summaries):
        half = s.half_width or 0.0
        covered = s.covers(truth)
        misses += not covered
        ax.plot([s.mean - half, s.mean + half], [i, i], color="0.6" if covered else "C3",
                linewidth=1.0 if covered else 1.8)
        ax.plot([s.mean], [i], marker="|", color="0.3" if covered else "C3", markersize=4)
    ax.axvline(truth, color="black", linewidth=1.2, label=f"theory {truth:g}")
    ax.plot([], [], color="C3", linewidth=1.8, label=f"misses theory: {misses} of {len(summaries)}")
    ax.set_ylim(-1, len(summaries))
    ax.set_yticks([])
    _label_axes(ax, "mean wait in queue (s), 95% interval per seed", f"{len(summaries)} seeds", title)
    ax.legend(loc="upper right")
    return ax


def plot_grouped_bars(
    ax: Axes,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    errors: Mapping[str, Sequence[float | None]] | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """Bars side by side: one group per entry of ``groups``, one bar per series, each bar labelled with its value.

    ``errors`` (optional, per series) draws error bars, e.g. 95% CI half-widths.
    """
    if not groups or not series:
        raise ValueError("no groups or no series to plot")
    for name, values in series.items():
        if len(values) != len(groups):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(groups)} groups")
    width = 0.8 / len(series)
    for k, (name, values) in enumerate(series.items()):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(groups))]
        err = None if errors is None or name not in errors else [0.0 if e is None else e for e in errors[name]]
        bars = ax.bar(xs, [float(v) for v in values], width=width * 0.95, label=name, color=f"C{k}", yerr=err,
                      capsize=3 if err else 0)
        ax.bar_label(bars, labels=[f"{float(v):g}" for v in values], padding=2, fontsize=8)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.margins(y=0.15)
    ax.grid(axis="x", visible=False)
    _label_axes(ax, None, ylabel, title)
    ax.legend()
    return ax
