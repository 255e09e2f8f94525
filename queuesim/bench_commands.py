"""``queuesim bench queue``: measure the queue on your own Redis."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``queuesim bench`` to the command line."""
    bench = sub.add_parser("bench", help="benchmarks (figures for your machine and your Redis)")
    kinds = bench.add_subparsers(dest="bench_kind", metavar="KIND", required=True)
    q = kinds.add_parser("queue", help="enqueue, bulk enqueue, processing, latency, round trips per job")
    q.add_argument("--redis", metavar="URL", help="server to measure (default: REDIS_URL, else the embedded store)")
    q.add_argument("--jobs", type=int, default=10_000, help="jobs per throughput measurement (default 10000)")
    q.add_argument("--concurrency", type=int, action="append",
                   help="worker concurrency; repeat for several (default 1, 10 and 50)")
    q.add_argument("--latency-samples", type=int, default=1000, help="latency samples (default 1000)")
    q.add_argument("--metric", action="append", choices=["enqueue", "enqueue_bulk", "process", "latency"],
                   help="run only these measurements (repeatable)")
    q.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    q.set_defaults(func=_run_queue)


def _run_queue(args: argparse.Namespace) -> int:
    from queuesim.benchmark import bench_queue, format_table, to_json_line
    from queuesim.connection import connect, mask_url, redis_url

    if args.jobs < 1 or args.latency_samples < 1 or any(c < 1 for c in args.concurrency or []):
        print("queuesim bench: --jobs, --latency-samples and --concurrency must be >= 1", file=sys.stderr)
        return 2
    url = redis_url(args.redis)
    client = connect(url)
    where = mask_url(url) if url else "the embedded store (fakeredis; start a real Redis for real figures)"
    print(f"# queue benchmark on {where}", file=sys.stderr)
    results = []
    for result in bench_queue(
        client, url=url, jobs=args.jobs, concurrencies=tuple(args.concurrency or (1, 10, 50)),
        latency_samples=args.latency_samples,
        metrics=tuple(args.metric or ("enqueue", "enqueue_bulk", "process", "latency")),
        progress=lambda m: print(f"# {m} ...", file=sys.stderr, flush=True),
    ):
        results.append(result)
        if args.json:
            print(to_json_line(result), flush=True)
    if not args.json:
        print(format_table(results))
    return 0
