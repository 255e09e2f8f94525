"""Plot helpers draw on the Axes they are given (Agg, no pyplot state)."""

from __future__ import annotations

import math

import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from queuesim.sim.plots import plot_series, plot_sim_vs_theory, plot_warmup


def axes():  # type: ignore[no-untyped-def]
    return Figure().add_subplot()


def test_sim_vs_theory_draws_error_bars_and_a_theory_line() -> None:
    ax = axes()
    out = plot_sim_vs_theory(
        ax,
        [0.5, 0.7, 0.9, 1.1],
        [1.0, 2.3, 9.1, 30.0],
        [0.1, 0.2, None, 3.0],
        [1.0, 2.33, 9.0, None],
        xlabel="load ρ",
        ylabel="mean wait",
        title="M/M/1",
    )
    assert out is ax
    (bars,) = ax.containers
    assert isinstance(bars, ErrorbarContainer)
    assert list(bars.lines[0].get_ydata()) == [1.0, 2.3, 9.1, 30.0]
    segments = [
        seg for coll in ax.collections if isinstance(coll, LineCollection) for seg in coll.get_segments()
    ]
    heights = sorted(round(float(s[1][1] - s[0][1]), 6) for s in segments)
    assert heights == [0.0, 0.2, 0.4, 6.0]
    theory = ax.lines[0]
    assert theory.get_label() == "theory"
    ys = list(theory.get_ydata())
    assert ys[:3] == [1.0, 2.33, 9.0]
    assert math.isnan(ys[3])
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("load ρ", "mean wait", "M/M/1")
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["theory", "simulation (95% CI)"]


def test_sim_vs_theory_without_theory_or_intervals() -> None:
    ax = plot_sim_vs_theory(axes(), [1, 2], [3.0, 4.0], None, None)
    assert len(ax.lines) == 1
    assert len(ax.containers) == 1


def test_sim_vs_theory_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        plot_sim_vs_theory(axes(), [1, 2], [3.0], None, None)
    with pytest.raises(ValueError, match="theory"):
        plot_sim_vs_theory(axes(), [1, 2], [3.0, 4.0], None, [1.0])


def test_plot_series_line_and_step() -> None:
    ax = plot_series(axes(), [0, 1, 2], [1.0, None, 3.0], label="queue", step=True, ylabel="jobs")
    (line,) = ax.lines
    assert line.get_drawstyle() == "steps-post"
    assert line.get_label() == "queue"
    assert ax.get_ylabel() == "jobs"
    assert ax.get_legend() is not None
    plain = plot_series(axes(), [0, 1], [2.0, 3.0], marker="o")
    assert plain.lines[0].get_marker() == "o"
    assert plain.get_legend() is None
    with pytest.raises(ValueError, match="same length"):
        plot_series(axes(), [0, 1], [1.0])


def test_plot_warmup_marks_the_cut() -> None:
    ax = plot_warmup(axes(), [0.0, 0.5, 0.9, 1.0], warmup=20.0, period=10.0, ylabel="queue length")
    curve, cut = ax.lines
    assert list(curve.get_xdata()) == [0.0, 10.0, 20.0, 30.0]
    assert list(cut.get_xdata()) == [20.0, 20.0]
    assert cut.get_linestyle() == "--"
    assert cut.get_label() == "warm-up = 20"
    with pytest.raises(ValueError, match="period"):
        plot_warmup(axes(), [1.0], period=0)
