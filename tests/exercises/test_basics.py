"""Exercises 0-redis_client and 1-redis_op: exact outputs, and bad input sends nothing."""

from __future__ import annotations

from typing import Any

import pytest
import redis

import queuesim
from queuesim.exercises import basics, client
from queuesim.exercises.basics import display_school_value, reply_line, set_new_school

EXERCISE_1_OUTPUT = """\
Redis client connected to the server
School
Reply: OK
100
"""


class NoCommands:
    """A stand-in client that fails the test if any command reaches it."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a command was sent: {args}")


def test_redis_client_prints_connected(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert client.main() == 0
    assert capsys.readouterr().out == "Redis client connected to the server\n"


def test_redis_client_returns_a_working_client(
    store: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    c = queuesim.redis_client()
    assert c.get("Holberton") == "School"
    c.close()


def test_exercise_output_is_exact(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert basics.main() == 0
    assert capsys.readouterr().out == EXERCISE_1_OUTPUT
    assert store.get("HolbertonSanFrancisco") == "100"


def test_set_and_display(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    set_new_school("HolbertonParis", 42, client=store)
    assert display_school_value("HolbertonParis", client=store) == "42"
    assert capsys.readouterr().out == "Reply: OK\n42\n"


def test_missing_school_displays_none(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert display_school_value("NoSuchSchool", client=store) is None
    assert capsys.readouterr().out == "None\n"


def test_bytes_client_prints_text(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    raw = queuesim.connect(decode_responses=False)
    assert display_school_value("Holberton", client=raw) == "School"
    assert capsys.readouterr().out == "School\n"
    raw.close()


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        pytest.param(42, "x", TypeError, "school name must be a string, not int", id="int-name"),
        pytest.param(None, "x", TypeError, "school name must be a string, not NoneType", id="none-name"),
        pytest.param(b"Holberton", "x", TypeError, "not bytes", id="bytes-name"),
        pytest.param("", "x", ValueError, "school name must not be empty", id="empty-name"),
        pytest.param("Holberton", 1.5, TypeError, "string or an integer, not float", id="float-value"),
        pytest.param("Holberton", None, TypeError, "not NoneType", id="none-value"),
        pytest.param("Holberton", True, TypeError, "not bool", id="bool-value"),
        pytest.param("Holberton", ["a"], TypeError, "not list", id="list-value"),
    ],
)
def test_bad_input_raises_before_any_command(
    name: Any, value: Any, error: type[Exception], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(error, match=message):
        set_new_school(name, value, client=NoCommands())  # type: ignore[arg-type]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name", [7, "", None])
def test_display_bad_name_sends_nothing(name: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        display_school_value(name, client=NoCommands())  # type: ignore[arg-type]


def test_bad_input_leaves_the_store_alone(store: redis.Redis) -> None:
    before = store.dbsize()
    with pytest.raises(TypeError):
        set_new_school("Holberton", {"not": "a value"}, client=store)  # type: ignore[arg-type]
    assert store.get("Holberton") == "School"
    assert store.dbsize() == before


@pytest.mark.parametrize(("reply", "line"), [(True, "Reply: OK"), (1, "Reply: 1"), (b"OK", "Reply: OK")])
def test_reply_line_matches_node_redis_print(reply: Any, line: str) -> None:
    assert reply_line(reply) == line
