"""Make Redis clients: a real server named by a URL, or the embedded store.

``connect()`` is the only place queuesim builds a client. With a URL (or
``REDIS_URL`` in the environment) it talks to a real server; without one it
returns a client of the *embedded store*: a fakeredis server with Lua, shared
by every client made in this process, so a producer and a worker in the same
process see the same data, exactly as they would on a real server.

Nothing outside the process can reach the embedded store, so a program that
falls back to it by accident loses every job it "queues". A program that is
not interactive (not a notebook, not a REPL) and gets the embedded store
without asking for it is warned, once, with :class:`EmbeddedStoreWarning`;
asking for it (``connect(embedded=True)``, or ``QUEUESIM_EMBEDDED=1`` in the
environment, as the ``queuesim`` command's exercises and demo do) is silent.

Reaching a server, ``connect()`` waits for it with bounded backoff (by default
up to 10 s; ``wait=None`` waits until it answers), logging one line when it
starts waiting and one when the server answers.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.backoff

from queuesim.errors import ConnectionFailed, InvalidURL

if TYPE_CHECKING:
    import fakeredis

__all__ = [
    "CONNECTED_MESSAGE",
    "EMBEDDED_ENV",
    "NOT_CONNECTED_MESSAGE",
    "EmbeddedStoreWarning",
    "connect",
    "connect_async",
    "embedded_server",
    "is_interactive",
    "mask_url",
    "redis_url",
]

log = logging.getLogger("queuesim")
# A library leaves output to the application: without this, Python's last-resort handler
# would print every retry warning to stderr, next to the lines ``report`` already printed.
log.addHandler(logging.NullHandler())

#: Printed by exercise 1 when the server answers.
CONNECTED_MESSAGE = "Redis client connected to the server"
#: Printed by exercise 1 on each failed attempt, followed by the client's error text.
NOT_CONNECTED_MESSAGE = "Redis client not connected to the server"

#: The environment variable that chooses the embedded store when no URL is given (``1``): no warning.
EMBEDDED_ENV = "QUEUESIM_EMBEDDED"

_SCHEMES = ("redis", "rediss", "unix")
_embedded_lock = threading.Lock()
_embedded: fakeredis.FakeServer | None = None
_warned = False


class EmbeddedStoreWarning(UserWarning):
    """A program that is not interactive got the in-process embedded store without asking for it."""


def is_interactive() -> bool:
    """Whether this process is an interactive session: a REPL, ``python -i``, IPython or a notebook kernel."""
    if hasattr(sys, "ps1") or sys.flags.interactive:
        return True
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        return ipython.get_ipython() is not None
    except Exception:  # an IPython too broken to ask is no session of ours
        return False


def _embedded_chosen() -> bool:
    return os.environ.get(EMBEDDED_ENV, "").strip().lower() in ("1", "true", "yes", "on")


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside queuesim (the user's line)."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    return level


def _warn_embedded() -> None:
    """Warn once per process that the embedded store was used without being asked for."""
    global _warned
    if _warned or _embedded_chosen() or is_interactive():
        return
    _warned = True
    warnings.warn(
        "queuesim is using its embedded store: no Redis URL was given and REDIS_URL is not set. The embedded "
        "store lives inside this process: no other process (no worker, no dashboard) can see its jobs, and "
        "they are gone when it exits. Choose a server with REDIS_URL=redis://HOST:6379/0 (or url=...), or say "
        f"the embedded store is what you want with connect(embedded=True) or {EMBEDDED_ENV}=1.",
        EmbeddedStoreWarning,
        stacklevel=_caller_level(),
    )


def embedded_server() -> fakeredis.FakeServer:
    """The process-wide embedded store, created (and seeded) on first use.

    Every client that ``connect()`` makes without a URL shares this server.
    """
    global _embedded
    try:
        import fakeredis
    except ImportError:  # a light install: the queue without the learning extras
        raise ConnectionFailed(
            "no Redis URL was given and the embedded store is not installed: set REDIS_URL (or pass a URL), "
            "or install it with: pip install 'queuesim[embedded]'"
        ) from None
    with _embedded_lock:
        if _embedded is None:
            _embedded = fakeredis.FakeServer()
            seed_client = fakeredis.FakeRedis(server=_embedded, decode_responses=True)
            # The course's "Redis instance" exercise ships a dump with this key; the
            # embedded store starts with it so every exercise runs on a fresh machine.
            seed_client.set("Holberton", "School", nx=True)
        return _embedded


def redis_url(url: str | None = None) -> str | None:
    """The URL to use: ``url`` if given, else ``REDIS_URL``, else ``None`` (embedded).

    Raises:
        InvalidURL: the URL is not a ``redis://``, ``rediss://`` or ``unix://`` URL.
    """
    chosen = url if url is not None else os.environ.get("REDIS_URL") or None
    if chosen is None:
        return None
    if not isinstance(chosen, str):
        raise TypeError(f"the Redis URL must be a string, not {type(chosen).__name__}")
    parts = urlsplit(chosen)
    if parts.scheme not in _SCHEMES:
        raise InvalidURL(
            f"Redis URL {mask_url(chosen)!r} must start with redis://, rediss:// or unix://"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r} names no host")
    if parts.scheme == "unix" and not parts.path:
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r} names no socket path")
    try:
        _ = parts.port
    except ValueError as exc:
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r} has an invalid port") from exc
    db = parts.path.lstrip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise InvalidURL(f"Redis URL {mask_url(chosen)!r}: database {db!r} is not a number")
    return chosen


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to print or log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    # Rebuild from the raw netloc: parts.port would raise on a malformed port (and the
    # message about that port must still be printable), and parts.hostname drops IPv6 brackets.
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}:***@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect(
    url: str | None = None,
    *,
    embedded: bool = False,
    attempts: int | None = None,
    wait: float | None = 10.0,
    backoff: float = 0.2,
    max_backoff: float = 5.0,
    timeout: float = 2.0,
    report: Callable[[str], None] | None = None,
    decode_responses: bool = True,
    stop: Callable[[], bool] | None = None,
) -> redis.Redis:
    """A checked Redis client: the server at ``url`` (or ``REDIS_URL``), else the embedded store.

    The server is pinged before the client is returned. While it does not answer,
    ``connect`` tries again, waiting ``backoff`` seconds, then twice that, and so on
    up to ``max_backoff`` between tries: for ``attempts`` tries when given, else for
    up to ``wait`` seconds (``None``: until it answers, or until ``stop()`` says to
    give up). It logs one warning when it starts waiting and one when the server
    answers. Every socket operation has a ``timeout``, so a dead server never hangs
    a try.

    Args:
        url: a ``redis://``, ``rediss://`` or ``unix://`` URL; ``None`` reads ``REDIS_URL``.
        embedded: without a URL, the embedded store is what the caller wants (no warning).
        attempts: how many times to try before giving up (at least 1); ``None`` counts time instead.
        wait: seconds to keep trying when ``attempts`` is not given; ``None`` waits without end.
        backoff: seconds to wait after the first failure; doubled after each.
        max_backoff: the longest wait between two tries.
        timeout: seconds allowed for connecting and for each command.
        report: called with ``CONNECTED_MESSAGE`` on success and with
            ``"Redis client not connected to the server: <error>"`` after each failure
            (exercise 1 passes ``print``).
        decode_responses: return ``str`` instead of ``bytes``.
        stop: called between tries; True gives up at once (a worker told to stop while it waits).

    Raises:
        InvalidURL: the URL is malformed.
        ConnectionFailed: no server answered, or what answered is not a Redis server;
            the message names the URL, password masked.
    """
    if attempts is not None and attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    chosen = redis_url(url)
    if chosen is None:
        client: redis.Redis = _embedded_client(decode_responses)
        if not embedded:
            _warn_embedded()
        if report is not None:
            report(CONNECTED_MESSAGE)
        return client
    client = redis.Redis.from_url(
        chosen,
        decode_responses=decode_responses,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
    )
    shown = mask_url(chosen)
    delay = backoff
    tries = 0
    first_failure: float | None = None
    last: Exception | None = None
    while True:
        tries += 1
        try:
            client.ping()
        except redis.exceptions.InvalidResponse as exc:  # something answered, but not in Redis's protocol
            client.close()
            if report is not None:
                report(f"{NOT_CONNECTED_MESSAGE}: {exc}")
            raise ConnectionFailed(
                f"the server at {shown} does not speak Redis's protocol (is that the right port?): {exc}"
            ) from exc
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            last = exc
            now = time.monotonic()
            if report is not None:
                report(f"{NOT_CONNECTED_MESSAGE}: {exc}")
            if first_failure is None:
                first_failure = now
                how_long = (f"{attempts} attempts" if attempts is not None
                            else "until it answers" if wait is None else f"up to {wait:g} s")
                log.warning("waiting for Redis at %s (%s); trying %s, at most every %g s",
                            shown, exc, how_long, max_backoff)
            else:
                log.debug("Redis at %s still does not answer: %s", shown, exc)
            pause = delay
            if attempts is None and wait is not None:
                pause = min(delay, wait - (now - first_failure))
            if (attempts is not None and tries >= attempts) or pause <= 0 or (stop is not None and stop()):
                break
            _sleep(pause, stop)
            delay = min(max_backoff, delay * 2)
            continue
        if first_failure is not None:
            log.warning("Redis at %s answered after %.1f s", shown, time.monotonic() - first_failure)
        if report is not None:
            report(CONNECTED_MESSAGE)
        return client
    client.close()
    waited = "" if attempts is not None else f" in {time.monotonic() - (first_failure or time.monotonic()):.1f} s"
    raise ConnectionFailed(f"no Redis server answered at {shown} after {tries} attempts{waited}: {last}") from last


def _sleep(seconds: float, stop: Callable[[], bool] | None) -> None:
    """Sleep, looking at ``stop`` every tenth of a second."""
    if stop is None:
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while not stop():
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.1, left))


def _embedded_client(decode_responses: bool) -> redis.Redis:
    server = embedded_server()
    import fakeredis

    return fakeredis.FakeRedis(server=server, decode_responses=decode_responses)


def connect_async(
    url: str | None = None, *, embedded: bool = False, timeout: float = 2.0, decode_responses: bool = True
) -> Any:
    """An asyncio client for ``url`` (or ``REDIS_URL``), else for the embedded store.

    The client is not pinged here (that needs a running loop): await
    ``client.ping()`` to check it, as exercise 3 does. ``embedded``: as for
    :func:`connect` (without a URL, the embedded store is wanted: no warning).

    Returns:
        a ``redis.asyncio.Redis`` (or ``fakeredis.FakeAsyncRedis`` on the embedded store).
    """
    chosen = redis_url(url)
    if chosen is None:
        server = embedded_server()
        if not embedded:
            _warn_embedded()
        import fakeredis

        return fakeredis.FakeAsyncRedis(server=server, decode_responses=decode_responses)
    return redis.asyncio.Redis.from_url(
        chosen,
        decode_responses=decode_responses,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        # one immediate retry: after a Redis restart every pooled connection is a dead socket whose first
        # command fails; the retry reconnects (the sync pool checks a connection before handing it out)
        retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 1),
    )
