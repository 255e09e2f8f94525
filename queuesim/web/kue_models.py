"""The bodies of the Kue JSON API: response models (for the OpenAPI schema) and job specs (``POST /job``).

Responses are built as plain dictionaries (compact JSON, keys in a stable
order); these models document them. A job spec is Kue's ``{type, data,
options: {attempts, priority, delay, backoff, removeOnComplete, ttl}}``;
:func:`parse_specs` checks a whole ``POST /job`` body before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError

from queuesim.errors import InvalidJobOption
from queuesim.queue.core import check_name
from queuesim.queue.options import PRIORITY_MAX, PRIORITY_MIN, JobOptions, encode_json

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_MS",
    "NAME_PATTERN",
    "Attempts",
    "BackoffSpec",
    "ConflictBody",
    "Count",
    "ErrorBody",
    "InvalidJobsBody",
    "ItemError",
    "JobCreated",
    "JobMessage",
    "JobOut",
    "JobSpec",
    "JobSpecOptions",
    "ParsedSpec",
    "Percentiles",
    "QueueMessage",
    "QueueStatsOut",
    "SpecError",
    "StatsOut",
    "TimelineEvent",
    "check_queue_name",
    "parse_specs",
]

#: The longest delay, TTL or backoff a job spec may ask for: ten years, in ms.
MAX_MS = 10 * 365 * 24 * 3600 * 1000
#: The most attempts a job spec may ask for.
MAX_ATTEMPTS = 1_000_000
#: What a queue name may be over the API: ``Queue``'s rule (1-200 characters, no braces, no
#: control characters: C0, DEL, C1, line breaks included), as a schema pattern.
NAME_PATTERN = r"^[^{}\x00-\x1f\x7f-\x9f]{1,200}$"

StateName = Literal["inactive", "active", "complete", "failed", "delayed"]
Milliseconds = Annotated[float, Field(ge=0, le=MAX_MS, allow_inf_nan=False)]


class ErrorBody(BaseModel):
    """A 4xx: what was wrong (Kue's ``{error}``, with a proper status code instead of Kue's 200)."""

    error: str


class ConflictBody(ErrorBody):
    """409: the job is running (it cannot be changed now), or several queues have a job with this
    id (listed in ``types``: name the queue with ``?type=``)."""

    types: list[str] | None = None


class ItemError(BaseModel):
    """One invalid item of a ``POST /job`` array."""

    index: int
    error: str


class InvalidJobsBody(ErrorBody):
    """400: some jobs of the body are invalid; none was created."""

    errors: list[ItemError]


class Attempts(BaseModel):
    """Runs made, left and allowed."""

    made: int
    remaining: int
    max: int


class JobOut(BaseModel):
    """A job as ``GET /job/:id`` shows it (``Job.to_dict()``, times in ms since the epoch)."""

    id: str
    type: str
    data: Any
    priority: int
    state: StateName
    attempts: Attempts
    progress: int
    progress_data: Any
    result: Any
    error: str | None
    stacktrace: str | None
    delay: int
    ttl: int
    backoff: dict[str, Any] | None
    remove_on_complete: bool
    created_at: int | None
    updated_at: int | None
    started_at: int | None
    finished_at: int | None
    failed_at: int | None
    duration: int | None


class Percentiles(BaseModel):
    """Nearest-rank percentiles in ms of a queue's most recent complete jobs (None without any)."""

    count: int
    p50: int | None
    p90: int | None
    p99: int | None
    max: int | None


class _Counts(BaseModel):
    inactiveCount: int
    activeCount: int
    completeCount: int
    failedCount: int
    delayedCount: int
    workTime: int = Field(description="total ms spent running jobs")


class QueueStatsOut(_Counts):
    """One queue's counts, totals, paused flag and timings."""

    completedTotal: int
    failedTotal: int
    paused: bool
    workers: int = Field(description="live workers on this queue (the worker registry)")
    completedLastMinute: int = Field(description="jobs that completed in the last minute (and are still stored)")
    wait: Percentiles = Field(description="from when the final run became runnable to its start")
    processing: Percentiles = Field(description="the final run, from start to finish")


class StatsOut(_Counts):
    """Kue's ``/stats`` (counts over every queue), plus each queue's own figures."""

    queues: dict[str, QueueStatsOut]


class Count(BaseModel):
    """How many jobs a queue has in one state."""

    count: int


class JobMessage(BaseModel):
    """A job was changed (Kue's ``{message}``, plus the job's queue, id and new state)."""

    message: str
    id: str
    type: str
    state: StateName | None = None
    priority: int | None = None


class JobCreated(BaseModel):
    """A job was created."""

    message: Literal["job created"]
    id: str
    type: str
    state: Literal["inactive", "delayed"]


class QueueMessage(BaseModel):
    """A queue was paused or resumed."""

    message: str
    type: str
    paused: bool


class TimelineEvent(BaseModel):
    """One event of a job, from its queue's event stream."""

    type: str
    id: str
    event: str
    args: list[Any]
    at: int = Field(description="when Redis recorded it, ms since the epoch")
    stream_id: str


#: Job specs are strict: a number must be a JSON number, an integer a JSON integer and a boolean a
#: JSON boolean (pydantic's lax mode would take ``"3"``, ``3.0``, ``"yes"`` or ``1`` for them).
_STRICT = ConfigDict(extra="forbid", strict=True)


class BackoffSpec(BaseModel):
    """Kue's backoff object: fixed or exponential (``delay * 2**(attempt-1)``, at most ``maxDelay``)."""

    model_config = _STRICT

    type: Literal["fixed", "exponential"] = "fixed"
    delay: Milliseconds = 0
    maxDelay: Milliseconds | None = None


def _json_kind(value: Any) -> str | None:
    """The JSON type of an option's value, which picks the one form it is checked against
    (so an error names that form's problem, not every form's)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "integer" if isinstance(value, int) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict | BackoffSpec):
        return "object"
    return None


def _backoff_kind(value: Any) -> str | None:
    kind = _json_kind(value)
    return "number" if kind == "integer" else kind


#: Kue's backoff: ``true``/``false``, a fixed delay in ms, or a backoff object.
Backoff = Annotated[
    Annotated[bool, Tag("boolean")] | Annotated[Milliseconds, Tag("number")] | Annotated[BackoffSpec, Tag("object")],
    Discriminator(_backoff_kind, custom_error_type="backoff_type",
                  custom_error_message="must be true or false, a number of ms, or {type, delay, maxDelay}"),
]
#: A priority: an integer, or a string (a Kue name or an integer as text).
Priority = Annotated[
    Annotated[int, Tag("integer")] | Annotated[str, Tag("string")],
    Discriminator(_json_kind, custom_error_type="priority_type",
                  custom_error_message="must be an integer or one of low, normal, medium, high, critical"),
]


class JobSpecOptions(BaseModel):
    """Kue's job options (``searchKeys`` is accepted and ignored: there is no search index).

    Types are strict: ``attempts`` is a JSON integer; ``priority`` a JSON integer or a string
    (a Kue name, or an integer written as a string, as in a URL); ``delay``, ``ttl`` and a
    backoff's ``delay``/``maxDelay`` are JSON numbers (ms); ``removeOnComplete`` is a JSON
    boolean; ``backoff`` is a JSON boolean, a number of ms or a backoff object.
    """

    model_config = _STRICT

    attempts: Annotated[int, Field(ge=1, le=MAX_ATTEMPTS)] | None = None
    priority: Priority | None = Field(
        None,
        description="a Kue name or an integer; lower runs first",
        json_schema_extra={"anyOf": [
            {"type": "integer", "minimum": PRIORITY_MIN, "maximum": PRIORITY_MAX},
            {"enum": ["low", "normal", "medium", "high", "critical"]},
            {"type": "string", "pattern": r"^-?[0-9]{1,7}$"},
            {"type": "null"},
        ]},
    )
    delay: Milliseconds | None = None
    backoff: Backoff | None = None
    removeOnComplete: bool | None = None
    ttl: Milliseconds | None = None
    searchKeys: list[str] | None = None


class JobSpec(BaseModel):
    """A job to create: Kue's ``{type, data, options}``."""

    model_config = ConfigDict(strict=True)

    type: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": NAME_PATTERN},
                      description="the queue's name")
    data: Any = Field(default_factory=dict, description="any JSON value (default {})")
    options: JobSpecOptions | None = None


@dataclass(frozen=True, slots=True)
class ParsedSpec:
    """A checked job spec, ready to save."""

    type: str
    data_json: str
    options: JobOptions


class SpecError(ValueError):
    """Some items of a ``POST /job`` body are invalid: ``errors`` holds (index, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"item {i}: {m}" if len(errors) > 1 or i else m for i, m in errors))


_SPEC = TypeAdapter(JobSpec)


def check_queue_name(name: str) -> str:
    """``name`` if the API accepts it as a queue name; ``ValueError`` saying why otherwise.

    ``Queue``'s own check: length, no braces, no control characters.
    """
    return check_name(name)


def _message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"])
        if error["loc"] == ("type",) and error["type"] == "missing":
            parts.append("Must provide job type")  # Kue's words
        else:
            parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)


def _options(spec: JobSpecOptions | None, now_ms: int) -> JobOptions:
    if spec is None:
        return JobOptions()
    kwargs: dict[str, Any] = {"now_ms": now_ms}
    if spec.attempts is not None:
        kwargs["attempts"] = spec.attempts
    if spec.priority is not None:
        priority = spec.priority
        if isinstance(priority, str) and priority.lstrip("-").isdigit() and priority.isascii():
            priority = int(priority)
        kwargs["priority"] = priority
    if spec.delay is not None:
        kwargs["delay"] = spec.delay
    if isinstance(spec.backoff, BackoffSpec):
        backoff: dict[str, Any] = {"type": spec.backoff.type, "delay": spec.backoff.delay}
        if spec.backoff.maxDelay is not None:
            backoff["max_delay"] = spec.backoff.maxDelay
        kwargs["backoff"] = backoff
    elif isinstance(spec.backoff, float | int) and not isinstance(spec.backoff, bool):
        kwargs["backoff"] = int(spec.backoff)
    elif spec.backoff is not None:
        kwargs["backoff"] = spec.backoff
    if spec.removeOnComplete is not None:
        kwargs["remove_on_complete"] = spec.removeOnComplete
    if spec.ttl is not None:
        kwargs["ttl"] = spec.ttl
    return JobOptions.build(**kwargs)


def parse_specs(items: list[Any], now_ms: int) -> list[ParsedSpec]:
    """Check every job spec of a ``POST /job`` body.

    Raises:
        SpecError: listing every invalid item (nothing may then be written).
    """
    parsed: list[ParsedSpec] = []
    errors: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        try:
            spec = _SPEC.validate_python(item)
            name = check_queue_name(spec.type)
            parsed.append(ParsedSpec(name, encode_json(spec.data, "job data"), _options(spec.options, now_ms)))
        except ValidationError as exc:
            errors.append((index, _message(exc)))
        except (InvalidJobOption, ValueError, TypeError) as exc:
            errors.append((index, str(exc)))
    if errors:
        raise SpecError(errors)
    return parsed
