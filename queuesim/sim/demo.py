"""``queuesim demo``: the main job of ``make run``.

On the embedded store, in virtual time: the flash-sale race for the three
strategies, the queue scenario sweeping workers against load with queueing
theory beside it, and the crash scenario with and without leases. It prints a
compact results table, and writes PNG plots and a Markdown report to ``out/``.

Every run of the demo (each sale, each replication, each crash run) is one task
of one list, run by an executor (:mod:`queuesim.sim.executor`: here, on several
processes, or on a Dask cluster) behind one progress bar; the results are the
same wherever they run.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queuesim.sim.crash_scenario import CrashConfig, CrashResult, simulate_crash
from queuesim.sim.executor import Executor, Progress, using_executor
from queuesim.sim.queue_scenario import QueueConfig, QueueResult, queue_replications, summarize_queue
from queuesim.sim.race_scenario import RacePoint, race_configs, race_point, race_replications

__all__ = ["DemoReport", "DemoSettings", "run_demo"]


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """How big the demo's runs are (the defaults finish in about 25 s on 2 cores)."""

    seed: int = 1
    race_rates: tuple[float, ...] = (100, 300, 1_000, 3_000, 10_000)
    race_clients: int = 150
    race_stock: int = 40
    race_replications: int = 3
    queue_workers: tuple[int, ...] = (1, 2)
    queue_loads: tuple[float, ...] = (0.3, 0.5, 0.7, 0.85)
    # Four long replications rather than eight short ones, a quarter of each deleted as warm-up:
    # the same work, but at high load short runs give 95% intervals that miss theory more
    # often than 5% (85-90% coverage over 40 seeds, against 95-100% here).
    queue_jobs: int = 4_000
    queue_replications: int = 4
    #: jobs deleted as warm-up in each run (default: a quarter of ``queue_jobs``)
    queue_warmup: int | None = None
    crash_jobs: int = 200

    @classmethod
    def quick(cls) -> DemoSettings:
        """A much smaller demo (for tests and a first look)."""
        return cls(race_rates=(300, 3_000), race_clients=60, race_stock=15, race_replications=2,
                   queue_workers=(1, 2), queue_loads=(0.5, 0.8), queue_jobs=300, queue_replications=2,
                   crash_jobs=60)


@dataclass
class DemoReport:
    """Everything the demo measured, and the files it wrote."""

    race: list[RacePoint] = field(default_factory=list)
    queue: list[QueueResult] = field(default_factory=list)
    crash: list[CrashResult] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def tables(self) -> str:
        """The results as Markdown tables."""
        lines = ["## Race: a flash sale (RTT 1 ms)", "",
                 "| strategy | buyers/s | λ·RTT | confirmed | oversold | WATCH retries | invariant held |",
                 "|---|---:|---:|---:|---:|---:|---:|"]
        for p in self.race:
            lines.append(f"| {p.strategy} | {p.arrival_rate:g} | {p.load:g} | {p.confirmed:.1f} | {p.oversold:.1f} | "
                         f"{p.retries:.1f} | {p.invariant_held}/{p.replications} |")
        lines += ["", "## Queue: mean wait in queue, simulation against theory", "",
                  "| workers | load ρ | simulated Wq (95% CI) | theory Wq | P(wait) | theory | utilisation |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        for r in self.queue:
            c = r.config
            rho = c.load
            th = r.theory
            ci = "" if r.mean_wait.half_width is None else f" ± {r.mean_wait.half_width:.3f}"
            lines.append(f"| {c.workers} | {rho:.2f} | {r.mean_wait.mean:.3f}{ci} | "
                         f"{'' if th is None else f'{float(th.mean_wait):.3f}'} | {r.p_wait.mean:.3f} | "
                         f"{'' if th is None else f'{float(th.p_wait):.3f}'} | {r.utilization.mean:.3f} |")
        lines += ["", "## Crash: workers killed at random", "",
                  "| leases | kills | jobs | completed | lost | unfinished | re-runs |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for crash in self.crash:
            lines.append(f"| {'on' if crash.config.leases else 'off'} | {crash.kills} | {crash.jobs} | "
                         f"{crash.completed} | {crash.lost} | {crash.unfinished} | {crash.reruns} |")
        return "\n".join(lines)


def run_demo(
    out: Path | str = "out",
    *,
    settings: DemoSettings | None = None,
    progress: bool = True,
    executor: Executor | int | None = None,
) -> DemoReport:
    """Run the three scenarios, write ``out/report.md`` and the plots, return what was measured.

    ``executor`` says where the runs go (``None``: here, one after another; a number
    of processes; or an :class:`~queuesim.sim.executor.Executor`); the report is the same.
    """
    s = settings or DemoSettings()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = DemoReport()
    with using_executor(executor) as running:
        _measure(report, s, running, _bar() if progress else None)
    report.files = _write(report, out_dir)
    return report


def _bar() -> Progress:
    from tqdm.auto import tqdm

    def wrap(items: Iterable[Any]) -> Iterable[Any]:
        bar: Iterable[Any] = tqdm(items, desc="demo", unit="run", file=sys.stderr, leave=False)
        return bar

    return wrap


def _measure(report: DemoReport, s: DemoSettings, running: Executor, progress: Progress | None) -> None:
    """Run every simulation of the demo as one list of tasks, then put the results into ``report``."""
    races = race_configs(["naive", "watch", "atomic"], s.race_rates, [1.0], clients=s.race_clients, stock=s.race_stock)
    queues = [QueueConfig(arrival_rate=rho * c, service_rate=1.0, workers=c, jobs=s.queue_jobs,
                          warmup=s.queue_jobs // 4 if s.queue_warmup is None else s.queue_warmup)
              for c in s.queue_workers for rho in s.queue_loads]
    crashes = [CrashConfig(jobs=s.crash_jobs, kill_rate=0.05, leases=leases, horizon=600.0) for leases in (True, False)]
    # the long runs first, so that the short sales fill the gaps at the end
    tasks: list[Callable[[], Any]] = [
        *(task for config in queues for task in queue_replications(config, s.seed, s.queue_replications)),
        *(functools.partial(simulate_crash, config, seed=s.seed) for config in crashes),
        *race_replications(races, s.seed, s.race_replications),
    ]
    results = running.run(tasks, progress)
    n = s.queue_replications
    report.queue = [summarize_queue(config, results[k * n:(k + 1) * n]) for k, config in enumerate(queues)]
    done = len(queues) * n
    report.crash = list(results[done:done + len(crashes)])
    done += len(crashes)
    n = s.race_replications
    report.race = [race_point(config, results[done + k * n:done + (k + 1) * n]) for k, config in enumerate(races)]


def _write(report: DemoReport, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from queuesim.sim.plots import plot_series, plot_sim_vs_theory

    files = []
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for strategy in ("naive", "watch", "atomic"):
        points = [p for p in report.race if p.strategy == strategy]
        xs = [p.load for p in points]
        plot_series(left, xs, [p.oversold for p in points], label=strategy, marker="o",
                    xlabel="λ·RTT (buyers per read-write window)", ylabel="units oversold", title="Oversell")
        plot_series(right, xs, [p.retries for p in points], label=strategy, marker="o",
                    xlabel="λ·RTT", ylabel="WATCH retries per sale", title="Retries")
    for ax in (left, right):
        ax.set_xscale("log")
    fig.tight_layout()
    files.append(_save(fig, out_dir / "race.png"))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for k, c in enumerate(sorted({r.config.workers for r in report.queue})):
        runs = [r for r in report.queue if r.config.workers == c]
        plot_sim_vs_theory(
            ax, [r.config.load for r in runs], [r.mean_wait.mean for r in runs],
            [r.mean_wait.half_width for r in runs],
            [None if r.theory is None else float(r.theory.mean_wait) for r in runs],
            label=f"{c} worker(s): simulation", theory_label=f"{c} worker(s): theory",
            xlabel="load ρ = λ / (c·μ)", ylabel="mean wait in queue (s)", title="Queue: simulation vs Erlang C",
            color=f"C{k}",
        )
    fig.tight_layout()
    files.append(_save(fig, out_dir / "queue.png"))
    plt.close(fig)

    path = out_dir / "report.md"
    path.write_text("# queuesim demo\n\nAll runs in virtual time on the embedded store, seeded.\n\n"
                    + report.tables() + "\n\n![race](race.png)\n\n![queue](queue.png)\n", encoding="utf-8")
    files.append(path)
    return files


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=90, metadata={"Software": None})
    return path
