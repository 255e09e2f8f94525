"""Plots that draw on a matplotlib ``Axes`` they are given and return it (no pyplot state, no ``show``).

Use them with ``fig, ax = plt.subplots()``; a notebook cell then ends with
``plt.show()``. This module does not import matplotlib at run time: it only calls
methods of the ``Axes`` passed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_series",
    "plot_sim_vs_theory",
    "plot_wait_distribution",
    "plot_warmup",
]


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
) -> Axes:
    """Simulated means with CI error bars, and the analytic curve as a line (both in ``color``;
    default: the next color of the cycle for the points, black for the line).

    Args:
        ax: where to draw.
        xs: the swept parameter (load, servers, …).
        sim_means: one simulated mean per x.
        sim_ci: CI half-widths per x (``None`` entries draw no bar), or ``None``.
        theory: analytic value per x; ``None`` where theory has none (e.g. unstable),
            which leaves a gap in the line. ``None`` for no theory line.
    """
    if len(sim_means) != len(xs) or (sim_ci is not None and len(sim_ci) != len(xs)):
        raise ValueError("xs, sim_means and sim_ci must have the same length")
    if theory is not None:
        if len(theory) != len(xs):
            raise ValueError("xs and theory must have the same length")
        ax.plot(list(xs), _nan_for_none(theory), "-", color=color or "black", linewidth=1.2, label=theory_label)
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
) -> Axes:
    """One series as a line (``step=True`` for a level that jumps, like a queue length)."""
    if len(xs) != len(ys):
        raise ValueError(f"xs and ys must have the same length, got {len(xs)} and {len(ys)}")
    values = _nan_for_none(ys)
    if step:
        ax.step(list(xs), values, where="post", label=label)
    else:
        ax.plot(list(xs), values, marker=marker, label=label)
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
    ax.axvline(mean, color="C1", label=f"simulated mean {mean:.3g}")
    if theory_mean is not None:
        ax.axvline(theory_mean, color="C2", linestyle="--", label=f"theory {theory_mean:.3g}")
    ax.set_xlabel("wait in queue")
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
