"""Handlers the worker-command tests run (imported by name by ``queuesim worker``, so module-level)."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any


def slow(job: Any) -> dict[str, Any]:
    """Marks its start and its end in Redis lists, with ~50 ms of work between (a job that can be half-done)."""
    client = job.queue.client
    client.rpush("started", job.id)
    time.sleep(0.05)
    client.rpush("done", job.id)
    return {"pid": os.getpid()}


def nap(job: Any) -> int:
    """20 ms of work between a progress report and a log line (both wait for Redis while it is down)."""
    job.progress(0, 1)
    time.sleep(0.02)
    job.log("napped")
    return int(job.data)


def held(job: Any) -> Any:
    """Marks its start (``held-started``), then waits until the test pushes to ``release:<id>``."""
    client = job.queue.client
    client.rpush("held-started", job.id)
    client.blpop([f"release:{job.id}"], timeout=60)
    return job.data


async def async_held(job: Any) -> Any:
    """:func:`held` as asyncio tasks."""
    client = job.queue.client
    await client.rpush("held-started", job.id)
    await client.blpop([f"release:{job.id}"], timeout=60)
    return job.data


def email(job: Any) -> str:
    """The documented example's handler: "refuse" fails as an SMTP server would."""
    if job.data == "refuse":
        raise RuntimeError("SMTP refused")
    return "sent"


def quick(job: Any) -> Any:
    return job.data


def fail(job: Any) -> None:
    raise ValueError(f"cannot handle {job.data}")


async def async_quick(job: Any) -> Any:
    await asyncio.sleep(0)
    return job.data


def hang(job: Any) -> str:
    """Sleeps far past any test's TTL unless the job's data says otherwise."""
    time.sleep(float(job.data.get("sleep", 3600)) if isinstance(job.data, dict) else 3600)
    return "woke"





def hang_and_tell(job: Any) -> str:
    """Records the process it runs in (``horse-pids``), then sleeps ``job.data["sleep"]`` seconds."""
    job.queue.client.rpush("horse-pids", os.getpid())
    time.sleep(float(job.data["sleep"]))
    return "woke"
NOT_CALLABLE = 42
