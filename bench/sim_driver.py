"""How fast the simulation driver runs conversations (a benchmark, not a test: it prints figures).

    .venv/bin/python bench/sim_driver.py [--steps N] [--repeat R] [--jobs J] [--queue-only]

Each figure is the best of R repeats, measured in CPU time of this process
(``time.process_time``) so that other processes sharing the machine do not
inflate it, as conversation steps per CPU-second and CPU-microseconds per step;
the stores are measured in turn within each repeat. Three kinds of
conversation, as the queue and reservation services use them: a racy GET-then-SET
(2 steps), one Lua script call (1 step), and WATCH/GET/MULTI-SET-EXEC (3 steps).

Stores compared:
  null      no Redis at all: what SimPy and the driver cost by themselves;
  simstore  SimStore().client(), the default (redis-py client on fakeredis);
  direct    SimStore().client(direct=True): commands handed to fakeredis's
            command processor without RESP encoding, the connection pool and
            redis-py's per-call machinery; replies parsed by redis-py as before;
  fast      SimStore(backend="fast"): FastStore, the keyspace and commands in a
            LuaJIT state (interpreter), the same Lua scripts;
  fastjit   FastStore(jit=True): the same with LuaJIT's trace compiler on.

Then the queue's own steps, one job at a time through SimDriver: enqueue
(enqueue.lua), claim (fetch, claim.lua) and finish (finish.lua), in CPU-µs per
step and per job (the three together), on each store.

The minimal hand-written M/M/c model (queuesim.sim.baseline) is measured too, in
jobs per CPU-second, as the reference the queue scenario is compared with.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Generator
from typing import Any

import simpy

from queuesim.drivers import Batch, Conversation
from queuesim.queue import conversations as conv
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import JobOptions
from queuesim.queue.record import enqueue_fields
from queuesim.scripts import Script
from queuesim.sim import FastStore, Network, RandomStreams, Server, SimClock, SimDriver, SimStore, simulate_mmc_minimal

INCR = Script.from_source("incr_one", "return redis.call('INCR', KEYS[1])\n")


def get_set(key: str) -> Conversation[int]:
    value = int((yield ("GET", key)) or 0)
    yield ("SET", key, value + 1)
    return value + 1


def lua(key: str) -> Conversation[int]:
    return int((yield INCR([key])))


def watch(key: str) -> Conversation[int]:
    while True:
        yield ("WATCH", key)
        value = int((yield ("GET", key)) or 0)
        try:
            yield Batch.of([("SET", key, value + 1)], atomic=True)
        except Exception:  # WatchError: retry
            continue
        return value + 1


CONVERSATIONS: dict[str, tuple[Callable[[str], Conversation[int]], int]] = {
    "get_set": (get_set, 2),
    "lua": (lua, 1),
    "watch": (watch, 3),
}


class NullStore:
    """Answers every command at once without doing anything (isolates the driver's own cost)."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return "1"

    def pipeline(self, transaction: bool = True) -> NullPipeline:
        return NullPipeline()


class NullPipeline:
    def __init__(self) -> None:
        self.n = 0

    def execute_command(self, *args: Any) -> None:
        self.n += 1

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        return ["1"] * self.n


STORES = ("null", "simstore", "direct", "fast", "fastjit")


def make_store(kind: str, env: simpy.Environment) -> Any:
    if kind == "null":
        return NullStore()
    if kind == "fastjit":
        return FastStore(SimClock(env).time, jit=True).client()
    store = SimStore(SimClock(env).time, backend="fast" if kind == "fast" else "fakeredis")
    return store.client(direct=(kind == "direct"))


QUEUE_STEPS = ("enqueue", "claim", "finish")


def queue_steps(kind: str, jobs: int) -> dict[str, float]:
    """CPU seconds per step of each queue script, one job at a time through SimDriver."""
    env = simpy.Environment()
    driver = SimDriver(env, make_store(kind, env))
    keys = QueueKeys("bench")
    fields = enqueue_fields(JobOptions(remove_on_complete=True))
    spent = dict.fromkeys(QUEUE_STEPS, 0.0)

    def worker() -> Generator[Any, Any, None]:
        clock = time.process_time
        for i in range(jobs):
            now = driver.now_ms()
            t0 = clock()
            yield from driver.run(conv.enqueue(keys, 1000, now, [(f'{{"n":{i}}}', fields)]))
            t1 = clock()
            got = yield from driver.run(conv.fetch(keys, 1000, now, 1, lease_ms=30_000, token_prefix="w",
                                                   stall_interval_ms=5000, max_stalls=1))
            t2 = clock()
            outcomes = [conv.Outcome(j.id, j.token, "complete", "null") for j in got.jobs]
            yield from driver.run(conv.finish(keys, 1000, now, outcomes))
            t3 = clock()
            spent["enqueue"] += t1 - t0
            spent["claim"] += t2 - t1
            spent["finish"] += t3 - t2
            yield env.timeout(0.001)

    env.process(worker())
    env.run()
    return {step: total / jobs for step, total in spent.items()}


def run_once(kind: str, conv_name: str, network: str, server: bool, steps: int) -> float:
    """Wall seconds per conversation step."""
    conv, per = CONVERSATIONS[conv_name]
    env = simpy.Environment()
    streams = RandomStreams(1)
    net = Network.exponential(0.001, streams["network"]) if network == "exp" else Network.zero()
    srv = Server(env, service_time=20e-6) if server else None
    driver = SimDriver(env, make_store(kind, env), network=net, server=srv)
    n_conv = steps // per

    def client() -> Generator[Any, Any, None]:
        # one client at a time, back to back: no contention, so every kind sends `per` steps
        for _ in range(n_conv):
            yield from driver.run(conv("counter"))

    env.process(client())
    start = time.process_time()
    env.run()
    elapsed = time.process_time() - start
    return elapsed / driver.stats.round_trips


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=6000, help="steps per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="repeats; the best is kept")
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per queue measurement (a tenth on fakeredis)")
    parser.add_argument("--queue-only", action="store_true", help="only the queue scripts and the minimal model")
    args = parser.parse_args()

    print("CPU time of this process, best of", args.repeat)
    print(f"{'store':9} {'conversation':12} {'network':8} {'server':7} {'steps/s':>10} {'µs/step':>9}")
    for conv_name in () if args.queue_only else CONVERSATIONS:
        for network, server in (("zero", False), ("exp", False), ("exp", True)):
            kinds = STORES
            fastest = dict.fromkeys(kinds, float("inf"))
            for _ in range(args.repeat):
                for kind in kinds:
                    fastest[kind] = min(fastest[kind], run_once(kind, conv_name, network, server, args.steps))
            for kind, per_step in fastest.items():
                print(
                    f"{kind:9} {conv_name:12} {network:8} {'on' if server else 'off':7} "
                    f"{1 / per_step:10.0f} {per_step * 1e6:9.1f}"
                )
        print()

    jobs = 20_000

    def minimal() -> float:
        start = time.process_time()
        simulate_mmc_minimal(0.9, 1.0, 1, jobs, seed=1)
        return (time.process_time() - start) / jobs

    per_job = best(minimal, args.repeat)
    print(f"minimal SimPy M/M/1 model: {1 / per_job:10.0f} jobs/s  {per_job * 1e6:7.1f} µs/job  (CPU time)")
    print()

    print("queue scripts through SimDriver, CPU-µs per step, best of", args.repeat)
    print(f"{'store':9} " + " ".join(f"{s:>9}" for s in QUEUE_STEPS) + f" {'per job':>9} {'vs model':>9}")
    for kind in ("simstore", "direct", "fast", "fastjit"):
        jobs = args.jobs if kind.startswith("fast") else max(1, args.jobs // 10)
        best_steps = dict.fromkeys(QUEUE_STEPS, float("inf"))
        for _ in range(args.repeat):
            for step, value in queue_steps(kind, jobs).items():
                best_steps[step] = min(best_steps[step], value)
        total = sum(best_steps.values())
        cells = " ".join(f"{best_steps[s] * 1e6:9.1f}" for s in QUEUE_STEPS)
        print(f"{kind:9} {cells} {total * 1e6:9.1f} {total / per_job:8.1f}x")


if __name__ == "__main__":
    main()
