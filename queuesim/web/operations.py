"""The dashboard's routes for operators: ``/metrics`` (Prometheus), ``/healthz``, ``/readyz`` and ``/workers``.

``/metrics`` serves Prometheus's text format with ``prometheus_client``: at
each scrape a collector reads every queue and the live workers from Redis (one
:func:`~queuesim.queue.overview.overview`), so one dashboard reports the whole
system, however many worker processes there are, and a scrape while Redis is
down still answers, with ``queuesim_redis_up 0``.

``/healthz`` says the dashboard process is alive (200, whatever Redis does: a
liveness probe must not restart a dashboard because Redis is away); ``/readyz``
says whether it can serve (200 when Redis answers, 503 otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from queuesim.queue import registry
from queuesim.queue.keys import QueueKeys
from queuesim.queue.overview import Overview, overview
from queuesim.web.common import RedisRunner

__all__ = ["OverviewCollector", "add_operations_routes"]

_DOWN = (redis.exceptions.RedisError, TimeoutError, OSError)


class OverviewCollector(Collector):
    """Metric families from one overview of the queues (None: Redis did not answer this scrape)."""

    def __init__(self, seen: Overview | None) -> None:
        self.seen = seen

    def collect(self) -> Iterator[Metric]:
        """The families Prometheus scrapes."""
        yield GaugeMetricFamily("queuesim_redis_up", "1 if Redis answered this scrape, else 0",
                                value=0 if self.seen is None else 1)
        if self.seen is None:
            return
        jobs = GaugeMetricFamily("queuesim_jobs", "Jobs per queue and state", labels=["queue", "state"])
        completed = CounterMetricFamily("queuesim_jobs_completed", "Runs completed since the queue began",
                                        labels=["queue"])
        failed = CounterMetricFamily("queuesim_jobs_failed", "Jobs failed for good since the queue began",
                                     labels=["queue"])
        work = CounterMetricFamily("queuesim_work_seconds", "Time handlers spent on finished runs", labels=["queue"])
        recent = GaugeMetricFamily("queuesim_jobs_completed_last_minute",
                                   "Jobs that completed in the last minute (still stored)", labels=["queue"])
        paused = GaugeMetricFamily("queuesim_queue_paused", "1 if the queue is paused", labels=["queue"])
        workers = GaugeMetricFamily("queuesim_workers", "Live workers per queue (the worker registry)",
                                    labels=["queue"])
        for q in self.seen.queues:
            for state, count in q.counts.items():
                jobs.add_metric([q.name, state], count)
            completed.add_metric([q.name], q.completed_total)
            failed.add_metric([q.name], q.failed_total)
            work.add_metric([q.name], q.work_time_ms / 1000)
            recent.add_metric([q.name], q.completed_last_minute)
            paused.add_metric([q.name], 1 if q.paused else 0)
            workers.add_metric([q.name], q.workers)
        running = GaugeMetricFamily("queuesim_worker_running_jobs", "Jobs each live worker is running",
                                    labels=["worker", "queue", "host"])
        for w in self.seen.workers:
            running.add_metric([w.id, w.queue, w.host], len(w.jobs))
        yield from (jobs, completed, failed, work, recent, paused, workers, running)


def add_operations_routes(app: FastAPI, runner: RedisRunner, *, prefix: str, clock: Callable[[], int]) -> None:
    """Add ``/metrics``, ``/healthz``, ``/readyz`` and ``/workers`` to ``app``."""

    @app.get("/metrics", tags=["operations"], response_class=Response,
             summary="Prometheus metrics: jobs per queue and state, totals, work time, live workers",
             responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                              "description": "Prometheus's text format"}})
    async def metrics(request: Request) -> Response:
        try:
            seen: Overview | None = await runner.run(overview(prefix, clock()))
        except _DOWN:
            seen = None
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(OverviewCollector(seen))
        # the format the scraper asks for (Prometheus's text format, or OpenMetrics)
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(scrape), media_type=content_type)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the dashboard process answers (200)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: 200 when Redis answers, 503 when it does not",
             responses={503: {"description": "Redis does not answer"}})
    async def readyz() -> JSONResponse:
        try:
            await runner.run(_ping())
        except _DOWN as exc:
            return JSONResponse({"status": "unavailable", "redis": "down", "detail": str(exc) or type(exc).__name__},
                                status_code=503, headers={"Retry-After": "1"})
        return JSONResponse({"status": "ready", "redis": "up"})

    @app.get("/workers", tags=["beyond kue"], summary="The live workers (the registry their heartbeats keep)",
             responses={503: {"description": "Redis does not answer"}})
    async def workers() -> JSONResponse:
        live = await runner.run(registry.live_workers(QueueKeys("_", prefix)))
        return JSONResponse({"at": clock(), "workers": [w.to_dict() for w in live]})


def _ping() -> Any:
    return (yield ("PING",))
