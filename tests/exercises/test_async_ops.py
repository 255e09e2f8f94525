"""Exercise 2-redis_op_async: identical output with redis.asyncio."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import redis

from queuesim.connection import connect_async
from queuesim.errors import ConnectionFailed
from queuesim.exercises import async_ops
from queuesim.exercises.async_ops import (
    display_school_value_async,
    redis_client_async,
    set_new_school_async,
)

EXERCISE_OUTPUT = """\
Redis client connected to the server
School
Reply: OK
100
"""


def test_exercise_output_is_exact(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert async_ops.main() == 0
    assert capsys.readouterr().out == EXERCISE_OUTPUT
    assert store.get("HolbertonSanFrancisco") == "100"


def test_async_twins(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    async def go() -> str | None:
        client = connect_async()
        try:
            await set_new_school_async("HolbertonLagos", 7, client=client)
            return await display_school_value_async("HolbertonLagos", client=client)
        finally:
            await client.aclose()

    assert asyncio.run(go()) == "7"
    assert capsys.readouterr().out == "Reply: OK\n7\n"
    assert store.get("HolbertonLagos") == "7"


class NoCommands:
    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a command was sent: {args}")


@pytest.mark.parametrize(("name", "value"), [(1, "x"), ("", "x"), ("ok", 2.5), ("ok", None)])
def test_bad_input_raises_before_any_command(name: Any, value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        asyncio.run(set_new_school_async(name, value, client=NoCommands()))


def test_failed_async_connection_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"redis://:pw@127.0.0.1:{port}/0"
    with pytest.raises(ConnectionFailed, match=r"redis://:\*\*\*@127\.0\.0\.1"):
        asyncio.run(redis_client_async(url, attempts=2, backoff=0.01))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("Redis client not connected to the server: ") for line in lines)
