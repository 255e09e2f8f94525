"""``redis.asyncio`` code in the race finder: ``async def`` targets, on the same greenlet bridge.

Decision: an ``async def reserve(r, i)`` target runs exactly like a plain one. Its
client ``r`` is an :class:`AsyncRaceClient`, a ``redis.asyncio.Redis`` whose
``execute_command`` (and pipeline ``execute``, ``watch``, ``reset``) hands the
command to the client's synchronous simulated connection, which suspends the
client's greenlet for the simulated round trip. By the time the ``await`` resumes,
the reply is there, so the coroutine never has to wait on anything and is run
without an event loop (:func:`run_coroutine` steps it to its end). Everything
redis.asyncio builds on ``execute_command`` works: the command methods, pipelines
(``async with r.pipeline() as pipe``, ``await pipe.watch(...)``, ``pipe.multi()``,
``await pipe.execute()``), ``await r.transaction(...)`` and ``register_script``
(with its ``NOSCRIPT`` fallback).

What needs an event loop cannot run here: ``asyncio.sleep`` (use :func:`asleep`, or
:func:`queuesim.race.sleep`), ``asyncio.gather``, tasks, timeouts. A target that
awaits one stops the run with a :class:`~queuesim.race.RaceError` saying so. A
client's commands are therefore sequential, as they are on one connection.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.client

from queuesim.race.client import sleep
from queuesim.race.errors import RaceError

__all__ = ["AsyncRaceClient", "asleep", "run_coroutine"]

_NEEDS_LOOP = (
    "awaits something that needs an asyncio event loop ({what}), which a simulated client does not have; "
    "await only the client's commands (queuesim.race.asleep for think time)"
)


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` to its end without an event loop; its return value (or its exception, raised).

    Raises:
        RaceError: it awaited something that needs an event loop.
    """
    try:
        yielded = coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    except RuntimeError as exc:
        if "no running event loop" in str(exc) or "no current event loop" in str(exc):
            raise RaceError(_NEEDS_LOOP.format(what=exc)) from exc
        raise
    coroutine.close()
    raise RaceError(_NEEDS_LOOP.format(what=repr(yielded)))


async def asleep(seconds: float) -> None:
    """:func:`queuesim.race.sleep` for ``async def`` targets: virtual think time in a simulated client."""
    sleep(seconds)


class AsyncRaceClient(redis.asyncio.Redis):
    """A ``redis.asyncio.Redis`` over a synchronous connection (a simulated client's, or the store's own).

    Args:
        connection: the synchronous client every command goes through.
    """

    def __init__(self, connection: redis.Redis) -> None:  # no pool: the connection is the sync client's
        self._connection = connection
        self.response_callbacks = connection.response_callbacks
        self.connection = None
        self.single_connection_client = False

    def __repr__(self) -> str:
        return f"<AsyncRaceClient over {self._connection!r}>"

    def __del__(self, *args: Any) -> None:  # nothing of its own to close
        pass

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Send one command (a simulated round trip, in a simulated client)."""
        return self._connection.execute_command(*args, **options)

    def get_encoder(self) -> Any:
        """The encoder of the underlying connection (registered scripts hash with it)."""
        return self._connection.get_encoder()

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> AsyncRacePipeline:
        """A pipeline on this client's connection (``transaction=True``: MULTI/EXEC)."""
        return AsyncRacePipeline(self, self._connection.pipeline(transaction), transaction)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Nothing to close: the simulation owns the connection."""

    async def initialize(self) -> AsyncRaceClient:
        """Ready as it is."""
        return self


class AsyncRacePipeline(redis.asyncio.client.Pipeline):
    """A ``redis.asyncio`` pipeline whose round trips go through a synchronous pipeline of the same connection."""

    def __init__(self, client: AsyncRaceClient, pipe: Any, transaction: bool) -> None:
        super().__init__(None, client.response_callbacks, transaction, None)  # type: ignore[arg-type]
        self._pipe = pipe

    def __repr__(self) -> str:
        return f"<AsyncRacePipeline over {self._pipe!r}>"

    def __del__(self, *args: Any) -> None:  # nothing of its own to close
        pass

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Queue a command (returns the pipeline), or run it now while watching (returns an awaitable)."""
        if (self.watching or args[0] == "WATCH") and not self.explicit_transaction:
            return self.immediate_execute_command(*args, **kwargs)
        return self.pipeline_execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]

    async def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        """Run a command now on the pipeline's connection (WATCH, and reads before MULTI)."""
        try:
            return self._pipe.immediate_execute_command(*args, **options)
        finally:
            self.watching = self._pipe.watching

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the queued commands (as one MULTI/EXEC transaction when ``transaction`` or after ``multi()``)."""
        pipe = self._pipe
        pipe.command_stack = list(self.command_stack)
        pipe.scripts = set(self.scripts)
        pipe.explicit_transaction = self.explicit_transaction
        try:
            replies: list[Any] = pipe.execute(raise_on_error)
            return replies
        finally:
            await self.reset()

    async def reset(self) -> None:  # type: ignore[override]
        """Back to an empty pipeline; UNWATCH is sent if this pipeline is watching."""
        self.command_stack = []
        self.scripts = set()
        self.watching = False
        self.explicit_transaction = False
        self._pipe.reset()

