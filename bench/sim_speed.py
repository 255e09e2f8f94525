"""Simulation speed: the real-logic queue scenario against a minimal hand-written SimPy M/M/c model.

Both simulate the same M/M/c system from the same seed (same arrivals, same
service times); the figure is simulated jobs per second, and the ratio is how much
the real queue logic (Lua scripts, conversations, worker loop) costs per job over
the textbook model. The two run in pairs, one right after the other, so both meet
the same machine: the ratio of each pair is taken, and the figures printed are
medians over ``--pairs`` pairs (with the smallest and largest ratio), after one
warm-up pair that is not counted (the first run of a fresh interpreter is slow).
The minimal model runs ``--minimal-jobs`` jobs (default 10 x ``--jobs``), so that
both runs last long enough to time. CPU time of this process
(``time.process_time``, the ``*_cpu*`` keys) is steadier than wall time on a
machine shared with other work.

    .venv/bin/python bench/sim_speed.py [--jobs 5000] [--pairs 5] [--store fakeredis|fast] [--breakdown]

``--breakdown`` (FastStore only) runs the real logic once more with a timer around
each call into the store's Lua state, and prints how many µs per job go inside the
store (Lua and the crossing) and outside it (SimPy, the worker's loop, the
conversations, reply decoding), and the ratio the real logic would have against the
minimal model if the store cost nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from statistics import median

from queuesim.sim.baseline import simulate_mmc_minimal
from queuesim.sim.queue_scenario import QueueConfig, run_queue_replication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--arrival-rate", type=float, default=1.6)
    parser.add_argument("--service-rate", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", choices=["fakeredis", "fast"], default=None,
                        help="the simulation's store (default: the scenario's default)")
    parser.add_argument("--minimal-jobs", type=int, default=None,
                        help="jobs of the minimal model's runs (default: 10 x --jobs)")
    parser.add_argument("--pairs", "--repeat", type=int, default=5,
                        help="pairs of runs counted, the median printed (--repeat: its name until 2026-12-02)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the calls into the store (FastStore only)")
    args = parser.parse_args()
    if args.breakdown and args.store == "fakeredis":
        parser.error("--breakdown times FastStore's Lua calls; it does not work with --store fakeredis")
    if args.pairs < 1:
        parser.error(f"--pairs must be at least 1, got {args.pairs}")
    store = None
    if args.store == "fakeredis":
        from queuesim.sim.system import fakeredis_store as store
    elif args.store == "fast":
        from queuesim.sim.fast_store import fast_store as store  # type: ignore[no-redef]

    cfg = QueueConfig(args.arrival_rate, args.service_rate, args.workers, jobs=args.jobs, warmup=args.jobs // 10)
    minimal_jobs = args.minimal_jobs or 10 * args.jobs
    _pair(cfg, minimal_jobs // 10, store)  # warm-up, not counted
    pairs = [_pair(cfg, minimal_jobs, store) for _ in range(args.pairs)]
    minimal = [p[0] for p in pairs]
    real = [p[1] for p in pairs]
    minimal_cpu = [p[2] for p in pairs]
    real_cpu = [p[3] for p in pairs]
    ratio = [m / r for m, r in zip(minimal, real, strict=True)]
    ratio_cpu = [m / r for m, r in zip(minimal_cpu, real_cpu, strict=True)]
    result = {
        "metric": "sim_speed", "jobs": cfg.jobs, "minimal_jobs": minimal_jobs, "pairs": args.pairs,
        "model": f"M/M/{cfg.workers}", "store": args.store or "default",
        "minimal_jobs_per_s": round(median(minimal)), "real_logic_jobs_per_s": round(median(real)),
        "cost_ratio": round(median(ratio), 2),
        "minimal_jobs_per_cpu_s": round(median(minimal_cpu)), "real_logic_jobs_per_cpu_s": round(median(real_cpu)),
        "cost_ratio_cpu": round(median(ratio_cpu), 2),
        "cost_ratio_cpu_min": round(min(ratio_cpu), 2), "cost_ratio_cpu_max": round(max(ratio_cpu), 2),
    }
    if args.breakdown:
        inside, calls, total = _time_inside_the_store(cfg, store)
        per_job = 1e6 / cfg.jobs
        minimal_us = 1e6 / median(minimal)
        result |= {
            "minimal_us_per_job": round(minimal_us, 1),
            "store_us_per_job": round(inside * per_job, 1), "store_calls_per_job": round(calls / cfg.jobs, 2),
            "outside_store_us_per_job": round((total - inside) * per_job, 1),
            "ratio_if_the_store_were_free": round((total - inside) * per_job / minimal_us, 2),
        }
    print(json.dumps(result))


def _pair(cfg: QueueConfig, minimal_jobs: int, store: object) -> tuple[float, float, float, float]:
    """One run of each model, the minimal one first: jobs per wall-second and per CPU-second of each
    (minimal, real, minimal CPU, real CPU)."""
    t, c = time.perf_counter(), time.process_time()
    simulate_mmc_minimal(cfg.arrival_rate, cfg.service_rate, cfg.workers, minimal_jobs, seed=1)
    minimal, minimal_cpu = minimal_jobs / (time.perf_counter() - t), minimal_jobs / (time.process_time() - c)
    t, c = time.perf_counter(), time.process_time()
    run_queue_replication(cfg, seed=1, store=store)  # type: ignore[arg-type]
    return minimal, cfg.jobs / (time.perf_counter() - t), minimal_cpu, cfg.jobs / (time.process_time() - c)


def _time_inside_the_store(cfg: QueueConfig, store: object) -> tuple[float, int, float]:
    """One real-logic run with a timer around each call into FastStore's Lua state:
    (seconds inside, calls, seconds in all)."""
    from queuesim.sim.fast_store import runtime

    spent = [0.0, 0]
    entry_points = ("serve", "serve_many", "serve_table", "serve_many_table")

    def timed(call):  # type: ignore[no-untyped-def]
        def run(*args):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return call(*args)
            finally:
                spent[0] += time.perf_counter() - started
                spent[1] += 1
        return run

    plain_init = runtime.LuaStore.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        plain_init(self, *args, **kwargs)
        for name in entry_points:
            setattr(self, name, timed(getattr(self, name)))

    runtime.LuaStore.__init__ = init  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        run_queue_replication(cfg, seed=1, store=store)  # type: ignore[arg-type]
        total = time.perf_counter() - started
    finally:
        runtime.LuaStore.__init__ = plain_init  # type: ignore[method-assign]
    return spent[0], int(spent[1]), total


if __name__ == "__main__":
    main()
