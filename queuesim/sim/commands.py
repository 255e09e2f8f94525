"""``queuesim simulate …``: the simulation scenarios on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["plot_path", "register"]


def register(sub: Any) -> None:
    """Add ``queuesim simulate`` and ``queuesim demo`` to the command line."""
    demo = sub.add_parser("demo", help="the main job: race, queue and crash scenarios, plots and a report")
    demo.add_argument("--out", default="out", help="folder for the plots and report.md (default out/)")
    demo.add_argument("--quick", action="store_true", help="a much smaller run")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    _executor_options(demo, "runs")
    demo.set_defaults(func=_run_demo)
    sim = sub.add_parser("simulate", help="run a scenario in virtual time (SimPy) on the real queue logic")
    kinds = sim.add_subparsers(dest="scenario", metavar="SCENARIO", required=True)
    q = kinds.add_parser("queue", help="jobs through the real queue into c workers, compared with theory")
    q.add_argument("--arrival-rate", type=float, required=True, metavar="L", help="jobs per second (Poisson)")
    q.add_argument("--service-rate", type=float, required=True, metavar="M", help="jobs per second per worker")
    q.add_argument("--workers", type=int, default=1, metavar="C", help="workers (default 1)")
    q.add_argument("--service", choices=["exp", "det", "lognormal"], default="exp", help="service time distribution")
    q.add_argument("--service-cv", type=float, metavar="CV",
                   help="coefficient of variation of a lognormal service time (default 1; only with "
                        "--service lognormal)")
    q.add_argument("--capacity", type=int, metavar="K", help="most jobs in the system; more are turned away")
    q.add_argument("--jobs", type=int, default=5000, metavar="N", help="arrivals per replication (default 5000)")
    q.add_argument("--replications", type=int, default=10, metavar="R", help="replications (default 10)")
    q.add_argument("--warmup", type=int, default=500, metavar="W", help="arrivals left out at the start (default 500)")
    q.add_argument("--rtt-ms", type=float, default=0.0, help="client-Redis round trip in ms (default 0)")
    q.add_argument("--seed", type=int, default=1, metavar="S", help="root seed (default 1)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--plot", metavar="FILE", type=plot_path,
                   help="write the wait distribution to FILE; its extension picks the format "
                        "(png, pdf, svg, …; checked before the run)")
    q.add_argument("--no-progress", action="store_true", help="no progress bar")
    _executor_options(q, "replications")
    q.set_defaults(func=_run_queue, usage_error=q.error)

    race = kinds.add_parser("race", help="a flash sale on the stock or seat service: naive, watch or atomic")
    race.add_argument("--service", choices=["stock", "seats"], default="stock",
                      help="what is on sale: one product's stock (default) or the seats of exercise 13")
    race.add_argument("--strategy", choices=["naive", "watch", "atomic"], default="atomic")
    race.add_argument("--clients", type=int, default=200, metavar="K", help="buyers (default 200)")
    race.add_argument("--stock", "--seats", dest="stock", type=int, default=50, metavar="S",
                      help="units (or seats) on sale (default 50)")
    race.add_argument("--arrival-rate", type=float, default=1000.0, metavar="L", help="buyers per second")
    race.add_argument("--rtt-ms", type=float, default=1.0, metavar="T", help="client-Redis round trip (ms)")
    race.add_argument("--think-ms", type=float, default=0.0, help="client work between read and write (ms)")
    race.add_argument("--seed", type=int, default=1)
    race.add_argument("--json", action="store_true", help="print one JSON object")
    race.set_defaults(func=_run_race)

    c = kinds.add_parser("crash", help="workers killed at random: with leases every job completes")
    c.add_argument("--jobs", type=int, default=300, help="jobs queued at time 0 (default 300)")
    c.add_argument("--workers", type=int, default=3, help="worker processes (default 3)")
    c.add_argument("--concurrency", type=int, default=2, help="slots per worker (default 2)")
    c.add_argument("--service-time", type=float, default=1.0, help="mean seconds per job (default 1)")
    c.add_argument("--kill-rate", type=float, default=0.02, help="kills per worker per second (default 0.02)")
    c.add_argument("--restart-delay", type=float, default=5.0, help="seconds before a replacement starts")
    c.add_argument("--lease-ms", type=int, default=5000, help="lease length in ms (default 5000)")
    c.add_argument("--no-leases", action="store_true", help="switch stall recovery off (Kue's behaviour)")
    c.add_argument("--horizon", type=float, default=3600.0,
                   help="stop after this many simulated seconds even if jobs could still finish (they are "
                        "reported as unfinished); the run ends by itself once every job is complete, failed "
                        "or lost (default 3600)")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_run_crash)

    r = kinds.add_parser("retries", help="jobs failing with probability p, retried with backoff")
    r.add_argument("--jobs", type=int, default=1000, help="jobs (default 1000)")
    r.add_argument("--arrival-rate", type=float, default=5.0, help="jobs per second (default 5)")
    r.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    r.add_argument("--service-time", type=float, default=0.1, help="mean seconds per run (default 0.1)")
    r.add_argument("--failure-probability", type=float, default=0.3, metavar="P",
                   help="per run, from 0 to 1 (default 0.3; 1: every run fails)")
    r.add_argument("--attempts", type=int, default=3, help="runs a job may have (default 3)")
    r.add_argument("--backoff", choices=["none", "fixed", "exponential"], default="exponential")
    r.add_argument("--backoff-delay-ms", type=int, default=1000, help="backoff base delay (default 1000)")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=_run_retries)


def _executor_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--processes N`` and ``--dask ADDRESS``: where the runs go (the results are the same)."""
    parser.add_argument("--processes", type=_processes, default=None, metavar="N",
                        help=f"run the {what} on N processes (default: every CPU this process may use; "
                             "1: one after another in this process)")
    parser.add_argument("--dask", metavar="ADDRESS",
                        help=f"run the {what} on a Dask cluster: its scheduler's address (host:port), or 'local' "
                             "to start one on this machine (needs: pip install 'queuesim[dask]')")


def _processes(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1024:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes between 1 and 1024")
    return int(text)


def _executor(args: argparse.Namespace, command: str) -> Any:
    """The executor ``args`` ask for, or exits 2 with one line on stderr."""
    from queuesim.sim.executor import make_executor

    try:
        return make_executor(args.processes, args.dask)
    except (ImportError, ValueError) as exc:
        print(f"queuesim {command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _unreachable(command: str, args: argparse.Namespace, exc: BaseException) -> int:
    print(f"queuesim {command}: cannot run on the Dask cluster at {args.dask}: {exc}", file=sys.stderr)
    return 1


def plot_path(text: str) -> str:
    """``--plot FILE``: an argparse type that refuses, before any simulation runs, a file matplotlib cannot write.

    The extension must name a format matplotlib supports (none: ``savefig.format``, PNG
    by default, and matplotlib adds its extension), the parent directory must exist, and the file must be writable:
    it is opened for appending (created and removed again if it did not exist).
    """
    from matplotlib import rcParams
    from matplotlib.backend_bases import FigureCanvasBase

    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, not a file")
    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = path.suffix[1:].lower()
    if suffix and suffix not in formats:
        raise argparse.ArgumentTypeError(
            f"format {suffix!r} of {text!r} is not supported; use one of {', '.join(sorted(formats))}")
    if not suffix:
        path = path.with_name(f"{path.name}.{rcParams['savefig.format']}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"directory {str(path.parent)!r} of {text!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{str(path)!r} is a directory, not a file")
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
        if not existed:
            path.unlink()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return text


def _fail(message: str) -> int:
    print(f"queuesim simulate: {message}", file=sys.stderr)
    return 2


def _progress(enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    def wrap(items: Iterable[int]) -> Iterable[int]:
        bar: Iterable[int] = tqdm(items, desc=desc, unit="rep", leave=False, file=sys.stderr)
        return bar

    return wrap


def _run_queue(args: argparse.Namespace) -> int:
    from queuesim.sim.queue_scenario import QueueConfig, simulate_queue

    if args.service_cv is not None and args.service != "lognormal":
        args.usage_error(f"argument --service-cv: only a lognormal service time has one "
                         f"(--service {args.service} has a fixed variability); add --service lognormal")
    try:
        config = QueueConfig(
            arrival_rate=args.arrival_rate, service_rate=args.service_rate, workers=args.workers,
            service=args.service, service_cv=1.0 if args.service_cv is None else args.service_cv,
            capacity=args.capacity, jobs=args.jobs, warmup=args.warmup, rtt_ms=args.rtt_ms,
        )
    except ValueError as exc:
        return _fail(str(exc))
    rho = config.load
    stable = config.capacity is not None or rho < 1
    if not stable:
        print(f"queuesim simulate: warning: unstable system: ρ = λ/(c·μ) = {config.arrival_rate:g}/"
              f"({config.servers}·{config.service_rate:g}) = {rho:.3g} ≥ 1 with no --capacity, so the queue "
              f"grows without bound and the means depend on the run length (--jobs): there is no steady state",
              file=sys.stderr)
    executor = _executor(args, "simulate")
    try:
        with executor:
            result = simulate_queue(config, seed=args.seed, replications=args.replications, executor=executor,
                                    progress=_progress(not (args.no_progress or args.json), "replications"))
    except ValueError as exc:
        return _fail(str(exc))
    except OSError as exc:
        if args.dask is None:
            raise
        return _unreachable("simulate", args, exc)
    if args.json:
        print(json.dumps({**result.to_dict(), "rho": rho, "stable": stable}, sort_keys=True))
    else:
        print(_table(result, stable))
    if args.plot:
        return _plot(result, args.plot)
    return 0


def _table(result: Any, stable: bool = True) -> str:
    theory = result.theory
    rows = [("mean wait in queue (Wq)", result.mean_wait, "mean_wait"),
            ("P(wait)", result.p_wait, "p_wait"),
            ("mean queue length (Lq)", result.mean_queue_length, "mean_queue_length"),
            ("utilisation", result.utilization, "utilization"),
            ("throughput", result.throughput, "throughput"),
            ("mean time in system (W)", result.mean_time_in_system, "mean_time_in_system")]
    if result.config.capacity is not None:
        rows.append(("blocking", result.blocking, "blocking"))
    model = theory.model if theory is not None else "no closed form" if stable else "none (unstable: ρ ≥ 1)"
    lines = [f"queue scenario: {result.replications} replications, 95% confidence intervals; theory: {model}",
             "", "| metric | simulated | 95% CI | theory | theory in the 95% CI? |", "|---|---:|---:|---:|---|"]
    covered = result.theory_covered()
    for label, summary, key in rows:
        expected = "" if theory is None else f"{float(getattr(theory, key)):.4f}"
        ci = "" if summary.half_width is None else f"± {summary.half_width:.4f}"
        verdict = "" if key not in covered else "yes" if covered[key] else "no"
        lines.append(f"| {label} | {summary.mean:.4f} | {ci} | {expected} | {verdict} |")
    p = result.wait_percentiles
    lines.append("")
    lines.append("wait percentiles: " + ", ".join(f"{k} {v:.4f}" for k, v in p.items()))
    lines.append(f"Little's law gap |Lq - λ·Wq| / λ·Wq: {result.little_gap():.4f}; "
                 f"Redis round trips per job: {result.round_trips_per_job:.2f}")
    if covered:
        lines.append(_coverage_note(sum(not hit for hit in covered.values()), theory.exact))
    return "\n".join(lines)


def _coverage_note(misses: int, exact: bool) -> str:
    """What the "theory in the 95% CI?" column means, in one line."""
    if not exact:
        return ("theory here is an approximation, not an exact value: a correct simulation may "
                "miss it by more than chance")
    if misses == 0:
        return "every 95% interval covers the theoretical value"
    return (f"{misses} interval(s) miss the theoretical value; a correct simulation's 95% intervals miss "
            "about 1 time in 20: more replications (--replications), longer runs (--jobs) or another "
            "--seed tell chance from bias")


def _plot(result: Any, path: str) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from queuesim.sim.plots import plot_wait_distribution

    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        theory = None if result.theory is None else float(result.theory.mean_wait)
        plot_wait_distribution(ax, list(result.waits), theory_mean=theory, title="waiting times")
        fig.tight_layout()
        png = (Path(path).suffix[1:].lower() or matplotlib.rcParams["savefig.format"]) == "png"
        # no version in a PNG's metadata (the other formats take other keys, or none)
        fig.savefig(path, dpi=100, metadata={"Software": None} if png else None)
    except (OSError, ValueError, RuntimeError) as exc:  # checked before the run, but the disk may say no
        print(f"queuesim simulate: could not write the plot {path!r}: {exc}", file=sys.stderr)
        return 1
    finally:
        plt.close(fig)
    return 0


def _print_result(result: Any, as_json: bool, lines: list[str]) -> int:
    if as_json:
        print(json.dumps(result.to_dict(), sort_keys=True))
    else:
        print("\n".join(lines))
    return 0


def _run_crash(args: argparse.Namespace) -> int:
    from queuesim.sim.crash_scenario import CrashConfig, simulate_crash

    try:
        config = CrashConfig(jobs=args.jobs, workers=args.workers, concurrency=args.concurrency,
                             service_time=args.service_time, kill_rate=args.kill_rate,
                             restart_delay=args.restart_delay, lease_ms=args.lease_ms, leases=not args.no_leases,
                             horizon=args.horizon)
        r = simulate_crash(config, seed=args.seed)
    except ValueError as exc:
        return _fail(str(exc))
    return _print_result(r, args.json, [
        f"crash scenario, leases {'on' if config.leases else 'OFF'}: {r.kills} workers killed",
        f"jobs {r.jobs}: completed {r.completed}, failed {r.failed}, lost {r.lost}, unfinished {r.unfinished}",
        f"handler runs {r.executions} ({r.reruns} re-runs after kills); "
        + (f"makespan {r.makespan:.1f} s" if r.unfinished == 0
           else f"stopped at the horizon, {r.makespan:g} s, with {r.unfinished} jobs unfinished"),
    ])


def _run_retries(args: argparse.Namespace) -> int:
    from queuesim.sim.retries_scenario import RetriesConfig, simulate_retries

    try:
        config = RetriesConfig(jobs=args.jobs, arrival_rate=args.arrival_rate, workers=args.workers,
                               service_time=args.service_time, failure_probability=args.failure_probability,
                               attempts=args.attempts, backoff=args.backoff, backoff_delay_ms=args.backoff_delay_ms)
        r = simulate_retries(config, seed=args.seed)
    except ValueError as exc:
        return _fail(str(exc))
    t = r.theory
    p = r.time_to_complete_percentiles
    return _print_result(r, args.json, [
        f"retries scenario: p={config.failure_probability}, {config.attempts} attempts, {config.backoff} backoff",
        f"goodput {r.goodput:.4f} (theory {t['goodput']:.4f}); failed for good {r.failed} of {r.jobs}",
        f"extra load {r.extra_load:.4f} runs per job (theory {t['extra_load']:.4f})",
        "time to complete: no job completed" if not r.completed else
        f"time to complete: mean {r.mean_time_to_complete:.3f} s, " + ", ".join(f"{k} {v:.3f} s" for k, v in p.items()),
    ])


def _run_race(args: argparse.Namespace) -> int:
    from queuesim.sim.race_scenario import RaceConfig, simulate_race

    try:
        config = RaceConfig(args.strategy, args.clients, args.stock, args.arrival_rate, args.rtt_ms, args.think_ms,
                            service=args.service)
        r = simulate_race(config, seed=args.seed)
    except ValueError as exc:
        return _fail(str(exc))
    on_sale = "seats" if config.service == "seats" else "stock"
    left = "seats left" if config.service == "seats" else "final stock"
    return _print_result(r, args.json, [
        f"race scenario on the {config.service} service: {config.strategy}, {config.clients} buyers at "
        f"{config.arrival_rate:g}/s, RTT {config.rtt_ms:g} ms (λ·RTT = {config.load:g}), {on_sale} {config.stock}",
        f"confirmed {r.confirmed}, rejected {r.rejected}, oversold {r.oversold}, {left} {r.final_stock}, "
        f"WATCH retries {r.retries}",
        f"invariant sold + remaining = initial: {'holds' if r.invariant_holds else 'BROKEN'}; "
        f"latency p50 {r.latency_ms.get('p50', 0):.2f} ms, p99 {r.latency_ms.get('p99', 0):.2f} ms",
    ])


def _run_demo(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from queuesim.sim.demo import DemoSettings, run_demo

    settings = DemoSettings.quick() if args.quick else DemoSettings()
    try:  # before the work: a folder that cannot be made is said at once, in one line
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"queuesim demo: cannot write to --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    executor = _executor(args, "demo")
    try:
        with executor:
            report = run_demo(args.out, settings=replace(settings, seed=args.seed), progress=not args.no_progress,
                              executor=executor)
    except OSError as exc:
        if args.dask is None:
            raise
        return _unreachable("demo", args, exc)
    print(report.markdown(figures=False))
    print()
    print("wrote " + ", ".join(str(f) for f in report.files))
    return 0
