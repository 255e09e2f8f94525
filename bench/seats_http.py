"""Benchmark: requests/s and latency of ``GET /reserve_seat`` on one uvicorn worker.

Starts ``queuesim serve seats`` against a real Redis (``--redis`` or ``REDIS_URL``;
the database's ``available_seats``, ``reservation_enabled`` and ``reserve_seat``
queue keys are overwritten), gives it 10⁹ seats so that every request is accepted,
then loads ``/reserve_seat`` with ``wrk`` (if installed) or an in-process
``httpx.AsyncClient`` (the load tools of ``bench/stock_http.py``). Each request
reads the switch and saves a job (two round trips), and answers 202 only once
the job is saved.

Two cases: ``saving`` (no worker: jobs pile up in the queue) and ``processing``
(``GET /process`` first: the server's own worker reserves the seats while the
requests come in, on the same CPUs). It checks that every accepted request saved
one job, and that the seats fell by exactly the jobs completed.

    python bench/seats_http.py --redis redis://127.0.0.1:6379/2
    python bench/seats_http.py --io async --case processing --duration 10 --connections 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys

import httpx
import redis
from stock_http import Figures, _httpx_load, free_port, run_wrk, wait_ready

from queuesim.queue import Queue
from queuesim.seat_jobs import QUEUE_NAME
from queuesim.seats import SeatService

SEATS = 10**9


def bench(url: str, io: str, case: str, concurrency: int, connections: int, duration: float, tool: str) -> Figures:
    client = redis.Redis.from_url(url, decode_responses=True)
    queue = Queue(QUEUE_NAME, redis=client)
    for key in client.scan_iter(match="qs:{reserve_seat}:*"):
        client.delete(key)
    SeatService(client).reset(SEATS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "queuesim", "serve", "seats", "--port", str(port), "--redis", url,
               "--io", io, "--concurrency", str(concurrency)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, proc, path="/available_seats")
        if case == "processing":
            httpx.get(f"{base}/process").raise_for_status()
        target = f"{base}/reserve_seat"
        load = (lambda d: run_wrk(target, connections, d)) if tool == "wrk" else (
            lambda d: asyncio.run(_httpx_load(target, connections, d)))
        load(2)  # warm-up
        saved_before = int(client.get(queue.keys.id) or 0)
        figures = load(duration)
        saved = int(client.get(queue.keys.id) or 0) - saved_before
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    counts = queue.counts()
    left = SeatService(client).available_seats()
    client.close()
    print(
        f"  check: {saved} jobs saved during the run, {figures.requests - figures.non_2xx} accepted replies counted "
        f"(wrk does not count replies still in flight at the end); {counts['complete']} jobs completed, "
        f"seats fell by {SEATS - left}; {counts['failed']} failed; server exit status {proc.returncode}"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="real Redis URL (default REDIS_URL)")
    parser.add_argument("--io", choices=["async", "sync", "both"], default="both")
    parser.add_argument("--case", choices=["saving", "processing", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=1, help="the server worker's threads")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    args = parser.parse_args()
    if not args.redis:
        parser.error("needs a real Redis: pass --redis URL or set REDIS_URL")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    kinds = ["async", "sync"] if args.io == "both" else [args.io]
    cases = ["saving", "processing"] if args.case == "both" else [args.case]
    print(
        f"GET /reserve_seat, {args.connections} connections, {args.duration:g} s, load from {tool}, "
        f"{os.cpu_count()} CPUs, worker concurrency {args.concurrency}"
    )
    for case in cases:
        for io in kinds:
            f = bench(args.redis, io, case, args.concurrency, args.connections, args.duration, tool)
            print(
                f"  {case:10} io={io:5}  {f.rps:8.0f} req/s   p50 {f.p50_ms:6.2f} ms   p99 {f.p99_ms:6.2f} ms   "
                f"non-2xx {f.non_2xx}   ({f.requests} requests)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
