"""Plot helpers draw on the Axes they are given (Agg, no pyplot state)."""

from __future__ import annotations

import math

import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from queuesim.sim.plots import (
    PAGE_STYLE,
    LaneEvent,
    plot_coverage,
    plot_grouped_bars,
    plot_race_sweep,
    plot_series,
    plot_sim_vs_theory,
    plot_swimlanes,
    plot_wait_tail,
    plot_warmup,
)
from queuesim.sim.race_scenario import RacePoint
from queuesim.sim.stats import Summary


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


def test_page_style_is_valid_matplotlib_and_sized_for_a_book_page() -> None:
    import matplotlib as mpl

    with mpl.rc_context(PAGE_STYLE):  # an unknown key or a bad value raises here
        figure = Figure()
        width_px = figure.get_figwidth() * figure.dpi
    assert 700 <= width_px <= 800


def race_points() -> list[RacePoint]:
    points = []
    for load, oversold in ((0.1, 2.0), (1.0, 40.0), (10.0, 110.0)):
        points.append(RacePoint("naive", load * 1000, 1.0, load, 40 + oversold, oversold, 0.0, 0, 3))
        points.append(RacePoint("watch", load * 1000, 1.0, load, 40.0, 0.0, 10 * load, 3, 3))
        points.append(RacePoint("atomic", load * 1000, 1.0, load, 40.0, 0.0, 0.0, 3, 3))
    return points


def test_race_sweep_draws_coinciding_strategies_distinguishably() -> None:
    ax = plot_race_sweep(axes(), race_points(), "oversold", ceiling=110, ylabel="units oversold")
    naive, watch, atomic, ceiling = ax.lines
    assert [line.get_label() for line in ax.lines] == ["naive", "watch", "atomic", "ceiling 110"]
    assert list(watch.get_ydata()) == list(atomic.get_ydata()) == [0.0, 0.0, 0.0]  # the same points...
    looks = {(line.get_marker(), line.get_linestyle(), line.get_color()) for line in (naive, watch, atomic)}
    assert len(looks) == 3  # ...drawn three different ways
    assert watch.get_markerfacecolor() == "none"  # a hollow square rings atomic's triangle
    assert watch.get_markersize() > atomic.get_markersize()
    assert list(ceiling.get_ydata()) == [110, 110]
    assert ax.get_xscale() == "log"
    assert "λ·RTT" in ax.get_xlabel()
    with pytest.raises(ValueError, match="no race points"):
        plot_race_sweep(axes(), [], "oversold")


def test_swimlanes_put_each_command_where_the_server_applied_it() -> None:
    events = [LaneEvent("buyer A", 0.0, 0.5, 1.0, "GET → 1"), LaneEvent("buyer B", 0.4, 0.9, 1.4, "GET → 1"),
              LaneEvent("buyer A", 1.0, 1.5, 2.0, "SET 0"), LaneEvent("buyer B", 1.4, 1.9, 2.4, "SET 0")]
    ax = plot_swimlanes(axes(), events, title="naive")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["buyer A", "buyer B"]  # no states: no store lane
    labels = sorted((t.get_position()[0], t.get_text()) for t in ax.texts)
    assert labels == [(0.5, "GET → 1"), (0.9, "GET → 1"), (1.5, "SET 0"), (1.9, "SET 0")]
    boxes = sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches)
    assert boxes == [(0.0, 1.0), (0.4, pytest.approx(1.4)), (1.0, 2.0), (1.4, pytest.approx(2.4))]  # send → reply
    assert ax.get_xlabel() == "virtual time (ms)"
    assert ax.get_title() == "naive"
    with pytest.raises(ValueError, match="no events"):
        plot_swimlanes(axes(), [])


def test_swimlanes_show_the_store_after_each_command_and_errors_in_red() -> None:
    events = [LaneEvent("A", 0.0, 0.5, 1.0, "DECR n → 0", state="n=0"),
              LaneEvent("B", 0.2, 0.7, 1.2, "DECR n → error", ok=False, state="n=-1")]
    ax = plot_swimlanes(axes(), events, server="Redis", arrived={"A": 0.0, "B": 0.2}, ended={"A": 1.0})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "Redis"]
    colors = {t.get_text(): t.get_color() for t in ax.texts}
    assert colors["DECR n → 0"] == "black"
    assert colors["DECR n → error"] == "#B00020"
    assert {"n=0", "n=-1"} <= set(colors)


def test_wait_tail_against_a_theoretical_tail() -> None:
    ax = plot_wait_tail(axes(), [0.0, 0.0, 1.0, 2.0], lambda t: 0.5 * math.exp(-t), theory_label="M/M/1")
    simulated, theory = ax.lines
    assert simulated.get_ydata()[0] == 0.5  # half the jobs did not wait: P(wait > 0) = 1/2
    assert theory.get_ydata()[0] == 0.5
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t: wait in queue (s)", "P(wait > t)")
    with pytest.raises(ValueError, match="no waits"):
        plot_wait_tail(axes(), [])


def test_coverage_marks_the_intervals_that_miss() -> None:
    intervals = [Summary(5, 1.0, 0.1, 0.2), Summary(5, 1.5, 0.1, 0.2), Summary(5, 0.9, 0.1, 0.2)]
    ax = plot_coverage(axes(), intervals, 1.0)
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["theory 1", "misses theory: 1 of 3"]
    red = [line for line in ax.lines if line.get_color() == "C3" and len(line.get_xdata()) == 2]
    assert [list(line.get_xdata()) for line in red] == [[1.3, 1.7]]


def test_grouped_bars_are_labelled_with_their_values() -> None:
    ax = plot_grouped_bars(axes(), ["leases on", "leases off"], {"completed": [200, 190], "lost": [0, 10]},
                           ylabel="jobs")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["leases on", "leases off"]
    assert sorted(t.get_text() for t in ax.texts) == ["0", "10", "190", "200"]
    with pytest.raises(ValueError, match="2 groups"):
        plot_grouped_bars(axes(), ["a", "b"], {"x": [1.0]})
