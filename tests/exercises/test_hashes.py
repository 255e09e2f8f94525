"""Exercise 4-redis_advanced_op: one HSET per field, then HGETALL."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from queuesim.exercises import hashes
from queuesim.exercises.hashes import display_hash, set_hash_field

MAPPING_LINE = (
    "{'Portland': '50', 'Seattle': '80', 'New York': '20', 'Bogota': '20', 'Cali': '40', 'Paris': '2'}"
)


def test_first_run_output_is_exact(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert hashes.main() == 0
    expected = ["Redis client connected to the server", *["Reply: 1"] * 6, MAPPING_LINE]
    assert capsys.readouterr().out.splitlines() == expected


def test_rerun_replies_zero(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    hashes.main()
    capsys.readouterr()
    hashes.main()
    expected = ["Redis client connected to the server", *["Reply: 0"] * 6, MAPPING_LINE]
    assert capsys.readouterr().out.splitlines() == expected
    assert store.hgetall("HolbertonSchools")["Paris"] == "2"


def test_field_functions(store: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert set_hash_field("h", "a", 1, client=store) == 1
    assert set_hash_field("h", "a", "2", client=store) == 0
    assert display_hash("h", client=store) == {"a": "2"}
    assert display_hash("missing", client=store) == {}
    assert capsys.readouterr().out == "Reply: 1\nReply: 0\n{'a': '2'}\n{}\n"


@pytest.mark.parametrize(
    ("key", "field", "value"),
    [(1, "f", 1), ("k", None, 1), ("k", "", 1), ("", "f", 1), ("k", "f", 2.0), ("k", "f", False)],
)
def test_bad_input_leaves_the_hash_alone(store: redis.Redis, key: Any, field: Any, value: Any) -> None:
    store.hset("k", "f", "kept")
    with pytest.raises((TypeError, ValueError)):
        set_hash_field(key, field, value, client=store)
    assert store.hgetall("k") == {"f": "kept"}
