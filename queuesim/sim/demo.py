"""``queuesim demo``: the main job of ``make run``.

On the embedded store, in virtual time: the flash-sale race for the three
strategies, the queue scenario sweeping workers against load with queueing
theory beside it, and the crash scenario with and without leases. It prints
each scenario's table after a sentence saying what ran, and writes a PNG figure
per scenario and ``out/report.md`` (what ran, the tables, what each column means,
the figures) to ``out/``.

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
    """How big the demo's runs are (the defaults: 79 runs, 45-75 s on 2 cores)."""

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
    #: what was run (the report describes each scenario from it)
    settings: DemoSettings = field(default_factory=DemoSettings)

    def tables(self) -> str:
        """The results as Markdown tables, each after a sentence saying what ran (what the command prints)."""
        return self.markdown(figures=False)

    def markdown(self, *, figures: bool = True) -> str:
        """The report: per scenario, what ran, the table, what each column means and (``figures``) its figure."""
        s = self.settings
        parts = [self._race_section(s), self._queue_section(s), self._crash_section(s)]
        if not figures:
            parts = [part.split("\n\n![", 1)[0] for part in parts]
        return "\n\n".join(parts)

    def _race_section(self, s: DemoSettings) -> str:
        rates = ", ".join(f"{r:,g}" for r in s.race_rates)
        ceiling = s.race_clients - s.race_stock
        lines = [
            "## Race: a flash sale (RTT 1 ms)", "",
            f"{s.race_clients} buyers arrive at random (a Poisson stream) to buy one unit each of {s.race_stock} "
            f"units on sale; each has its own connection to Redis, 1 ms round trip on average. Each strategy "
            f"sells at {rates} buyers per second, {s.race_replications} sales per point, all strategies on the "
            "same arrivals and network delays (common random numbers).", "",
            "| strategy | buyers/s | λ·RTT | confirmed | oversold | WATCH retries | invariant held |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for p in self.race:
            lines.append(f"| {p.strategy} | {p.arrival_rate:g} | {p.load:g} | {p.confirmed:.1f} | {p.oversold:.1f} | "
                         f"{p.retries:.1f} | {p.invariant_held}/{p.replications} |")
        lines += [
            "",
            "- *strategy*: `naive` reads the stock (GET), then writes one less (SET): the course's code; `watch` "
            "does the same inside WATCH/MULTI/EXEC and retries when another buyer changed the stock in between; "
            "`atomic` runs one Lua script that checks and decrements in one step.",
            "- *λ·RTT*: buyers per second × round trip: how many buyers arrive, on average, while one buyer is "
            "between its read and its write.",
            "- *confirmed*, *oversold*, *WATCH retries*: means per sale; *oversold* counts confirmations beyond "
            f"the {s.race_stock} units, and cannot exceed {ceiling} (= {s.race_clients} buyers − {s.race_stock} "
            "units: every buyer confirmed), which is where `naive` levels off at high load.",
            "- *invariant held*: in how many of the sales *units sold + units left = units on sale* (and no "
            f"negative stock) held; `0/{s.race_replications}` means every sale broke it.",
            "",
            "![Oversell and WATCH retries against λ·RTT for the three strategies](race.png)",
        ]
        return "\n".join(lines)

    def _queue_section(self, s: DemoSettings) -> str:
        warmup = s.queue_jobs // 4 if s.queue_warmup is None else s.queue_warmup
        workers = " and ".join(str(c) for c in s.queue_workers)
        loads = ", ".join(f"{rho:g}" for rho in s.queue_loads)
        lines = [
            "## Queue: mean wait in queue, simulation against theory", "",
            "Jobs arrive as a Poisson stream through the real `enqueue` script; "
            f"{workers} worker(s) run the real worker loop, each job taking an exponential time of mean 1 s "
            f"(μ = 1 per second): the M/M/c queue, whose mean wait Erlang C gives. Loads ρ = λ/(c·μ) of {loads}; "
            f"{s.queue_replications} replications of {s.queue_jobs:,} jobs each, the first {warmup:,} of each left "
            "out (warm-up: the queue starts empty, which is not its steady state).", "",
            "| workers | load ρ | simulated Wq (95% CI) | theory Wq | theory in the CI? | P(wait) | theory "
            "| utilisation |",
            "|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        covered = 0
        for r in self.queue:
            c, th = r.config, r.theory
            ci = "" if r.mean_wait.half_width is None else f" ± {r.mean_wait.half_width:.3f}"
            hit = None if th is None else r.mean_wait.covers(float(th.mean_wait))
            covered += bool(hit)
            lines.append(f"| {c.workers} | {c.load:.2f} | {r.mean_wait.mean:.3f}{ci} | "
                         f"{'' if th is None else f'{float(th.mean_wait):.3f}'} | "
                         f"{'' if hit is None else 'yes' if hit else 'no'} | {r.p_wait.mean:.3f} | "
                         f"{'' if th is None else f'{float(th.p_wait):.3f}'} | {r.utilization.mean:.3f} |")
        with_theory = sum(r.theory is not None for r in self.queue)
        lines += [
            "",
            "- *simulated Wq*: mean time a job waits before a worker starts it (seconds), the mean over the "
            "replications ± the half-width of its 95% t confidence interval.",
            "- *theory Wq*, *theory* (of P(wait)): Erlang C for c workers. *theory in the CI?*: whether the "
            f"interval covers the theoretical value ({covered} of {with_theory} do). A correct simulation's "
            "95% intervals miss about 1 time in 20, so a single *no* is no proof of a bug; many would be.",
            "- *P(wait)*: fraction of jobs that found every worker busy. *utilisation*: fraction of time the "
            "workers were busy (theory: ρ).",
            "",
            "![Mean wait in queue against load, simulation with 95% intervals and Erlang C](queue.png)",
        ]
        return "\n".join(lines)

    def _crash_section(self, s: DemoSettings) -> str:
        config = self.crash[0].config if self.crash else CrashConfig(jobs=s.crash_jobs, kill_rate=0.05)
        lines = [
            "## Crash: workers killed at random", "",
            f"{config.jobs} jobs queued at time 0; {config.workers} workers of {config.concurrency} slots each, "
            f"each job taking {config.service_time:g} s on average. Each worker is killed (kill -9: it reports "
            f"nothing and releases nothing) at random, {config.kill_rate:g} times per second on average, and "
            f"replaced {config.restart_delay:g} s later. Once with leases ({config.lease_ms / 1000:g} s, renewed "
            "while the job runs: a dead worker's jobs go back to the queue when their lease expires), once "
            "without (Kue's behaviour). A run ends when no job can make progress.", "",
            "| leases | kills | jobs | completed | lost | unfinished | re-runs | makespan (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for crash in self.crash:
            lines.append(f"| {'on' if crash.config.leases else 'off'} | {crash.kills} | {crash.jobs} | "
                         f"{crash.completed} | {crash.lost} | {crash.unfinished} | {crash.reruns} | "
                         f"{crash.makespan:.0f} |")
        lines += [
            "",
            "- *lost*: jobs left `active`, held by a dead worker, that nothing will ever run again.",
            "- *unfinished*: jobs cut off by the safety horizon (0 when the run ended by itself).",
            "- *re-runs*: handler runs beyond one per job: the jobs in flight at a kill, run again. With leases "
            "delivery is *at least once*, so handlers should be idempotent.",
            "",
            "![Jobs completed, lost and re-run, with and without leases](crash.png)",
        ]
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
    report = DemoReport(settings=s)
    with using_executor(executor) as running:
        _measure(report, s, running, _bar() if progress else None)
    report.files = _write(report, out_dir)
    return report


def _bar() -> Progress:
    from tqdm.auto import tqdm

    def wrap(items: Iterable[Any]) -> Iterable[Any]:
        bar: Iterable[Any] = tqdm(items, desc="demo", unit="run", file=sys.stderr)  # left at N/N when done
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

    from queuesim.sim.plots import PAGE_STYLE, legend_below, plot_grouped_bars, plot_race_sweep, plot_sim_vs_theory
    from queuesim.sim.theory import mmc

    files = []
    with plt.style.context(PAGE_STYLE):
        s = report.settings
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 3.8))
        plot_race_sweep(left, report.race, "oversold", ceiling=s.race_clients - s.race_stock,
                        ceiling_label=f"every buyer confirmed ({s.race_clients - s.race_stock})",
                        ylabel="units oversold (mean per sale)", title="Oversell", legend=False)
        plot_race_sweep(right, report.race, "retries", ylabel="WATCH retries (mean per sale)", title="Retries",
                        legend=False)
        right.set_xlabel("λ·RTT")
        legend_below(fig, [left, right])  # under the panels: inside, it covered the naive line
        files.append(_save(fig, out_dir / "race.png"))
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        for k, c in enumerate(sorted({r.config.workers for r in report.queue})):
            runs = [r for r in report.queue if r.config.workers == c]
            grid = [min(s.queue_loads) + (max(s.queue_loads) - min(s.queue_loads)) * i / 100 for i in range(101)]
            plot_sim_vs_theory(
                ax, [r.config.load + 0.006 * (k - 0.5) for r in runs], [r.mean_wait.mean for r in runs],
                [r.mean_wait.half_width for r in runs],
                [float(mmc(rho * c, 1.0, c).mean_wait) for rho in grid], theory_xs=grid,
                label=f"{c} worker{'s' if c > 1 else ''}: simulation, 95% CI",
                theory_label=f"{c} worker{'s' if c > 1 else ''}: Erlang C",
                xlabel="load ρ = λ / (c·μ)", ylabel="mean wait in queue (s)", title="Queue: simulation vs Erlang C",
                color=f"C{k}",
            )
        files.append(_save(fig, out_dir / "queue.png"))
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        labels = [f"leases {'on' if r.config.leases else 'off'}" for r in report.crash]
        plot_grouped_bars(ax, labels, {"completed": [r.completed for r in report.crash],
                                       "lost": [r.lost for r in report.crash],
                                       "re-runs": [r.reruns for r in report.crash]},
                          ylabel="jobs", title=f"{s.crash_jobs} jobs, workers killed at random (kills: "
                          + ", ".join(f"{r.kills} with leases {'on' if r.config.leases else 'off'}"
                                      for r in report.crash) + ")")
        files.append(_save(fig, out_dir / "crash.png"))
        plt.close(fig)

    path = out_dir / "report.md"
    path.write_text(f"# queuesim demo\n\nEvery run is in virtual time (SimPy) on the embedded store, from seed "
                    f"{report.settings.seed}: the same seed gives the same numbers and figures.\n\n"
                    + report.markdown() + "\n", encoding="utf-8")
    files.append(path)
    return files


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=90, metadata={"Software": None})
    return path
