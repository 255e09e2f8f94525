"""Simulation cost per job in machine instructions: the real-logic queue scenario against the minimal SimPy model.

``bench/sim_speed.py`` times both models, and on a machine shared with other work its
figures move by ±20 % from one run to the next (the ratio between 20 and 29 for the same
code in one hour). This benchmark counts instructions instead, under valgrind's
callgrind: the same code gives the same count whatever else the machine runs. Each model
runs twice in a fresh interpreter, with ``--low`` and ``--high`` jobs; the difference of
the two counts divided by the difference of the job counts is the cost of one job, with
the interpreter's start, the imports and the first script loads left out.

    .venv/bin/python bench/sim_instructions.py [--low 200] [--high 1200] [--minimal-high 5200] [--cache-sim]

``--cache-sim`` also simulates the caches (callgrind's ``--cache-sim=yes``, about twice as slow)
and prints estimated cycles per job: instructions plus 10 per first-level cache miss and 100 per
last-level miss (KCachegrind's estimate), which counts the memory traffic an instruction count
leaves out; a simulated cache, so also the same whatever else the machine runs. The four runs go
on as many processes as there are cores.

An instruction count is a proxy for time, not time. It leaves out cache misses (which
``--cache-sim`` adds back, as far as a simulated cache can: they do not weigh more on the
real logic than on the minimal model) and branch mispredictions; on this project's machine
the time ratio is about twice the instruction ratio. Compare two versions of the code by
running this script with each version's interpreter (``path/to/checkout/.venv/bin/python
bench/sim_instructions.py``: the child runs take ``sys.executable``, so they import that
checkout's queuesim); runs of the same code differ by up to about 0.6 %.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

_EVENTS = re.compile(r"Events\s*:\s*(.+)")
_COLLECTED = re.compile(r"Collected\s*:\s*(.+)")
#: KCachegrind's cycle estimate: a first-level miss costs 10 cycles, a last-level miss 100
_FIRST_LEVEL_MISSES = ("I1mr", "D1mr", "D1mw")
_LAST_LEVEL_MISSES = ("ILmr", "DLmr", "DLmw")


def _child(model: str, jobs: int) -> None:
    from queuesim.sim.baseline import simulate_mmc_minimal
    from queuesim.sim.queue_scenario import QueueConfig, run_queue_replication

    if model == "minimal":
        simulate_mmc_minimal(1.6, 1.0, 2, jobs, seed=1)
    else:
        run_queue_replication(QueueConfig(1.6, 1.0, 2, jobs=jobs, warmup=jobs // 10), seed=1)


def _counts(valgrind: str, model: str, jobs: int, cache_sim: bool) -> dict[str, int]:
    """Callgrind's event totals for one fresh interpreter simulating ``jobs`` jobs of ``model``
    (imports included): ``Ir`` (instructions) and, with ``cache_sim``, the cache misses."""
    command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={os.devnull}",
               *(["--cache-sim=yes"] if cache_sim else []), sys.executable, __file__, "--child", model, str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    names, values = _EVENTS.search(done.stderr), _COLLECTED.search(done.stderr)
    if done.returncode != 0 or names is None or values is None:
        raise SystemExit(f"valgrind failed on {model} {jobs}: {done.stderr.strip().splitlines()[-1:]}")
    return dict(zip(names.group(1).split(), map(int, values.group(1).split()), strict=True))


def _estimated_cycles(counts: dict[str, int]) -> int:
    return (counts["Ir"] + 10 * sum(counts[e] for e in _FIRST_LEVEL_MISSES)
            + 100 * sum(counts[e] for e in _LAST_LEVEL_MISSES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--low", type=int, default=200, help="real-logic jobs of the short run")
    parser.add_argument("--high", type=int, default=1200, help="real-logic jobs of the long run")
    parser.add_argument("--minimal-low", type=int, default=200, help="minimal-model jobs of the short run")
    parser.add_argument("--minimal-high", type=int, default=5200, help="minimal-model jobs of the long run")
    parser.add_argument("--cache-sim", action="store_true", help="also estimate cycles from simulated caches")
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if not 0 < args.low < args.high or not 0 < args.minimal_low < args.minimal_high:
        parser.error("each --low must be positive and below its --high")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    runs = [("minimal", args.minimal_low), ("minimal", args.minimal_high), ("real", args.low), ("real", args.high)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counted = list(pool.map(lambda run: _counts(valgrind, *run, args.cache_sim), runs))
    measures = {"instructions": lambda c: c["Ir"]}
    if args.cache_sim:
        measures["estimated_cycles"] = _estimated_cycles
    result: dict[str, object] = {"metric": "sim_instructions", "model": "M/M/2", "arrival_rate": 1.6,
                                 "service_rate": 1.0}
    for name, measure in measures.items():
        minimal = (measure(counted[1]) - measure(counted[0])) / (args.minimal_high - args.minimal_low)
        real = (measure(counted[3]) - measure(counted[2])) / (args.high - args.low)
        result |= {f"minimal_{name}_per_job": round(minimal), f"real_logic_{name}_per_job": round(real),
                   f"cost_ratio_{name}": round(real / minimal, 2)}
    print(json.dumps(result))

if __name__ == "__main__":
    main()
