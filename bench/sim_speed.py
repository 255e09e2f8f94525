"""Simulation speed: the real-logic queue scenario against a minimal hand-written SimPy M/M/c model.

Both simulate the same M/M/c system from the same seed (same arrivals, same
service times); the figure is simulated jobs per wall-second, and the ratio is
how much the real queue logic (Lua scripts, conversations, worker loop) costs
over the textbook model. The same figures in CPU time of this process
(``time.process_time``, the ``*_cpu_*`` keys) are steadier on a machine shared
with other work; each figure is the best of ``--repeat`` runs.

    .venv/bin/python bench/sim_speed.py [--jobs 5000] [--store fakeredis|fast]
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
    args = parser.parse_args()
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
    print(json.dumps(result))


if __name__ == "__main__":
    main()
