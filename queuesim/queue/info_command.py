"""``queuesim info``: the queues and the live workers, as ``rq info`` shows them (``--json`` for scripts).

Each queue: its jobs per state, whether it is paused, its totals and how many
jobs completed and failed over the last minute. Each live worker (from the
registry its heartbeats keep): its queue, host and pid, state, the jobs it runs
and since when, and its runs that completed and failed (runs, not jobs: a job that
failed twice and then completed is two failed runs and one ok). ``--watch`` refreshes every few seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from queuesim.queue.overview import Overview

__all__ = ["format_overview", "register"]


def _ago(ms: int) -> str:
    seconds = max(0, ms) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def format_overview(seen: Overview) -> str:
    """The overview as a few aligned tables (what ``queuesim info`` prints)."""
    when = datetime.fromtimestamp(seen.at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"queues under prefix {seen.prefix!r} at {when}"]
    if not seen.queues:
        lines.append("  (no queues)")
    else:
        header = ("queue", "waiting", "active", "delayed", "complete", "failed", "paused", "done/min",
                  "failed/min", "workers")
        rows = [header] + [
            (q.name, str(q.counts["inactive"]), str(q.counts["active"]), str(q.counts["delayed"]),
             str(q.counts["complete"]), str(q.counts["failed"]), "yes" if q.paused else "no",
             str(q.completed_last_minute), str(q.failed_last_minute), str(q.workers))
            for q in seen.queues
        ]
        lines += _table(rows)
    lines.append(f"{len(seen.workers)} worker{'' if len(seen.workers) == 1 else 's'}")
    if seen.workers:
        # runs, not jobs: a job retried twice is three runs (the queue's "failed" counts jobs)
        header = ("worker", "queue", "host", "pid", "state", "kind", "running", "up", "runs ok", "runs failed")
        rows = [header]
        for w in seen.workers:
            running = ", ".join(f"{job_id} ({_ago(seen.at - since)})" for job_id, since in w.jobs) or "-"
            rows.append((w.id, w.queue, w.host, str(w.pid), w.state, f"{w.concurrency} {w.kind}", running,
                         _ago(seen.at - w.started_at), str(w.completed), str(w.failed)))
        lines += _table(rows)
    return "\n".join(lines)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    numeric = [all(r[i].isdigit() for r in rows[1:]) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def register(sub: Any) -> None:
    """Add ``queuesim info`` to the command line."""
    p = sub.add_parser("info", help="the queues and the live workers (counts, rates, who runs what)",
                       description="Show every queue under the prefix and every live worker, as rq info does.")
    p.add_argument("--redis", metavar="URL", help="the Redis server (default: REDIS_URL)")
    p.add_argument("--prefix", default="qs", help="the queues' key prefix (default qs)")
    p.add_argument("--json", action="store_true", help="one JSON object (per refresh with --watch)")
    p.add_argument("--watch", nargs="?", const=2.0, type=_interval, metavar="SECONDS",
                   help="refresh every SECONDS (default 2) until Ctrl-C")
    p.set_defaults(func=_run, needs_a_server=True)


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--watch takes seconds, not {text!r}") from None
    if not value >= 0.1:
        raise argparse.ArgumentTypeError(f"--watch must be at least 0.1 s, not {text}")
    return value


def _run(args: argparse.Namespace) -> int:
    from queuesim.connection import connect, redis_url
    from queuesim.drivers import SyncDriver
    from queuesim.queue.core import check_name, wall_clock_ms
    from queuesim.queue.overview import overview

    try:
        check_name(args.prefix)
    except ValueError as exc:
        print(f"queuesim info: {exc}", file=sys.stderr)
        return 2
    url = redis_url(args.redis)
    if url is None:
        print("queuesim info: no Redis server given: pass --redis URL or set REDIS_URL", file=sys.stderr)
        return 2
    driver = SyncDriver(connect(url))
    out: TextIO = sys.stdout
    try:
        while True:
            seen = driver.run(overview(args.prefix, wall_clock_ms()))
            if args.json:
                print(json.dumps(seen.to_dict()), file=out, flush=True)
            else:
                if args.watch and out.isatty():
                    out.write("\x1b[2J\x1b[H")  # clear the terminal: a refreshing view
                print(format_overview(seen), file=out, flush=True)
            if not args.watch:
                return 0
            time.sleep(args.watch)
    except KeyboardInterrupt:
        return 0
    finally:
        driver.client.close()
