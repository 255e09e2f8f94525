"""Drivers: run a *conversation* (a generator of Redis steps) against a client.

Every operation that talks to Redis is written once, as a generator that
yields steps and receives their replies; it performs no I/O itself. A step is

* a command tuple, e.g. ``("GET", "item.1")``;
* a :class:`~queuesim.scripts.ScriptCall` (one Lua script, atomic);
* a :class:`Batch` of commands and script calls sent in one round trip,
  optionally as one ``MULTI``/``EXEC`` transaction; its reply is the list of replies.

:class:`SyncDriver` runs conversations on ``redis.Redis`` (or fakeredis),
:class:`AsyncDriver` on ``redis.asyncio.Redis``; the simulation driver in
``queuesim.sim`` runs the very same generators in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import redis
import redis.exceptions

from queuesim.scripts import ScriptCall

__all__ = [
    "AsyncDriver",
    "Batch",
    "Command",
    "Conversation",
    "RecordingDriver",
    "Step",
    "SyncDriver",
    "run",
    "run_async",
]

T = TypeVar("T")

#: A single Redis command as a tuple of its words.
Command: TypeAlias = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Batch:
    """Several commands sent in one round trip; the reply is the list of their replies.

    With ``atomic=True`` they run as one ``MULTI``/``EXEC`` transaction, so no
    other client's command can land between them.
    """

    steps: tuple[Command | ScriptCall, ...]
    atomic: bool = False

    @classmethod
    def of(cls, steps: Sequence[Command | ScriptCall], *, atomic: bool = False) -> Batch:
        """A batch of ``steps``."""
        return cls(tuple(steps), atomic)


#: What a conversation may yield.
Step: TypeAlias = Command | ScriptCall | Batch
#: A conversation: yields steps, receives replies, returns a result.
Conversation: TypeAlias = Generator[Step, Any, T]


def _is_noscript(exc: BaseException) -> bool:
    return isinstance(exc, redis.exceptions.NoScriptError) or (
        isinstance(exc, redis.exceptions.ResponseError) and str(exc).startswith("NOSCRIPT")
    )


def _drive(conversation: Conversation[T], execute: Callable[[Step], Any]) -> T:
    """Feed each step's reply back into the conversation; errors are thrown into it."""
    try:
        step = next(conversation)
        while True:
            try:
                reply = execute(step)
            except Exception as exc:  # the conversation may handle it (e.g. WatchError)
                step = conversation.throw(exc)
            else:
                step = conversation.send(reply)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


class SyncDriver:
    """Runs conversations on a synchronous ``redis.Redis`` client (real, cluster or fakeredis)."""

    __slots__ = ("_loaded", "client")

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        #: SHAs this driver has loaded into the server (scripts sent inside pipelines must be there)
        self._loaded: set[str] = set()

    def __repr__(self) -> str:
        return f"<SyncDriver {self.client!r}>"

    def run(self, conversation: Conversation[T]) -> T:
        """Run ``conversation`` to the end and return its result."""
        return _drive(conversation, self.execute)

    def execute(self, step: Step) -> Any:
        """Send one step and return its reply."""
        if isinstance(step, ScriptCall):
            return self._script(step)
        if isinstance(step, Batch):
            return self._batch(step)
        return self.client.execute_command(*step)

    def _script(self, call: ScriptCall) -> Any:
        try:
            return self.client.execute_command(*call.command())
        except redis.exceptions.ResponseError as exc:
            if not _is_noscript(exc):
                raise
        self.client.execute_command("SCRIPT", "LOAD", call.script.source)
        return self.client.execute_command(*call.command())

    def _batch(self, batch: Batch) -> list[Any]:
        for call in batch.steps:
            if isinstance(call, ScriptCall) and call.script.sha not in self._loaded:
                self.client.execute_command("SCRIPT", "LOAD", call.script.source)
                self._loaded.add(call.script.sha)
        pipe = self.client.pipeline(transaction=batch.atomic)
        for s in batch.steps:
            pipe.execute_command(*(s.command() if isinstance(s, ScriptCall) else s))
        replies: list[Any] = pipe.execute(raise_on_error=False)
        for i, reply in enumerate(replies):
            if isinstance(reply, Exception) and _is_noscript(reply):
                # The server lost its scripts (SCRIPT FLUSH, restart) since we loaded them:
                # that step did not run, so run it again on its own.
                self._loaded.clear()
                replies[i] = self._script(batch.steps[i])  # type: ignore[arg-type]
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies


class AsyncDriver:
    """Runs conversations on an asyncio client (``redis.asyncio.Redis`` or fakeredis's)."""

    __slots__ = ("_loaded", "client")

    def __init__(self, client: Any) -> None:
        self.client = client
        self._loaded: set[str] = set()

    def __repr__(self) -> str:
        return f"<AsyncDriver {self.client!r}>"

    async def run(self, conversation: Conversation[T]) -> T:
        """Run ``conversation`` to the end and return its result."""
        try:
            step = next(conversation)
            while True:
                try:
                    reply = await self.execute(step)
                except Exception as exc:
                    step = conversation.throw(exc)
                else:
                    step = conversation.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def execute(self, step: Step) -> Any:
        """Send one step and return its reply."""
        if isinstance(step, ScriptCall):
            return await self._script(step)
        if isinstance(step, Batch):
            for call in step.steps:
                if isinstance(call, ScriptCall) and call.script.sha not in self._loaded:
                    await self.client.execute_command("SCRIPT", "LOAD", call.script.source)
                    self._loaded.add(call.script.sha)
            pipe = self.client.pipeline(transaction=step.atomic)
            for s in step.steps:
                pipe.execute_command(*(s.command() if isinstance(s, ScriptCall) else s))
            replies: list[Any] = await pipe.execute(raise_on_error=False)
            for i, reply in enumerate(replies):
                if isinstance(reply, Exception) and _is_noscript(reply):
                    self._loaded.clear()
                    replies[i] = await self._script(step.steps[i])  # type: ignore[arg-type]
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
            return replies
        return await self.client.execute_command(*step)

    async def _script(self, call: ScriptCall) -> Any:
        try:
            return await self.client.execute_command(*call.command())
        except redis.exceptions.ResponseError as exc:
            if not _is_noscript(exc):
                raise
        await self.client.execute_command("SCRIPT", "LOAD", call.script.source)
        return await self.client.execute_command(*call.command())


class RecordingDriver(SyncDriver):
    """A sync driver that also records every step it sends (for tests and teaching)."""

    __slots__ = ("steps",)

    def __init__(self, client: redis.Redis) -> None:
        super().__init__(client)
        self.steps: list[Step] = []

    def execute(self, step: Step) -> Any:
        """Record ``step``, then send it."""
        self.steps.append(step)
        return super().execute(step)

    def commands(self) -> list[str]:
        """The command names sent so far, with script calls shown as ``EVALSHA <name>``."""
        out: list[str] = []
        for step in self.steps:
            if isinstance(step, ScriptCall):
                out.append(f"EVALSHA {step.script.name}")
            elif isinstance(step, Batch):
                out.append("MULTI" if step.atomic else "PIPELINE")
            else:
                out.append(str(step[0]).upper())
        return out


def run(client: redis.Redis, conversation: Conversation[T]) -> T:
    """Run ``conversation`` on a sync client (shorthand for ``SyncDriver(client).run``)."""
    return SyncDriver(client).run(conversation)


async def run_async(client: Any, conversation: Conversation[T]) -> T:
    """Run ``conversation`` on an asyncio client (shorthand for ``AsyncDriver(client).run``)."""
    return await AsyncDriver(client).run(conversation)
