"""Glue between queuesim and the peer benchmark harness (shared/peers/py_queuesim.py).

Run the harness with, from the project root:

    QUEUESIM_PYTHON=.venv/bin/python QUEUESIM_ADAPTER=bench/peers_adapter.py \
      BENCH_SYSTEMS="baseline py-queuesim py-bullmq node-bullmq node-bee-queue node-kue" \
      ../shared/peers/run_all.sh 20000
"""

from __future__ import annotations

import os
from typing import Any

import redis
from pycommon import HOST, PORT, QUEUE  # the harness puts its folder on sys.path

import queuesim

CONCURRENCY = int(os.environ.get("BENCH_QUEUESIM_CONCURRENCY", "50"))


def make_queue() -> queuesim.Queue:
    return queuesim.Queue(QUEUE, redis=redis.Redis(host=HOST, port=PORT, decode_responses=True))


def enqueue_one_raw(q: queuesim.Queue, i: int) -> queuesim.Job:
    return q.create({"i": i}).save()


def enqueue_bulk(q: queuesim.Queue, ids: Any) -> list[queuesim.Job]:
    return q.create_bulk([{"i": i} for i in ids])


def run_worker(q: queuesim.Queue, handler: Any, burst: bool) -> queuesim.WorkerStats:
    return queuesim.Worker(q, handler, concurrency=CONCURRENCY).run(burst=burst)


def payload(job: queuesim.Job) -> Any:
    return job.data


def queue_count(q: queuesim.Queue) -> int:
    return q.counts()["inactive"]
