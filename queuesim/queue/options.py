"""Job options (Kue's priority names, delays, attempts, backoff, TTL) and their validation.

Every option is checked before anything is written, so bad input raises
:class:`~queuesim.errors.InvalidJobOption` (or ``TypeError``) and leaves the
store untouched.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

from queuesim.errors import InvalidJobOption

__all__ = [
    "DEFAULT_OPTIONS",
    "OPTION_NAMES",
    "PRIORITIES",
    "Backoff",
    "BackoffFunction",
    "JobOptions",
    "backoff_delay",
    "encode_json",
    "normalize_priority",
    "parse_options",
]

#: Kue's priority names; lower runs first.
PRIORITIES: dict[str, int] = {"low": 10, "normal": 0, "medium": -5, "high": -10, "critical": -15}
PRIORITY_MIN = -1_048_576
PRIORITY_MAX = 1_048_575

#: A custom backoff: (attempts made so far, error message) -> delay in ms.
BackoffFunction: TypeAlias = Callable[[int, str], float]
#: What ``backoff=`` accepts.
Backoff: TypeAlias = bool | int | Mapping[str, Any] | BackoffFunction | None


#: One encoder for every job (json.dumps with options builds a new encoder on each call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def encode_json(value: Any, what: str) -> str:
    """``value`` as compact JSON text, or ``TypeError`` naming ``what`` when it is not JSON data."""
    if value is None:  # a handler's usual result
        return "null"
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON-serialisable: {exc}") from None


def normalize_priority(priority: int | str) -> int:
    """A priority as an integer: a Kue name (``low`` … ``critical``) or an int in range."""
    if isinstance(priority, str):
        try:
            return PRIORITIES[priority]
        except KeyError:
            names = ", ".join(PRIORITIES)
            raise InvalidJobOption(f"unknown priority {priority!r}; use one of {names} or an integer") from None
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidJobOption(f"priority must be a name or an integer, not {type(priority).__name__}")
    if not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise InvalidJobOption(f"priority {priority} is outside [{PRIORITY_MIN}, {PRIORITY_MAX}]")
    return priority


def _milliseconds(value: Any, name: str, *, now_ms: int | None = None) -> int:
    if isinstance(value, timedelta):
        value = value.total_seconds() * 1000
    elif isinstance(value, datetime):
        if now_ms is None:
            raise InvalidJobOption(f"{name} as a datetime needs the current time")
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return max(0, math.ceil(when.timestamp() * 1000) - now_ms)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidJobOption(f"{name} must be milliseconds (a number), not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise InvalidJobOption(f"{name} must be a finite number of milliseconds >= 0, got {value}")
    return math.ceil(value)


def _backoff_spec(backoff: Backoff) -> dict[str, Any] | None:
    """The JSON-storable form of ``backoff``; custom functions are stored by name."""
    if backoff is None or backoff is False:
        return None
    if backoff is True:
        return {"type": "fixed", "delay": 0}
    if isinstance(backoff, int) and not isinstance(backoff, bool):
        return {"type": "fixed", "delay": _milliseconds(backoff, "backoff delay")}
    if callable(backoff):
        return {"type": "custom", "name": _function_name(backoff)}
    if not isinstance(backoff, Mapping):
        raise InvalidJobOption(f"backoff must be a dict, a number of ms, True or a function, not {backoff!r}")
    kind = backoff.get("type", "fixed")
    unknown = set(backoff) - {"type", "delay", "max_delay", "name"}
    if unknown:
        raise InvalidJobOption(f"unknown backoff keys: {', '.join(sorted(unknown))}")
    if kind not in ("fixed", "exponential", "custom"):
        raise InvalidJobOption(f"backoff type must be 'fixed', 'exponential' or 'custom', got {kind!r}")
    if kind == "custom":
        if not isinstance(backoff.get("name"), str):
            raise InvalidJobOption("a custom backoff needs a 'name' registered on the worker's queue")
        return {"type": "custom", "name": backoff["name"]}
    spec: dict[str, Any] = {"type": kind, "delay": _milliseconds(backoff.get("delay", 0), "backoff delay")}
    if "max_delay" in backoff:
        spec["max_delay"] = _milliseconds(backoff["max_delay"], "backoff max_delay")
    return spec


def _function_name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@dataclass(frozen=True, slots=True)
class JobOptions:
    """A job's validated options, ready to store."""

    #: lower runs first; Kue's names map to 10, 0, -5, -10, -15
    priority: int = 0
    #: ms to wait before the job becomes runnable
    delay: int = 0
    #: how many times the job may run before it is failed for good
    attempts: int = 1
    #: how long to wait before a retry (JSON spec), or None to retry at once
    backoff: dict[str, Any] | None = None
    #: ms a single run may take before it fails with "TTL exceeded"; 0 = no limit
    ttl: int = 0
    #: delete the job as soon as it completes
    remove_on_complete: bool = False
    #: publish this job's events
    events: bool = True

    @classmethod
    def build(
        cls,
        *,
        priority: int | str = 0,
        delay: int | float | timedelta | datetime = 0,
        attempts: int = 1,
        backoff: Backoff = None,
        ttl: int | float | timedelta = 0,
        remove_on_complete: bool = False,
        events: bool = True,
        now_ms: int | None = None,
    ) -> JobOptions:
        """Check every option and return them normalised (``delay`` and ``ttl`` in ms)."""
        if isinstance(attempts, bool) or not isinstance(attempts, int):
            raise InvalidJobOption(f"attempts must be an integer, not {type(attempts).__name__}")
        if attempts < 1:
            raise InvalidJobOption(f"attempts must be at least 1, got {attempts}")
        if not isinstance(remove_on_complete, bool):
            raise InvalidJobOption("remove_on_complete must be True or False")
        if not isinstance(events, bool):
            raise InvalidJobOption("events must be True or False")
        return cls(
            priority=normalize_priority(priority),
            delay=_milliseconds(delay, "delay", now_ms=now_ms),
            attempts=attempts,
            backoff=_backoff_spec(backoff),
            ttl=_milliseconds(ttl, "ttl"),
            remove_on_complete=remove_on_complete,
            events=events,
        )


#: The options of a job created without any: shared, so the common case validates nothing.
DEFAULT_OPTIONS = JobOptions()

#: The keyword arguments ``create`` takes, in the order the error message lists them.
OPTION_NAMES = ("priority", "delay", "attempts", "backoff", "ttl", "remove_on_complete", "events")


def parse_options(
    options: Mapping[str, Any], now_ms: int, strategies: dict[str, BackoffFunction]
) -> JobOptions:
    """``create(data, **options)``'s keyword arguments checked and normalised (the one place that does it).

    A backoff function is registered in ``strategies`` under its name, so the
    worker of this queue can call it.

    Raises:
        InvalidJobOption: an option is unknown, out of range or of the wrong type.
    """
    if not options:
        return DEFAULT_OPTIONS
    unknown = [name for name in options if name not in OPTION_NAMES]
    if unknown:
        raise InvalidJobOption(f"unknown job option {unknown[0]!r}; job options are: {', '.join(OPTION_NAMES)}")
    backoff = options.get("backoff")
    if callable(backoff) and not isinstance(backoff, bool):
        strategies.setdefault(_function_name(backoff), backoff)
    return JobOptions.build(now_ms=now_ms, **options)


def backoff_delay(
    spec: Mapping[str, Any] | None,
    attempts_made: int,
    error: str,
    custom: Mapping[str, BackoffFunction],
) -> int:
    """Milliseconds to wait before the next attempt.

    ``fixed``: always ``delay``. ``exponential``: ``delay * 2**(attempts_made - 1)``,
    capped at ``max_delay`` when given. ``custom``: the function registered under
    the spec's name, called with (attempts made, error message).

    Raises:
        InvalidJobOption: a custom backoff's name is not registered.
    """
    if not spec:
        return 0
    kind = spec.get("type", "fixed")
    if kind == "custom":
        name = str(spec.get("name"))
        try:
            fn = custom[name]
        except KeyError:
            raise InvalidJobOption(f"backoff function {name!r} is not registered on this queue") from None
        value = fn(attempts_made, error)
        return _milliseconds(value, f"delay returned by backoff {name!r}")
    delay = int(spec.get("delay", 0))
    if kind == "exponential":
        delay = delay * 2 ** max(0, attempts_made - 1)
        if "max_delay" in spec:
            delay = min(delay, int(spec["max_delay"]))
    return delay
