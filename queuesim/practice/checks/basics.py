"""Tasks 1-4: a client that says whether it connected, SET and GET (sync and async), a hash.

The expected lines are docs/SPEC.md's, run on a fresh store seeded as the
course's (``Holberton`` = ``School``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from queuesim.connection import CONNECTED_MESSAGE, NOT_CONNECTED_MESSAGE
from queuesim.exercises.hashes import HOLBERTON_SCHOOLS, SCHOOLS
from queuesim.practice.grading import Grader, need
from queuesim.practice.learner import LearnerError, Outcome
from queuesim.practice.stores import REFUSED, RefusingClient, Runaway, Store

__all__ = ["check_async_operations", "check_client", "check_hashes", "check_operations"]

_REFUSED_LINE = f"{NOT_CONNECTED_MESSAGE}: {REFUSED}"
_SF_LINES = ["School", "Reply: OK", "100"]
_HASH = {city: str(count) for city, count in SCHOOLS.items()}


# --------------------------------------------------------------------------- task 1


def _refused(grader: Grader, func: Callable[..., Any], attempts: int) -> tuple[RefusingClient, Outcome | LearnerError]:
    """Call ``func`` on a server that never answers; its outcome, or the error it ended with."""
    client = RefusingClient(give_up_after=attempts + 20)
    try:
        return client, grader.call(func, client, attempts)
    except LearnerError as error:
        return client, error


def _connection_lines(lines: list[str]) -> str | None:
    if CONNECTED_MESSAGE in lines:
        return "lazy-connect"
    if any(not line.startswith(f"{NOT_CONNECTED_MESSAGE}: ") for line in lines):
        return "not-connected-line"
    return None


def check_client(grader: Grader) -> None:
    """Task 1 (``0-redis_client.py``): connected / not connected lines, bounded retries, then an error."""
    module = grader.load("0-redis_client")
    if module is None:
        return
    with grader.check("a server that answers: prints 'Redis client connected to the server'",
                      "connected-line") as check:
        store = Store()
        client = store.client()
        outcome = grader.call(need(module, "redis_client"), client)
        store.close()
        check.expect([CONNECTED_MESSAGE], outcome.lines)
        check.require(outcome.value is client, "the client given, returned", f"{outcome.value!r}")

    with grader.check("a server that never answers: one 'not connected' line per attempt, with the error's text",
                      "not-connected-line") as check:
        refusing, ended = _refused(grader, need(module, "redis_client"), 3)
        lines = ended.lines
        if isinstance(ended, LearnerError) and isinstance(ended.error, Runaway):
            check.fail("3 attempts", f"{refusing.attempts} attempts, and still trying", "bounded-retries")
        if isinstance(ended, LearnerError) and ended.error is None:
            raise ended  # it hung
        if isinstance(ended, LearnerError) and isinstance(ended.error, NotImplementedError):
            raise ended
        check.expect([_REFUSED_LINE] * 3, lines, diagnose=_connection_lines)

    with grader.check("it tries `attempts` times, no more", "bounded-retries") as check:
        refusing, ended = _refused(grader, need(module, "redis_client"), 2)
        if isinstance(ended, LearnerError) and (ended.error is None or isinstance(ended.error, NotImplementedError)):
            raise ended
        check.require(refusing.attempts == 2, "2 attempts with attempts=2", f"{refusing.attempts} attempts")

    with grader.check("after the last failed attempt it raises the error", "raise-after-retries") as check:
        refusing, ended = _refused(grader, need(module, "redis_client"), 3)
        if isinstance(ended, LearnerError):
            if ended.error is None or isinstance(ended.error, NotImplementedError | Runaway):
                raise ended
        else:
            check.fail("an error raised (redis.exceptions.ConnectionError)", f"it returned {ended.value!r}")


# --------------------------------------------------------------------------- task 2


def _reply_lines(lines: list[str]) -> str | None:
    if "Reply: True" in lines:
        return "reply-ok"
    return None


def _main_lines(lines: list[str]) -> str | None:
    """The order first: ``Reply: True`` for ``Reply: OK`` is named by its own check (the first)."""
    as_ok = ["Reply: OK" if line == "Reply: True" else line for line in lines]
    if as_ok == _SF_LINES:
        return "reply-ok"
    return "call-order"


def check_operations(grader: Grader) -> None:
    """Task 2 (``1-redis_op.py``): ``Reply: OK``, the value, and the three calls in order."""
    module = grader.load("1-redis_op")
    if module is None:
        return
    with grader.check("set_new_school sets the key and prints 'Reply: OK'", "reply-ok") as check:
        store = Store(seeded=True)
        client = store.client()
        outcome = grader.call(need(module, "set_new_school"), client, "HolbertonSanFrancisco", "100")
        check.expect(["Reply: OK"], outcome.lines, diagnose=_reply_lines)
        check.expect("100", client.get("HolbertonSanFrancisco"))
        store.close()
    with grader.check("display_school_value prints the value", "print-value") as check:
        store = Store(seeded=True)
        outcome = grader.call(need(module, "display_school_value"), store.client(), "Holberton")
        check.expect(["School"], outcome.lines)
        store.close()
    with grader.check("main prints School, Reply: OK, 100", "call-order") as check:
        store = Store(seeded=True)
        outcome = grader.call(need(module, "main"), store.client())
        check.expect(_SF_LINES, outcome.lines, diagnose=_main_lines)
        store.close()


# --------------------------------------------------------------------------- task 3


def _awaited(func: Callable[..., Any], store: Store, *args: Any) -> Callable[[], Any]:
    """Run ``func(client, *args)`` in a new event loop, awaiting it if it gives an awaitable."""

    async def scenario() -> Any:
        client = store.async_client()
        try:
            result = func(client, *args)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            await client.aclose()

    def run() -> Any:
        return asyncio.run(scenario())

    run.__name__ = getattr(func, "__name__", "the function")
    return run


def _async_lines(outcome: Outcome) -> Callable[[Any], str | None]:
    def diagnose(lines: Any) -> str | None:
        if any("<coroutine object" in line for line in lines) or any("never awaited" in w for w in outcome.warnings):
            return "await"
        return _reply_lines(lines)

    return diagnose


def check_async_operations(grader: Grader) -> None:
    """Task 3 (``2-redis_op_async.py``): the same output, from coroutine functions that await."""
    module = grader.load("2-redis_op_async")
    if module is None:
        return
    with grader.check("set_new_school, display_school_value and main are coroutine functions (async def)",
                      "async-def") as check:
        plain = [name for name in ("set_new_school", "display_school_value", "main")
                 if not inspect.iscoroutinefunction(need(module, name))]
        check.require(not plain, "async def for all three", f"not async: {', '.join(plain)}")
    with grader.check("set_new_school sets the key and prints 'Reply: OK'", "await") as check:
        store = Store(seeded=True)
        outcome = grader.call(_awaited(need(module, "set_new_school"), store, "HolbertonSanFrancisco", "100"))
        check.expect(["Reply: OK"], outcome.lines, diagnose=_async_lines(outcome))
        check.expect("100", store.client().get("HolbertonSanFrancisco"))
        store.close()
    with grader.check("display_school_value prints the value", "await") as check:
        store = Store(seeded=True)
        outcome = grader.call(_awaited(need(module, "display_school_value"), store, "Holberton"))
        check.expect(["School"], outcome.lines, diagnose=_async_lines(outcome))
    with grader.check("main prints School, Reply: OK, 100", "call-order") as check:
        store = Store(seeded=True)
        outcome = grader.call(_awaited(need(module, "main"), store))
        check.expect(_SF_LINES, outcome.lines, diagnose=_async_lines(outcome))


# --------------------------------------------------------------------------- task 4


def _hash_lines(lines: Any) -> str | None:
    if len(lines) == 1 and lines[0].startswith("Reply: ") and lines[0] != "Reply: 1":
        return "hset-per-field"
    if lines and all(line == "Reply: 1" for line in lines):
        return "hset-reply"
    if lines and "{" in lines[-1] and ": 50" in lines[-1]:
        return "strings"
    return None


def check_hashes(grader: Grader) -> None:
    """Task 4 (``4-redis_advanced_op.py``): one HSET per field with its reply, then HGETALL."""
    module = grader.load("4-redis_advanced_op")
    if module is None:
        return
    create_lines = ["Reply: 1"] * len(SCHOOLS)
    with grader.check("create_hash sets the six fields, one HSET each, printing 'Reply: 1' for each",
                      "hset-per-field") as check:
        store = Store()
        client = store.client()
        outcome = grader.call(need(module, "create_hash"), client)
        check.expect(create_lines, outcome.lines, diagnose=_hash_lines)
        check.expect(_HASH, client.hgetall(HOLBERTON_SCHOOLS))
        store.close()
    with grader.check("run again, each HSET answers 0: 'Reply: 0' six times", "hset-reply") as check:
        store = Store()
        client = store.client()
        for city, count in SCHOOLS.items():
            client.hset(HOLBERTON_SCHOOLS, city, count)
        outcome = grader.call(need(module, "create_hash"), client)
        check.expect(["Reply: 0"] * len(SCHOOLS), outcome.lines, diagnose=_hash_lines)
        store.close()
    with grader.check("display_hash prints the hash as a dict of strings", "strings") as check:
        store = Store()
        client = store.client()
        for city, count in SCHOOLS.items():
            client.hset(HOLBERTON_SCHOOLS, city, count)
        outcome = grader.call(need(module, "display_hash"), client)
        check.expect([str(_HASH)], outcome.lines, diagnose=_hash_lines)
        store.close()
    with grader.check("main creates the hash, then displays it", "hset-per-field") as check:
        store = Store()
        outcome = grader.call(need(module, "main"), store.client())
        check.expect([*create_lines, str(_HASH)], outcome.lines, diagnose=_hash_lines)
        store.close()
