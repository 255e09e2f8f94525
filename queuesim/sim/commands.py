"""``queuesim simulate …``: the simulation scenarios on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``queuesim simulate`` to the command line."""
    sim = sub.add_parser("simulate", help="run a scenario in virtual time (SimPy) on the real queue logic")
    kinds = sim.add_subparsers(dest="scenario", metavar="SCENARIO", required=True)
    q = kinds.add_parser("queue", help="jobs through the real queue into c workers, compared with theory")
    q.add_argument("--arrival-rate", type=float, required=True, metavar="L", help="jobs per second (Poisson)")
    q.add_argument("--service-rate", type=float, required=True, metavar="M", help="jobs per second per worker")
    q.add_argument("--workers", type=int, default=1, metavar="C", help="workers (default 1)")
    q.add_argument("--service", choices=["exp", "det", "lognormal"], default="exp", help="service time distribution")
    q.add_argument("--service-cv", type=float, default=1.0, help="coefficient of variation (lognormal)")
    q.add_argument("--capacity", type=int, metavar="K", help="most jobs in the system; more are turned away")
    q.add_argument("--jobs", type=int, default=5000, metavar="N", help="arrivals per replication (default 5000)")
    q.add_argument("--replications", type=int, default=10, metavar="R", help="replications (default 10)")
    q.add_argument("--warmup", type=int, default=500, metavar="W", help="arrivals left out at the start (default 500)")
    q.add_argument("--rtt-ms", type=float, default=0.0, help="client-Redis round trip in ms (default 0)")
    q.add_argument("--seed", type=int, default=1, metavar="S", help="root seed (default 1)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--plot", metavar="FILE", help="write a PNG of the wait distribution")
    q.add_argument("--no-progress", action="store_true", help="no progress bar")
    q.set_defaults(func=_run_queue)


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

    try:
        config = QueueConfig(
            arrival_rate=args.arrival_rate, service_rate=args.service_rate, workers=args.workers,
            service=args.service, service_cv=args.service_cv, capacity=args.capacity, jobs=args.jobs,
            warmup=args.warmup, rtt_ms=args.rtt_ms,
        )
        result = simulate_queue(config, seed=args.seed, replications=args.replications,
                                progress=_progress(not (args.no_progress or args.json), "replications"))
    except ValueError as exc:
        return _fail(str(exc))
    if args.plot:
        _plot(result, args.plot)
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True))
        return 0
    print(_table(result))
    return 0


def _table(result: Any) -> str:
    theory = result.theory
    rows = [("mean wait in queue (Wq)", result.mean_wait, "mean_wait"),
            ("P(wait)", result.p_wait, "p_wait"),
            ("mean queue length (Lq)", result.mean_queue_length, "mean_queue_length"),
            ("utilisation", result.utilization, "utilization"),
            ("throughput", result.throughput, "throughput"),
            ("mean time in system (W)", result.mean_time_in_system, "mean_time_in_system")]
    if result.config.capacity is not None:
        rows.append(("blocking", result.blocking, "blocking"))
    model = theory.model if theory is not None else "no closed form"
    lines = [f"queue scenario: {result.replications} replications, 95% confidence intervals; theory: {model}",
             "", "| metric | simulated | 95% CI | theory |", "|---|---:|---:|---:|"]
    for label, summary, key in rows:
        expected = "" if theory is None else f"{float(getattr(theory, key)):.4f}"
        ci = "" if summary.half_width is None else f"± {summary.half_width:.4f}"
        lines.append(f"| {label} | {summary.mean:.4f} | {ci} | {expected} |")
    p = result.wait_percentiles
    lines.append("")
    lines.append("wait percentiles: " + ", ".join(f"{k} {v:.4f}" for k, v in p.items()))
    lines.append(f"Little's law gap |Lq - λ·Wq| / λ·Wq: {result.little_gap():.4f}; "
                 f"Redis round trips per job: {result.round_trips_per_job:.2f}")
    return "\n".join(lines)


def _plot(result: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from queuesim.sim.plots import plot_wait_distribution

    fig, ax = plt.subplots(figsize=(7, 4))
    theory = None if result.theory is None else float(result.theory.mean_wait)
    plot_wait_distribution(ax, list(result.waits), theory_mean=theory, title="waiting times")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
