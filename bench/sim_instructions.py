"""Simulation cost per job in machine instructions: the real-logic queue scenario against the minimal SimPy model.

``bench/sim_speed.py`` times both models, and on a machine shared with other work its
figures move by ±20 % from one run to the next (the ratio between 20 and 29 for the same
code in one hour). This benchmark counts instructions instead, under valgrind's
callgrind: the same code gives the same count whatever else the machine runs. Each model
runs twice in a fresh interpreter, with ``--low`` and ``--high`` jobs; the difference of
the two counts divided by the difference of the job counts is the cost of one job, with
the interpreter's start, the imports and the first script loads left out.

    .venv/bin/python bench/sim_instructions.py [--low 200] [--high 1200] [--minimal-high 5200]

An instruction count is a proxy for time, not time: it leaves out cache misses and memory
stalls, which weigh more on the real logic (a larger working set) than on the minimal
model. Compare two versions of the code by running this script in each checkout (or with
``PYTHONPATH`` pointing at each); the counts differ by a few hundredths of a percent
between runs of the same code (address-dependent hashing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _child(model: str, jobs: int) -> None:
    from queuesim.sim.baseline import simulate_mmc_minimal
    from queuesim.sim.queue_scenario import QueueConfig, run_queue_replication

    if model == "minimal":
        simulate_mmc_minimal(1.6, 1.0, 2, jobs, seed=1)
    else:
        run_queue_replication(QueueConfig(1.6, 1.0, 2, jobs=jobs, warmup=jobs // 10), seed=1)


def _instructions(valgrind: str, model: str, jobs: int) -> int:
    """Instructions one fresh interpreter runs to simulate ``jobs`` jobs of ``model`` (imports included)."""
    command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={os.devnull}",
               sys.executable, __file__, "--child", model, str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed on {model} {jobs}: {done.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--low", type=int, default=200, help="real-logic jobs of the short run")
    parser.add_argument("--high", type=int, default=1200, help="real-logic jobs of the long run")
    parser.add_argument("--minimal-low", type=int, default=200, help="minimal-model jobs of the short run")
    parser.add_argument("--minimal-high", type=int, default=5200, help="minimal-model jobs of the long run")
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
    per_job = {}
    for model, low, high in (("minimal", args.minimal_low, args.minimal_high), ("real", args.low, args.high)):
        counts = [_instructions(valgrind, model, n) for n in (low, high)]
        per_job[model] = (counts[1] - counts[0]) / (high - low)
    print(json.dumps({
        "metric": "sim_instructions", "model": "M/M/2", "arrival_rate": 1.6, "service_rate": 1.0,
        "minimal_instructions_per_job": round(per_job["minimal"]),
        "real_logic_instructions_per_job": round(per_job["real"]),
        "cost_ratio_instructions": round(per_job["real"] / per_job["minimal"], 2),
    }))


if __name__ == "__main__":
    main()
