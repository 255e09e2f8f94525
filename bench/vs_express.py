"""Benchmark: queuesim's stock service against the course's Express service, side by side.

Starts two private ``redis-server`` s on free loopback ports, the course's
``9-stock.js`` re-created in ``bench/express/`` (express 4, the callback redis
client, GET then SET; ``npm ci`` installs it on first use) on one and
``queuesim serve stock`` on the other, and loads ``GET /reserve_product/1``
(stock 10⁹, so every request reserves) with ``wrk`` (installed with
``apt-get`` if missing and allowed), 64 connections for 8 s, alternating
Express and queuesim (A B A B by default). It prints req/s, p50 and p99 of
each run, then the ratio queuesim ÷ Express of the medians.

Then the race: with the stock back at 4 units, 200 buyers each open a
connection, and all send ``GET /reserve_product/1`` at once; it prints how many
were confirmed and how many units were oversold (confirmed − 4) on each server.

Everything listens on 127.0.0.1 only.

    python bench/vs_express.py                       # one uvicorn worker
    python bench/vs_express.py --workers 1 2         # also queuesim serve stock --workers 2
    python bench/vs_express.py --rounds 3 --duration 10 --json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from stock_http import Figures, free_port, run_wrk, wait_ready

EXPRESS_DIR = Path(__file__).with_name("express")
BIG_STOCK = 10**9
PATH = "/reserve_product/1"


@dataclass
class Run:
    server: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    #: CPU time the server's processes spent per request (µs): steadier than req/s on a shared machine
    cpu_us: float


@dataclass
class Race:
    server: str
    buyers: int
    stock: int
    confirmed: int
    refused: int
    other: int
    final_stock: str | None

    @property
    def oversold(self) -> int:
        return max(0, self.confirmed - self.stock)


def ensure_wrk() -> None:
    """wrk on PATH, installed from Debian's packages when missing and this process may."""
    if shutil.which("wrk"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("installing wrk (apt-get install wrk) ...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: install it (apt-get install wrk) and run again")


def ensure_express() -> None:
    """``npm ci`` in bench/express/ unless node_modules matches the lockfile already."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise SystemExit("Node.js and npm are needed for the Express service")
    lock = (EXPRESS_DIR / "package-lock.json").read_bytes()
    stamp = EXPRESS_DIR / "node_modules" / ".queuesim-lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing the Express service's packages (npm ci) ...", file=sys.stderr)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXPRESS_DIR, check=True,
                   stdout=subprocess.DEVNULL)
    stamp.write_text(digest)


@contextmanager
def private_redis() -> Iterator[int]:
    """A redis-server of our own on a free loopback port, nothing saved to disk; yields its port."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="vs-express-redis-") as folder:
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            client = redis.Redis(port=port)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"redis-server did not start on port {port}") from None
                    time.sleep(0.05)
            client.close()
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) of every live process in process group ``group``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == group:  # pgrp; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total / tick


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[tuple[str, int]]:
    """Run ``command`` (in a process group of its own) until the block ends; yields (base URL, group)."""
    proc = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        yield base, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def _buy(port: int, gate: asyncio.Event, opened: list[int]) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened.append(1)
    await gate.wait()
    writer.write(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def _race(port: int, buyers: int) -> list[tuple[int, bytes]]:
    """``buyers`` connections opened first, then every request sent at once."""
    gate = asyncio.Event()
    opened: list[int] = []
    tasks = [asyncio.create_task(_buy(port, gate, opened)) for _ in range(buyers)]
    while len(opened) < buyers:
        await asyncio.sleep(0.01)
    gate.set()
    return await asyncio.gather(*tasks)


def race(name: str, port: int, redis_port: int, buyers: int, stock: int) -> Race:
    client = redis.Redis(port=redis_port, decode_responses=True)
    client.set("item.1", stock)
    answers = asyncio.run(_race(port, buyers))
    time.sleep(0.5)  # Express sends its SET without waiting for it
    final = client.get("item.1")
    client.set("item.1", BIG_STOCK)
    client.close()
    confirmed = sum(1 for _, body in answers if b"Reservation confirmed" in body)
    refused = sum(1 for _, body in answers if b"Not enough stock" in body)
    return Race(name, buyers, stock, confirmed, refused, len(answers) - confirmed - refused, final)


def load(name: str, base: str, group: int, connections: int, duration: float, rnd: int) -> Run:
    cpu = group_cpu_seconds(group)
    f: Figures = run_wrk(base + PATH, connections, duration)
    cpu_us = (group_cpu_seconds(group) - cpu) / max(1, f.requests) * 1e6
    return Run(name, rnd, f.rps, f.p50_ms, f.p99_ms, f.requests, f.non_2xx, cpu_us)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of runs, one per server each (default 2)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring (default 2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], metavar="N",
                        help="queuesim serve stock --workers N; several values run one server each (default 1)")
    parser.add_argument("--buyers", type=int, default=200, help="concurrent buyers in the race (default 200)")
    parser.add_argument("--race-stock", type=int, default=4, help="units on sale in the race (default 4)")
    parser.add_argument("--no-express", action="store_true", help="measure queuesim only")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    ensure_wrk()
    if not args.no_express:
        ensure_express()
    names = ([] if args.no_express else ["express"]) + [_name(w) for w in args.workers]
    runs: list[Run] = []
    with ExitStack() as stack:
        bases: dict[str, str] = {}
        groups: dict[str, int] = {}
        redis_ports: dict[str, int] = {}
        for name in names:
            redis_port = redis_ports[name] = stack.enter_context(private_redis())
            redis.Redis(port=redis_port).set("item.1", BIG_STOCK)
            port = free_port()
            if name == "express":
                command = ["node", str(EXPRESS_DIR / "9-stock.js")]
                env = {"PORT": str(port), "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)}
            else:
                command = [sys.executable, "-m", "queuesim", "serve", "stock", "--host", "127.0.0.1",
                           "--port", str(port), "--redis", f"redis://127.0.0.1:{redis_port}/0",
                           "--workers", name.partition("-w")[2] or "1"]
                env = {}
            bases[name], groups[name] = stack.enter_context(server(command, env, port))
        if not args.json:
            print(f"GET {PATH}, {args.connections} connections, {args.duration:g} s per run, wrk -t1, "
                  f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before")
        for name in names:
            run_wrk(bases[name] + PATH, args.connections, args.warmup)
        for rnd in range(1, args.rounds + 1):
            for name in names:
                run = load(name, bases[name], groups[name], args.connections, args.duration, rnd)
                runs.append(run)
                if args.json:
                    print(json.dumps({"metric": "http", **asdict(run)}))
                else:
                    print(f"  round {rnd} {name:12} {run.rps:8.0f} req/s   p50 {run.p50_ms:6.2f} ms   "
                          f"p99 {run.p99_ms:6.2f} ms   non-2xx {run.non_2xx}   CPU {run.cpu_us:5.0f} µs/request")
        for name in names:
            result = race(name, int(bases[name].rsplit(":", 1)[1]), redis_ports[name], args.buyers, args.race_stock)
            if args.json:
                print(json.dumps({"metric": "race", **asdict(result), "oversold": result.oversold}))
            else:
                print(f"  race {name:12} {result.buyers} buyers of {result.stock} units: confirmed "
                      f"{result.confirmed}, refused {result.refused}, other {result.other}, oversold "
                      f"{result.oversold}, stock left {result.final_stock}")
    summarize(names, runs, args.json)
    return 0


def _name(workers: int) -> str:
    return "queuesim" if workers == 1 else f"queuesim-w{workers}"


def summarize(names: list[str], runs: list[Run], as_json: bool) -> None:
    """Medians per server, each queuesim's ratios to Express, and a server's scaling over one worker."""
    med = {n: {k: statistics.median(getattr(r, k) for r in runs if r.server == n)
               for k in ("rps", "p50_ms", "p99_ms", "cpu_us")} for n in names}
    ratios: dict[str, dict[str, float]] = {}
    for n in names:
        if n == "express":
            continue
        if "express" in med:
            ratios[n] = {"rps_vs_express": med[n]["rps"] / med["express"]["rps"],
                         "p99_vs_express": med[n]["p99_ms"] / med["express"]["p99_ms"]}
        if n != "queuesim" and "queuesim" in med:
            ratios.setdefault(n, {})["rps_vs_one_worker"] = med[n]["rps"] / med["queuesim"]["rps"]
    if as_json:
        print(json.dumps({"metric": "summary", "median": med, "ratios": ratios, "load_average": os.getloadavg()[0]}))
        return
    for n in names:
        print(f"  median {n:12} {med[n]['rps']:8.0f} req/s   p50 {med[n]['p50_ms']:6.2f} ms   "
              f"p99 {med[n]['p99_ms']:6.2f} ms   CPU {med[n]['cpu_us']:5.0f} µs/request")
    for n, r in ratios.items():
        parts = []
        if "rps_vs_express" in r:
            parts.append(f"req/s {r['rps_vs_express']:.2f}× Express's (target ≥ 1), "
                         f"p99 {r['p99_vs_express']:.2f}× (target ≤ 1)")
        if "rps_vs_one_worker" in r:
            parts.append(f"{r['rps_vs_one_worker']:.2f}× one worker's req/s")
        print(f"  {n}: " + "; ".join(parts))
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
