"""An asyncio Redis client that sends every plain command over one shared, pipelined connection.

A web server's handlers each send one or two short commands. ``redis.asyncio``
gives each command a pooled connection of its own (a checkout, a retry wrapper,
a socket write and a read per command); with 64 requests in flight that is 64
sockets each carrying one command at a time. :class:`MultiplexedRedis` writes
every such command onto **one** connection as it comes and matches the replies
to the callers in order (Redis answers a connection's commands in the order it
received them), the way Node's redis clients do: many commands per socket write
and per socket read, and a few microseconds of Python per command. Measured on
the stock service: ``bench/README.md``.

It *is* a ``redis.asyncio.Redis``: commands with options, blocking commands,
pipelines, transactions, ``WATCH`` and pub/sub keep using the connection pool,
so every conversation runs unchanged. Only plain, non-blocking commands (a Lua
script call, a ``GET``...) take the shared connection, which speaks RESP2, with
redis-py's RESP2 reply callbacks (the reply shapes a default client gives) and
its exceptions. Without ``hiredis`` (the ``fast`` extra), over TLS, with RESP3
asked for (``protocol=3`` or ``legacy_responses=False``), or with a credential
provider, it is a plain ``redis.asyncio.Redis``.

A reply that takes longer than the pool's ``socket_timeout`` raises
``redis.TimeoutError`` for every command waiting on the connection, which is
then closed; a lost connection raises ``redis.ConnectionError`` for them. The
next command connects again. Commands are not retried: one that was sent may
have run.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import redis.asyncio
import redis.exceptions
from redis._parsers import BaseParser
from redis._parsers.response_callbacks import get_response_callbacks
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.client import CaseInsensitiveDict

try:
    from hiredis import Reader as HiredisReader
except ImportError:  # the ``fast`` extra is not installed: every command goes through the pool
    HiredisReader = None  # type: ignore[assignment,misc]

__all__ = ["BLOCKING_COMMANDS", "MultiplexedRedis"]

#: Commands that may wait in Redis (they would hold up every command behind them): always pooled.
BLOCKING_COMMANDS = frozenset({
    "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "XREAD",
    "XREADGROUP", "WAIT", "WAITAOF", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC",
    "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SELECT", "AUTH", "HELLO", "RESET", "QUIT", "CLIENT",
})


class _Link(asyncio.Protocol):
    """One connection: writes commands as they come, hands replies to the waiting futures in order."""

    def __init__(self, reader: Any, timeout: float | None, where: str) -> None:
        self.reader = reader
        self.timeout = timeout
        self.where = where
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.transport: Any = None  # asyncio's or uvloop's transport (not an asyncio.Transport subclass)
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._outgoing: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        waiting = self.waiting
        while True:
            try:
                reply = self.reader.gets()
            except Exception as exc:  # a protocol error: nothing on this connection can be trusted
                self.fail(redis.exceptions.ConnectionError(f"bad reply from {self.where}: {exc}"))
                return
            if reply is False:
                return
            if not waiting:
                self.fail(redis.exceptions.ConnectionError(f"unexpected reply from {self.where}"))
                return
            future, _ = waiting.popleft()
            if future.done():  # its caller gave up (cancelled)
                continue
            if isinstance(reply, redis.exceptions.ResponseError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        reason = f": {exc}" if exc else ""
        self.fail(redis.exceptions.ConnectionError(f"Connection to {self.where} closed{reason}"))

    def fail(self, error: Exception) -> None:
        """Close the connection; every command still waiting raises ``error``."""
        self.closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.transport is not None:
            self.transport.abort()
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        """Queue one packed command for writing; the future gets its reply.

        Commands queued in one turn of the event loop go out in one write (one
        system call for all the requests that loop turn handled).
        """
        future = self.loop.create_future()
        now = self.loop.time()
        self.waiting.append((future, now))
        if not self._outgoing:
            self.loop.call_soon(self._flush)
        self._outgoing.append(packed)
        if self.timeout is not None and self._watchdog is None:
            self._watchdog = self.loop.call_at(now + self.timeout, self._check)
        return future

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if not self.closed:
            self.transport.write(b"".join(outgoing))

    def _check(self) -> None:
        """Fail the connection if its oldest command waited ``timeout`` seconds; else look again later."""
        self._watchdog = None
        if not self.waiting or self.closed:
            return
        assert self.timeout is not None
        due = self.waiting[0][1] + self.timeout
        if self.loop.time() >= due:
            self.fail(redis.exceptions.TimeoutError(f"Timeout reading from {self.where}"))
        else:
            self._watchdog = self.loop.call_at(due, self._check)


class MultiplexedRedis(redis.asyncio.Redis):
    """A ``redis.asyncio.Redis`` whose plain commands share one pipelined connection (see the module docstring).

    Make it like its base class, e.g. ``MultiplexedRedis.from_pool(pool)``.
    """

    _link: _Link | None = None
    _connecting: asyncio.Task[_Link] | None = None
    _multiplexing: bool | None = None
    # the shared connection speaks RESP2: its replies take redis-py's RESP2 callbacks, which give the
    # same ("legacy") shapes as the default client's RESP3 callbacks (tests/web/test_stock_multiplex.py)
    _RESP2_CALLBACKS: Any = CaseInsensitiveDict(get_response_callbacks(user_protocol=2, legacy_responses=True))  # type: ignore[arg-type]

    @property
    def multiplexing(self) -> bool:
        """Whether plain commands take the shared connection (else every command uses the pool)."""
        if self._multiplexing is None:
            pool = self.connection_pool
            kwargs = pool.connection_kwargs
            self._multiplexing = (
                HiredisReader is not None
                and pool.connection_class in (Connection, UnixDomainSocketConnection)
                and kwargs.get("protocol") in (None, 2, "2")
                and kwargs.get("legacy_responses", True)
                and kwargs.get("credential_provider") is None
                and self.connection is None  # not a single-connection client
            )
        return self._multiplexing

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Send a command: plain ones over the shared connection, the others through the pool."""
        name = args[0]
        plain = _PLAIN.get(name)
        if plain is None:
            plain = _PLAIN[name] = _is_plain(name)
        if options or not plain or not self.multiplexing:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        link = self._link
        if link is None or link.closed or link.loop is not asyncio.get_running_loop():
            link = await self._connect()
        reply = await link.send(self._pack(args))
        callbacks = self._RESP2_CALLBACKS
        if name in callbacks:
            return callbacks[name](reply)
        return reply

    def _pack(self, args: tuple[Any, ...]) -> bytes:
        first = args[0]
        if isinstance(first, str) and " " in first:  # "SCRIPT LOAD" sent as two words, as redis-py does
            args = (*first.split(), *args[1:])
        encode = self.connection_pool.get_encoder().encode
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = encode(arg)
            parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
        return b"".join(parts)

    async def _connect(self) -> _Link:
        """The shared connection, made now (callers arriving meanwhile wait for the same attempt)."""
        task = self._connecting
        if task is None:
            task = self._connecting = asyncio.ensure_future(self._open())
            task.add_done_callback(self._connected)
        return await asyncio.shield(task)

    def _connected(self, task: asyncio.Task[_Link]) -> None:
        self._connecting = None
        if not task.cancelled() and task.exception() is None:
            self._link = task.result()

    async def _open(self) -> _Link:
        kwargs = self.connection_pool.connection_kwargs
        decode = kwargs.get("decode_responses", False)
        reader = HiredisReader(
            protocolError=redis.exceptions.InvalidResponse,
            replyError=BaseParser.parse_error,
            encoding=kwargs.get("encoding", "utf-8") if decode else None,
            errors=kwargs.get("encoding_errors", "strict"),
        )
        loop = asyncio.get_running_loop()
        path = kwargs.get("path")
        host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
        where = path or f"{host}:{port}"
        link = _Link(reader, kwargs.get("socket_timeout"), where)
        try:
            async with asyncio.timeout(kwargs.get("socket_connect_timeout")):
                if path:
                    await loop.create_unix_connection(lambda: link, path)
                else:
                    await loop.create_connection(lambda: link, host, port)
        except TimeoutError:
            raise redis.exceptions.TimeoutError(f"Timeout connecting to {where}") from None
        except OSError as exc:
            raise redis.exceptions.ConnectionError(f"Error {exc.errno} connecting to {where}. {exc.strerror}") from exc
        try:
            password, username = kwargs.get("password"), kwargs.get("username")
            if password is not None:
                await link.send(self._pack(("AUTH", username, password) if username else ("AUTH", password)))
            if kwargs.get("client_name"):
                await link.send(self._pack(("CLIENT", "SETNAME", kwargs["client_name"])))
            if int(kwargs.get("db") or 0):
                await link.send(self._pack(("SELECT", kwargs["db"])))
        except BaseException:
            link.fail(redis.exceptions.ConnectionError(f"could not set up the connection to {where}"))
            raise
        return link

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the shared connection, then the client as ``redis.asyncio.Redis`` does."""
        link, self._link = self._link, None
        if link is not None and not link.closed:
            link.fail(redis.exceptions.ConnectionError("the client was closed"))
        await super().aclose(close_connection_pool)


# whether a command name (as given) is a plain one, remembered per name
_PLAIN: dict[Any, bool] = {}


def _is_plain(name: Any) -> bool:
    word = name.decode() if isinstance(name, bytes) else str(name)
    return word.split(" ", 1)[0].upper() not in BLOCKING_COMMANDS
