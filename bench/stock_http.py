"""Benchmark: requests/s and latency of ``GET /reserve_product/1`` on one uvicorn worker.

Starts ``queuesim serve stock`` against a real Redis (``--redis`` or ``REDIS_URL``;
the database's ``item.1`` key is overwritten), gives item 1 a large stock so
that (nearly) every request confirms, then loads it with ``wrk`` (if installed:
``apt-get install wrk``) or else with an ``httpx.AsyncClient`` running in this
process (which then competes with the server for CPU). It prints requests/s,
p50 and p99 latency, and checks that the stock went down by exactly the number
of confirmations.

    python bench/stock_http.py --redis redis://127.0.0.1:6379/2
    python bench/stock_http.py --io both --strategy atomic --duration 10 --connections 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
import redis

from queuesim.stock import StockService

STOCK = 10**9


@dataclass
class Figures:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 20.0, path: str = "/list_products") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(f"{base}{path}", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the server did not become ready")


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


def run_wrk(url: str, connections: int, duration: float) -> Figures:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not (p50 and p99 and total):
        raise SystemExit(f"could not read wrk's output:\n{out}")
    seconds = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    return Figures(
        "wrk",
        int(total.group(1)),
        seconds,
        _ms(p50.group(1)),
        _ms(p99.group(1)),
        int(bad.group(1)) if bad else 0,
    )


async def _httpx_load(url: str, connections: int, duration: float) -> Figures:
    latencies: list[float] = []
    non_2xx = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        stop = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal non_2xx
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - t0) * 1e3)
                if response.status_code >= 300:
                    non_2xx += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return Figures("httpx", len(latencies), seconds, cuts[49], cuts[98], non_2xx)


def bench(url: str, io: str, strategy: str, connections: int, duration: float, tool: str) -> Figures:
    client = redis.Redis.from_url(url, decode_responses=True)
    StockService(client).reset(STOCK, item_id=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "queuesim",
            "serve",
            "stock",
            "--port",
            str(port),
            "--redis",
            url,
            "--io",
            io,
            "--strategy",
            strategy,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(base, proc)
        target = f"{base}/reserve_product/1"
        if tool == "wrk":
            run_wrk(target, connections, 2)  # warm-up
        else:
            asyncio.run(_httpx_load(target, connections, 2))
        before = StockService(client).current_quantity(1)
        if tool == "wrk":
            figures = run_wrk(target, connections, duration)
        else:
            figures = asyncio.run(_httpx_load(target, connections, duration))
        after = StockService(client).current_quantity(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    client.close()
    assert before is not None
    assert after is not None
    print(
        f"  check: stock fell by {before - after} during the run, {figures.requests - figures.non_2xx} "
        f"confirmations counted (wrk does not count replies still in flight at the end); "
        f"server exit status {proc.returncode}"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL"), help="real Redis URL (default REDIS_URL)"
    )
    parser.add_argument("--io", choices=["async", "sync", "both"], default="both")
    parser.add_argument("--strategy", choices=["atomic", "watch", "naive"], default="atomic")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    args = parser.parse_args()
    if not args.redis:
        parser.error("needs a real Redis: pass --redis URL or set REDIS_URL")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    kinds = ["async", "sync"] if args.io == "both" else [args.io]
    print(
        f"GET /reserve_product/1, strategy {args.strategy}, {args.connections} connections, "
        f"{args.duration:g} s, load from {tool}, {os.cpu_count()} CPUs"
    )
    for io in kinds:
        f = bench(args.redis, io, args.strategy, args.connections, args.duration, tool)
        print(
            f"  io={io:5}  {f.rps:8.0f} req/s   p50 {f.p50_ms:6.2f} ms   p99 {f.p99_ms:6.2f} ms   "
            f"non-2xx {f.non_2xx}   ({f.requests} requests)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
