"""The trace's text: commands, replies, the interleaved table and the JSON entries."""

from __future__ import annotations

import redis

from queuesim.race import TraceEntry, format_trace
from queuesim.race.trace import entry_dict, format_command, format_reply, format_value, preemptions


def _entry(client: int, at: float, command: tuple[object, ...], reply: object, ok: bool = True) -> TraceEntry:
    return TraceEntry(client, "command", (command,), at - 0.0005, at, at + 0.0005, ok, reply)


def test_commands_and_replies_as_text() -> None:
    assert format_command("command", [("GET", "item.1")]) == "GET item.1"
    assert format_command("transaction", [("MULTI",), ("SET", "k", 3), ("EXEC",)]) == "MULTI; SET k 3; EXEC"
    assert format_command("pipeline", [("GET", "a"), ("GET", "b")]) == "[GET a; GET b]"
    assert format_command("command", [("SET", "k", "two words")]) == "SET k 'two words'"
    evalsha = format_command("command", [("EVALSHA", "0123456789abcdef" * 2 + "01234567", 1, "k")])
    assert evalsha == "EVALSHA 012345678… 1 k"
    source = format_command("command", [("SCRIPT LOAD", "local n = redis.call('GET', KEYS[1]) return n")])
    assert source.startswith("SCRIPT LOAD \"local n = red")
    assert source.endswith("…")
    assert len(source) < 32
    assert format_reply(True, "4") == "'4'"
    assert format_reply(True, None) == "None"
    assert format_reply(False, redis.WatchError("Watched variable changed.")) == "WatchError: Watched variable changed."
    assert format_value("x" * 30).endswith("…")
    assert len(format_value("x" * 30)) == 24
    assert format_value(b"raw") == "b'raw'"


def test_the_table_has_a_column_per_client_in_execution_order() -> None:
    trace = [_entry(0, 0.0005, ("GET", "k"), "4"), _entry(1, 0.0007, ("GET", "k"), "4"),
             _entry(1, 0.0015, ("SET", "k", 3), True), _entry(0, 0.002, ("SET", "k", 3), True)]
    lines = format_trace(trace).splitlines()
    assert lines[0].split() == ["t", "(ms)", "client", "0", "client", "1"]
    assert lines[1].startswith("   0.500  GET k → '4'")
    column = lines[0].index("client 1")
    assert lines[2][column:].startswith("GET k → '4'")
    assert lines[2][10:column].strip() == ""
    assert lines[4].startswith("   2.000  SET k 3 → True")
    assert preemptions(trace) == 1
    assert format_trace([]) == "(no commands)"


def test_the_table_shows_the_store_when_recorded() -> None:
    entry = _entry(0, 0.001, ("SET", "k", 3), True)
    entry.state = {"k": "3"}
    text = format_trace([entry], initial={"k": "4"})
    assert text.splitlines()[1].split() == ["setup", "k=4"]
    assert text.splitlines()[2].endswith("k=3")


def test_json_entries() -> None:
    entry = _entry(1, 0.0015, ("SET", "k", 3), True)
    assert entry_dict(entry) == {"client": 1, "t": 1.5, "command": "SET k 3", "reply": "True", "sent": 1.0,
                                 "received": 2.0, "error": False}
