"""Kue's JSON API (``kue.app``'s routes) on FastAPI, over every queue under one key prefix.

Kue's routes and bodies, with three deliberate differences:

* errors are proper 4xx statuses with Kue's ``{"error": ...}`` body (Kue answered
  most errors with HTTP 200);
* job ids belong to a queue: a job route takes ``?type=NAME``; without it the id
  is looked up in every known queue (409 listing the queues if several have it);
* ``GET /inactive/:id`` (Kue's requeue) has a proper twin, ``POST /job/:id/requeue``,
  and queues can be paused and resumed (``POST /queues/:type/pause|resume``).

With a token, every route that changes something needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.convertors import Convertor, register_url_convertor

from queuesim.errors import InvalidJobOption
from queuesim.queue import conversations as conv
from queuesim.queue.job import Job
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import normalize_priority
from queuesim.queue.queue import Queue
from queuesim.queue.record import enqueue_fields
from queuesim.web import kue_models as m
from queuesim.web import kue_ops as ops
from queuesim.web.api_errors import ApiError, install_api_errors
from queuesim.web.common import RedisRunner, ServiceUnavailable

__all__ = ["MAX_PAGE", "MAX_RANK", "add_kue_routes", "job_json"]

#: The most jobs one listing returns (``to - from + 1``).
MAX_PAGE = 1000
#: The deepest rank a listing over every queue reaches (each queue is read down to it).
MAX_RANK = 10_000
_MAX_ID = 2**63 - 1
#: The largest rank a range may name (18 digits: Redis takes ranks as 64-bit integers).
_MAX_RANK_NUMBER = 10**18 - 1
_SPAN = r"^0*[0-9]{1,18}\.\.0*[0-9]{1,18}$"  # leading zeros do not count
_PRIORITY = r"^(-?[0-9]{1,7}|low|normal|medium|high|critical)$"

Notify = Callable[[str, str | None, str, list[Any]], None]
Clock = Callable[[], int]


class _Range(Convertor[str]):
    """A path segment holding ``..`` (Kue's ``:from..:to``); checked by the route."""

    regex = r"[^/]*\.\.[^/]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("kue_range", _Range())


class _QueueName:
    """What ``Job.to_dict`` needs of a queue: its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def job_json(type: str, record: dict[str, Any]) -> dict[str, Any]:
    """A stored job record as ``GET /job/:id`` shows it (``Job.to_dict()`` plus ``attempts.remaining``)."""
    out = Job.from_record(cast(Queue, _QueueName(type)), record).to_dict()
    made, most = out["attempts"]["made"], out["attempts"]["max"]
    out["attempts"] = {"made": made, "remaining": max(0, most - made), "max": most}
    return out


# ---------------------------------------------------------------------- parameters
_ID_DOC = "The job's id (a positive integer); anything else is a job that does not exist."
JobId = Annotated[str, Path(min_length=1, description=_ID_DOC, examples=["1"])]
# Patterns are documented, and checked by the handlers (for messages that say what is wrong).
_NAME = {"pattern": m.NAME_PATTERN}
TypeQuery = Annotated[
    str | None,
    Query(json_schema_extra=_NAME, description="The job's queue; without it every known queue is searched."),
]
TypePath = Annotated[str, Path(json_schema_extra=_NAME, description="A queue's name (Kue's job type).")]
State = Annotated[m.StateName, Path(description="A job state.")]
Span = Annotated[
    str,
    Path(json_schema_extra={"pattern": _SPAN}, description="Ranks `from..to`, both included, from 0.",
         examples=["0..9"]),
]
Order = Annotated[Literal["asc", "desc"], Path(description="Index order (`asc`) or its reverse.")]
ResetAttempts = Annotated[bool, Query(description="Give the job all its attempts again (the default); `false` keeps "
                                                  "the count, so a job that used them gets one more run (Kue's "
                                                  "requeue).")]

Responses = dict[int | str, dict[str, Any]]
_ERROR: dict[str, Any] = {"model": m.ErrorBody}
_UNAVAILABLE: dict[str, Any] = {"model": ServiceUnavailable, "description": "Redis is down, slow or failing; try again"}


def _queue_name(name: str) -> str:
    try:
        return m.check_queue_name(name)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _span(span: str) -> tuple[int, int]:
    if not re.fullmatch(r"[0-9]+\.\.[0-9]+", span, flags=re.ASCII):
        raise ApiError(400, f"range {span!r} is not from..to (two numbers, e.g. 0..9)")
    ranks: list[int] = []
    for part in span.split(".."):
        digits = part.lstrip("0") or "0"  # checked before int(): no huge conversions
        if len(digits) > len(str(_MAX_RANK_NUMBER)):
            raise ApiError(400, f"range {span!r}: {digits} is too large (a rank is at most {_MAX_RANK_NUMBER})")
        ranks.append(int(digits))
    start, stop = ranks
    if stop - start + 1 > MAX_PAGE:
        raise ApiError(400, f"range {span} asks for {stop - start + 1} jobs; at most {MAX_PAGE} at once")
    return start, stop


def _check_id(job_id: str) -> str:
    if not (job_id.isascii() and job_id.isdigit()) or not 0 < int(job_id) <= _MAX_ID:
        raise ApiError(404, f"job {job_id!r} not found (ids are positive integers)")
    return str(int(job_id))


def _bearer(token: str | None) -> list[Any]:
    """The dependency that guards mutating routes (none without a token)."""
    if token is None:
        return []
    scheme = HTTPBearer(auto_error=False, description="The dashboard's token (`--token`).")
    expected = token.encode()

    async def check(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:  # noqa: B008
        given = credentials.credentials.encode() if credentials is not None else b""
        if credentials is None or not hmac.compare_digest(given, expected):
            raise ApiError(401, "this route needs the dashboard's token: send 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})

    return [Depends(check)]


def add_kue_routes(
    app: FastAPI,
    runner: RedisRunner,
    *,
    prefix: str,
    token: str | None,
    clock: Clock,
    notify: Notify,
    events_maxlen: int = 10_000,
) -> None:
    """Add Kue's JSON API to ``app``.

    Args:
        runner: runs the conversations on the app's Redis client.
        prefix: the queues' key prefix.
        token: when set, mutating routes require it as a bearer token.
        clock: the current time in ms (job times, delays).
        notify: called as ``notify(type, id, event, args)`` after a change that the
            queue's event stream does not record (moves, priority, pause), so live
            views of this app hear of it.
        events_maxlen: about how many events each queue's stream keeps.
    """
    install_api_errors(app)
    guard = _bearer(token)
    locked: Responses = {401: _ERROR} if token is not None else {}

    async def find(job_id: str, type: str | None) -> ops.Found:
        job_id = _check_id(job_id)
        name = None if type is None else _queue_name(type)
        hits = await runner.run(ops.find_job(prefix, job_id, name))
        if not hits:
            where = f"queue {name!r}" if name is not None else "any queue"
            raise ApiError(404, f"job {job_id} not found in {where}")
        if len(hits) > 1:
            types = [h.type for h in hits]
            raise ApiError(409, f"job id {job_id} exists in queues {', '.join(types)}: add ?type=<queue>",
                           types=types)
        return hits[0]

    async def known_queue(type: str) -> str:
        """A queue named in a route's path: a valid name (400) of a queue that exists (404)."""
        name = _queue_name(type)
        if not await runner.run(ops.queue_exists(prefix, name)):
            raise ApiError(404, f"no queue named {name!r}")
        return name

    async def listing(names: Sequence[str], state: str, span: str, order: str) -> JSONResponse:
        start, stop = _span(span)
        if stop < start:
            return JSONResponse([])  # an empty range, as Redis (and Kue) read it
        if len(names) > 1 and stop >= MAX_RANK:
            raise ApiError(400, f"a listing over every queue reaches rank {MAX_RANK - 1} at most; "
                                "list one queue with /jobs/:type/:state/:from..:to")
        found = await runner.run(ops.list_jobs(prefix, names, state, start, stop, order))
        return JSONResponse([job_json(f.type, f.record) for f in found])

    async def move(found: ops.Found, state: str | None, priority: int | None, reset_attempts: bool = False) -> str:
        keys = QueueKeys(found.type, prefix)
        job_id = str(found.record["id"])
        result = await runner.run(conv.move(keys, events_maxlen, job_id, state or "", clock(), priority,
                                            reset_attempts=reset_attempts))
        if result == "missing":
            raise ApiError(404, f"job {job_id} not found in queue {found.type!r}")
        if result == "active" and state != "active":
            raise ApiError(409, f"job {job_id} is running; it cannot be changed until it finishes")
        return str(result)

    # ------------------------------------------------------------------ reading
    @app.get("/stats", response_model=m.StatsOut, responses={503: _UNAVAILABLE}, tags=["kue"],
             summary="Counts per state and work time (Kue), with per-queue counts and timings")
    async def get_stats() -> JSONResponse:
        return JSONResponse(await runner.run(ops.stats(prefix, clock())))

    @app.get("/job/types", response_model=list[str], responses={503: _UNAVAILABLE}, tags=["kue"],
             summary="Every queue name (Kue's job types)")
    async def job_types() -> JSONResponse:
        return JSONResponse(await runner.run(ops.queue_names(prefix)))

    @app.get("/job/{job_id}", response_model=m.JobOut, tags=["kue"], summary="One job",
             responses={400: _ERROR, 404: _ERROR, 409: {"model": m.ConflictBody}, 503: _UNAVAILABLE})
    async def get_job(job_id: JobId, type: TypeQuery = None) -> JSONResponse:
        found = await find(job_id, type)
        return JSONResponse(job_json(found.type, found.record))

    @app.get("/job/{job_id}/log", response_model=list[str], tags=["kue"], summary="A job's log lines",
             responses={400: _ERROR, 404: _ERROR, 409: {"model": m.ConflictBody}, 503: _UNAVAILABLE})
    async def get_log(job_id: JobId, type: TypeQuery = None) -> JSONResponse:
        found = await find(job_id, type)
        return JSONResponse(await runner.run(conv.logs(QueueKeys(found.type, prefix), str(found.record["id"]))))

    @app.get("/job/{job_id}/timeline", response_model=list[m.TimelineEvent], tags=["beyond kue"],
             summary="A job's events, oldest first, from its queue's event stream",
             responses={400: _ERROR, 404: _ERROR, 409: {"model": m.ConflictBody}, 503: _UNAVAILABLE})
    async def get_timeline(job_id: JobId, type: TypeQuery = None) -> JSONResponse:
        found = await find(job_id, type)
        return JSONResponse(await runner.run(ops.timeline(prefix, found.type, str(found.record["id"]))))

    listing_doc: dict[str, Any] = {
        "response_model": list[m.JobOut], "tags": ["kue"],
        "responses": {400: _ERROR, 503: _UNAVAILABLE},
    }

    @app.get("/jobs/{type}/{state}/stats", response_model=m.Count, tags=["kue"],
             summary="How many jobs a queue has in a state",
             responses={400: _ERROR, 404: _ERROR, 503: _UNAVAILABLE})
    async def state_count(type: TypePath, state: State) -> JSONResponse:
        keys = QueueKeys(await known_queue(type), prefix)
        counts = await runner.run(conv.counts(keys))
        return JSONResponse({"count": counts[state]})

    @app.get("/jobs/{state}/{span:kue_range}", summary="Jobs of every queue in a state, by rank",
             operation_id="jobs_by_state", **listing_doc)
    async def jobs_by_state(state: State, span: Span) -> JSONResponse:
        return await listing(await runner.run(ops.queue_names(prefix)), state, span, "asc")

    @app.get("/jobs/{state}/{span:kue_range}/{order}", operation_id="jobs_by_state_ordered",
             summary="Jobs of every queue in a state, by rank, in an order", **listing_doc)
    async def jobs_by_state_ordered(state: State, span: Span, order: Order) -> JSONResponse:
        return await listing(await runner.run(ops.queue_names(prefix)), state, span, order)

    type_listing_doc = {**listing_doc, "responses": {400: _ERROR, 404: _ERROR, 503: _UNAVAILABLE}}

    @app.get("/jobs/{type}/{state}/{span:kue_range}", operation_id="jobs_by_type",
             summary="A queue's jobs in a state, by rank", **type_listing_doc)
    async def jobs_by_type(type: TypePath, state: State, span: Span) -> JSONResponse:
        _span(span)  # a bad range is a 400 before the queue is looked up
        return await listing([await known_queue(type)], state, span, "asc")

    @app.get("/jobs/{type}/{state}/{span:kue_range}/{order}", operation_id="jobs_by_type_ordered",
             summary="A queue's jobs in a state, by rank, in an order", **type_listing_doc)
    async def jobs_by_type_ordered(type: TypePath, state: State, span: Span, order: Order) -> JSONResponse:
        _span(span)
        return await listing([await known_queue(type)], state, span, order)

    # ------------------------------------------------------------------ changing
    job_errors: Responses = {400: _ERROR, 404: _ERROR, 409: {"model": m.ConflictBody}, **locked, 503: _UNAVAILABLE}

    @app.post(
        "/job", tags=["kue"], dependencies=guard, response_model=m.JobCreated | list[m.JobCreated],
        summary="Create a job, or an array of jobs (all or none)",
        responses={204: {"description": "The body was empty (or an empty array): nothing to create"},
                   400: {"model": m.InvalidJobsBody}, **locked, 503: _UNAVAILABLE},
        openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": {
            "anyOf": [{"$ref": "#/components/schemas/JobSpec"},
                      {"type": "array", "items": {"$ref": "#/components/schemas/JobSpec"}}]}}}}},
    )
    async def create_jobs(request: Request) -> Response:
        raw = await request.body()
        if not raw.strip():
            return Response(status_code=204)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, "the body is not JSON", errors=[]) from None
        items = body if isinstance(body, list) else [body]
        if not items:
            return Response(status_code=204)
        try:
            specs = m.parse_specs(items, clock())
        except m.SpecError as exc:
            raise ApiError(400, str(exc), errors=[{"index": i, "error": e} for i, e in exc.errors]) from None
        by_type: dict[str, list[int]] = {}
        for index, spec in enumerate(specs):
            by_type.setdefault(spec.type, []).append(index)
        created: list[dict[str, Any] | None] = [None] * len(specs)
        for name, indexes in by_type.items():
            keys = QueueKeys(name, prefix)
            await runner.run(_register(keys))
            payload = [(specs[i].data_json, enqueue_fields(specs[i].options)) for i in indexes]
            ids, _ = await runner.run(conv.enqueue(keys, events_maxlen, clock(), payload))
            for i, job_id in zip(indexes, ids, strict=True):
                state = "delayed" if specs[i].options.delay > 0 else "inactive"
                created[i] = {"message": "job created", "id": job_id, "type": name, "state": state}
        return JSONResponse(created if isinstance(body, list) else created[0])

    @app.put("/job/{job_id}/state/{state}", response_model=m.JobMessage, tags=["kue"], dependencies=guard,
             summary="Move a job that is not running to a state", responses=job_errors)
    async def put_state(job_id: JobId, state: State, type: TypeQuery = None) -> JSONResponse:
        if state == "active":
            raise ApiError(409, "only a worker can make a job active")
        found = await find(job_id, type)
        new = await move(found, state, None)
        notify(found.type, str(found.record["id"]), "moved", [new])
        return JSONResponse({"message": "updated state", "id": found.record["id"], "type": found.type,
                             "state": new})

    @app.put("/job/{job_id}/priority/{priority}", response_model=m.JobMessage, tags=["kue"],
             dependencies=guard, summary="Change a job's priority (an integer or a Kue name)",
             responses=job_errors)
    async def put_priority(
        job_id: JobId,
        priority: Annotated[str, Path(json_schema_extra={"pattern": _PRIORITY},
                                      description="An integer (lower runs first, within ±1048575) or low, normal, "
                                                  "medium, high, critical.", examples=["-10", "high"])],
        type: TypeQuery = None,
    ) -> JSONResponse:
        try:
            number = priority.isascii() and priority.lstrip("-").isdigit() and priority.count("-") <= 1
            value = normalize_priority(int(priority) if number else priority)
        except (InvalidJobOption, ValueError) as exc:
            raise ApiError(400, f"invalid priority: {exc}") from None
        found = await find(job_id, type)
        new = await move(found, None, value)
        notify(found.type, str(found.record["id"]), "priority", [value])
        return JSONResponse({"message": "updated priority", "id": found.record["id"], "type": found.type,
                             "state": new, "priority": value})

    @app.delete("/job/{job_id}", response_model=m.JobMessage, tags=["kue"], dependencies=guard,
                summary="Remove a job, its log and its place in every index (a running one only with force)",
                responses=job_errors)
    async def delete_job(
        job_id: JobId,
        type: TypeQuery = None,
        force: Annotated[bool, Query(description="Remove the job even if it is running: its worker's outcome "
                                                 "is then refused (its lease went with the job).")] = False,
    ) -> JSONResponse:
        found = await find(job_id, type)
        job = str(found.record["id"])
        result = await runner.run(conv.remove(QueueKeys(found.type, prefix), events_maxlen, job, force))
        if result == "missing":
            raise ApiError(404, f"job {job} not found in queue {found.type!r}")
        if result == "active":
            raise ApiError(409, f"job {job} is running; it cannot be removed until it finishes (or add ?force=true)")
        return JSONResponse({"message": f"job {job} removed", "id": job, "type": found.type})

    async def requeue(job_id: str, type: str | None, reset_attempts: bool) -> JSONResponse:
        found = await find(job_id, type)
        job = str(found.record["id"])
        new = await move(found, "inactive", None, reset_attempts)
        notify(found.type, job, "moved", [new])
        return JSONResponse({"message": f"job {job} inactive", "id": job, "type": found.type, "state": new})

    @app.post("/job/{job_id}/requeue", response_model=m.JobMessage, tags=["beyond kue"], dependencies=guard,
              summary="Put a failed, complete or delayed job back to wait (retry it), by default with all its "
                      "attempts again", responses=job_errors)
    async def post_requeue(job_id: JobId, type: TypeQuery = None, reset_attempts: ResetAttempts = True) -> JSONResponse:
        return await requeue(job_id, type, reset_attempts)

    @app.get("/inactive/{job_id}", response_model=m.JobMessage, tags=["kue"], dependencies=guard,
             summary="Kue's requeue route (a GET that changes state: prefer POST /job/:id/requeue)",
             responses=job_errors)
    async def get_inactive(job_id: JobId, type: TypeQuery = None, reset_attempts: ResetAttempts = True) -> JSONResponse:
        return await requeue(job_id, type, reset_attempts)

    async def set_paused(type: str, paused: bool) -> JSONResponse:
        name = await known_queue(type)
        await runner.run(conv.set_paused(QueueKeys(name, prefix), paused))
        notify(name, None, "paused" if paused else "resumed", [])
        word = "paused" if paused else "resumed"
        return JSONResponse({"message": f"queue {name} {word}", "type": name, "paused": paused})

    queue_errors: Responses = {400: _ERROR, 404: _ERROR, **locked, 503: _UNAVAILABLE}

    @app.post("/queues/{type}/pause", response_model=m.QueueMessage, tags=["beyond kue"], dependencies=guard,
              summary="Pause a queue: no worker claims its jobs until it is resumed", responses=queue_errors)
    async def pause(type: TypePath) -> JSONResponse:
        return await set_paused(type, True)

    @app.post("/queues/{type}/resume", response_model=m.QueueMessage, tags=["beyond kue"], dependencies=guard,
              summary="Resume a paused queue", responses=queue_errors)
    async def resume(type: TypePath) -> JSONResponse:
        return await set_paused(type, False)


def _register(keys: QueueKeys) -> Any:
    """Add a queue's name to the registry (as ``Queue`` does before its first job)."""
    yield ("SADD", keys.registry, keys.name)
