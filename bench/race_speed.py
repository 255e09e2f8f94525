"""Race finder figures: simulated client calls per wall-second, and schedules needed to find a race.

Speed: K clients each run a 3-command function (GET, SET, INCR) as simulated
clients (greenlet per client, a SimPy round trip per command, the commands on the
simulated store), once in one schedule of ``--clients`` clients and once as a finder
running 1,000 schedules of 10 clients; the figure is client calls per wall-second
(and per CPU-second of this process, steadier on a shared machine), best of
``--repeat``. The issue's target: at least 1,000 calls per second.

Search: the naive GET-then-SET stock reservation (stock 4, 10 clients arriving
together, invariant: reserved + remaining = 4 and remaining ≥ 0) is searched with
finder seeds 1 … ``--seeds``; printed: how many schedules each needed (the
distribution, per scheduler), the size of the minimised counterexamples (clients,
commands, preemptions), the same search with the clients arriving as a Poisson stream
of 100 per second (harder: fewer schedules overlap two clients), and the WATCH and Lua
versions over 1,000 schedules each.
The issue's targets: found within 20 schedules on average over 50 seeds; a
counterexample of 2 clients and at most 6 commands; no violation for WATCH and Lua.

    .venv/bin/python bench/race_speed.py [--clients 1000] [--seeds 50] [--repeat 3] [--backend fast|fakeredis]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from typing import Any

import redis

from queuesim.race import Load, find_race, run
from queuesim.race.examples import stock


def three_commands(r: redis.Redis, i: int) -> int:
    """The measured client call: read, write, count."""
    r.get("last")
    r.set("last", i)
    return int(r.incr("calls"))


def _best(repeat: int, work: Any) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds) of ``repeat`` runs of ``work()``."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def speed(clients: int, repeat: int, backend: str) -> dict[str, Any]:
    """Client calls per second: one big schedule, and a finder's 1,000 small ones."""
    big = Load(three_commands, clients=clients, arrival_rate=1000.0, backend=backend)
    result = run(big, seed=1)
    assert len(result.trace) == 3 * clients
    wall, cpu = _best(repeat, lambda: run(big, seed=1))
    small = Load(three_commands, clients=10, backend=backend, invariant=lambda r, results: True)
    schedules = 1000
    finder_wall, finder_cpu = _best(repeat, lambda: find_race(small, schedules=schedules, scheduler="random"))
    return {
        "backend": backend,
        "one_schedule_clients": clients,
        "calls_per_s": round(clients / wall),
        "calls_per_cpu_s": round(clients / cpu),
        "us_per_command": round(wall / (3 * clients) * 1e6, 1),
        "finder_schedules": schedules,
        "finder_calls_per_s": round(10 * schedules / finder_wall),
        "finder_calls_per_cpu_s": round(10 * schedules / finder_cpu),
        "finder_schedules_per_s": round(schedules / finder_wall),
    }


def _summary(counts: list[int]) -> dict[str, Any]:
    ordered = sorted(counts)
    return {
        "mean": round(statistics.mean(counts), 2),
        "median": statistics.median(counts),
        "p90": ordered[int(0.9 * (len(ordered) - 1))],
        "max": ordered[-1],
        "histogram": dict(sorted(Counter(counts).items())),
    }


def _schedules_to_find(load: Load, scheduler: str, seeds: int) -> dict[str, Any]:
    counts = [find_race(load, seed=s, scheduler=scheduler, schedules=1000, minimise_counterexample=False).schedules
              for s in range(1, seeds + 1)]
    return _summary(counts)


def search(seeds: int, backend: str) -> dict[str, Any]:
    """Schedules to find the naive race over ``seeds`` finder seeds, per scheduler; counterexample sizes."""
    load = Load(stock.reserve_naive, clients=10, setup=stock.setup, invariant=stock.check, backend=backend)
    out: dict[str, Any] = {}
    for scheduler in ("mixed", "random", "pct"):
        out[f"schedules_to_find_{scheduler}"] = _schedules_to_find(load, scheduler, seeds)
    spread = Load(stock.reserve_naive, clients=10, setup=stock.setup, invariant=stock.check, backend=backend,
                  arrival_rate=100.0)  # 10 ms apart on average, RTT 1 ms: fewer schedules overlap two clients
    for scheduler in ("mixed", "random", "pct"):
        out[f"spread_arrivals_schedules_to_find_{scheduler}"] = _schedules_to_find(spread, scheduler, seeds)
    sizes = []
    for s in range(1, seeds + 1):
        counterexample = find_race(load, seed=s).counterexample
        assert counterexample is not None
        sizes.append((counterexample.clients, counterexample.commands, counterexample.preemptions))
    out["counterexample_sizes"] = {f"{c} clients, {n} commands, {p} preemptions": k
                                   for (c, n, p), k in sorted(Counter(sizes).items())}
    for name, target in (("watch", stock.reserve_watch), ("lua", stock.reserve_lua)):
        correct = Load(target, clients=10, setup=stock.setup, invariant=stock.check, backend=backend)
        t = time.perf_counter()
        finding = find_race(correct, schedules=1000, seed=1)
        out[f"{name}_1000_schedules"] = {"violation": finding.violation, "schedules": finding.schedules,
                                         "seconds": round(time.perf_counter() - t, 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="clients of the one-schedule speed run")
    parser.add_argument("--seeds", type=int, default=50, help="finder seeds for the distribution")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (speed)")
    parser.add_argument("--backend", choices=["fast", "fakeredis"], default="fast")
    parser.add_argument("--only", choices=["speed", "search"], help="one half of the figures")
    args = parser.parse_args()
    if args.only != "search":
        print(json.dumps(speed(args.clients, args.repeat, args.backend)))
    if args.only != "speed":
        print(json.dumps(search(args.seeds, args.backend)))


if __name__ == "__main__":
    main()
