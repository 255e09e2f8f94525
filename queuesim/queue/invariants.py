"""A consistency check of a queue's keys: every job in exactly one state index, and the right one."""

from __future__ import annotations

import json
from typing import Any

from queuesim.drivers import Batch, Conversation, SyncDriver, text
from queuesim.queue.conversations import STATES
from queuesim.queue.keys import QueueKeys

__all__ = ["check_invariants", "invariant_problems"]


def check_invariants(client: Any, keys: QueueKeys) -> list[str]:
    """The problems found in a queue's keys (an empty list when it is consistent), read with ``client``."""
    return SyncDriver(client).run(invariant_problems(keys))


def invariant_problems(keys: QueueKeys) -> Conversation[list[str]]:
    """The problems found in a queue's keys (an empty list when it is consistent).

    Checked: each stored job is in exactly one state index and that index
    matches its recorded state; each indexed id has a record; every active job
    holds a lease token and every lease belongs to an active job.
    Run it on a quiet queue (no worker mid-step) or inside a test (one
    non-atomic round trip reads everything).
    """
    replies = yield Batch.of([("HGETALL", keys.jobs), *(("ZRANGE", keys.state(s), 0, -1) for s in STATES)])
    problems: list[str] = []
    raw = replies[0]
    items = raw.items() if isinstance(raw, dict) else zip(raw[::2], raw[1::2], strict=True)
    records = {text(k): json.loads(v) for k, v in items}
    where: dict[str, list[str]] = {}
    for state, members in zip(STATES, replies[1:], strict=True):
        for member in members:
            where.setdefault(text(member), []).append(state)
    for job_id, record in records.items():
        states = where.get(job_id, [])
        if len(states) != 1:
            problems.append(f"job {job_id} ({record.get('state')}) is in {len(states)} indexes: {states}")
        elif states[0] != record.get("state"):
            problems.append(f"job {job_id} is recorded {record.get('state')!r} but indexed {states[0]!r}")
    for job_id, states in where.items():
        if job_id not in records:
            problems.append(f"id {job_id} is indexed in {states} but has no record")
    for job_id, record in records.items():
        if record.get("state") == "active" and not record.get("token"):
            problems.append(f"active job {job_id} holds no lease")
        elif record.get("state") != "active" and "token" in record:
            problems.append(f"lease on job {job_id}, which is not active")
    return problems


def where_state(where: dict[str, list[str]], state: str) -> list[str]:
    """Ids indexed in ``state``."""
    return [job_id for job_id, states in where.items() if state in states]
