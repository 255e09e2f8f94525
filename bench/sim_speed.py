"""Simulation speed: the real-logic queue scenario against a minimal hand-written SimPy M/M/c model.

Both simulate the same M/M/c system from the same seed (same arrivals, same
service times); the figure is simulated jobs per wall-second, and the ratio is
how much the real queue logic (Lua scripts, conversations, worker loop) costs
over the textbook model. The same figures in CPU time of this process
(``time.process_time``, the ``*_cpu_*`` keys) are steadier on a machine shared
with other work; each figure is the best of ``--repeat`` runs.

    .venv/bin/python bench/sim_speed.py [--jobs 5000] [--store fakeredis|fast] [--breakdown]

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
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the calls into the store (FastStore only)")
    args = parser.parse_args()
    if args.breakdown and args.store == "fakeredis":
        parser.error("--breakdown times FastStore's Lua calls; it does not work with --store fakeredis")
    store = None
    if args.store == "fakeredis":
        from queuesim.sim.system import fakeredis_store as store
    elif args.store == "fast":
        from queuesim.sim.fast_store import fast_store as store  # type: ignore[no-redef]

    cfg = QueueConfig(args.arrival_rate, args.service_rate, args.workers, jobs=args.jobs, warmup=args.jobs // 10)
    minimal, real, minimal_cpu, real_cpu = [], [], [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        simulate_mmc_minimal(cfg.arrival_rate, cfg.service_rate, cfg.workers, cfg.jobs, seed=1)
        minimal.append(cfg.jobs / (time.perf_counter() - t))
        minimal_cpu.append(cfg.jobs / (time.process_time() - c))
        t, c = time.perf_counter(), time.process_time()
        run_queue_replication(cfg, seed=1, store=store)
        real.append(cfg.jobs / (time.perf_counter() - t))
        real_cpu.append(cfg.jobs / (time.process_time() - c))
    result = {
        "metric": "sim_speed", "jobs": cfg.jobs, "model": f"M/M/{cfg.workers}", "store": args.store or "default",
        "minimal_jobs_per_s": round(max(minimal)), "real_logic_jobs_per_s": round(max(real)),
        "cost_ratio": round(max(minimal) / max(real), 2),
        "minimal_jobs_per_cpu_s": round(max(minimal_cpu)), "real_logic_jobs_per_cpu_s": round(max(real_cpu)),
        "cost_ratio_cpu": round(max(minimal_cpu) / max(real_cpu), 2),
    }
    if args.breakdown:
        inside, calls, total = _time_inside_the_store(cfg, store)
        per_job = 1e6 / cfg.jobs
        minimal_us = 1e6 / max(minimal)
        result |= {
            "minimal_us_per_job": round(minimal_us, 1),
            "store_us_per_job": round(inside * per_job, 1), "store_calls_per_job": round(calls / cfg.jobs, 2),
            "outside_store_us_per_job": round((total - inside) * per_job, 1),
            "ratio_if_the_store_were_free": round((total - inside) * per_job / minimal_us, 2),
        }
    print(json.dumps(result))


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
