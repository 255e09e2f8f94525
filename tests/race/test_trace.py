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


def test_a_set_reply_reads_the_same_whatever_the_string_hashing() -> None:
    # redis-py gives SMEMBERS as a Python set, which iterates in the order of the process's string hashing: the
    # trace (and the JSON) of one seed differed from one process to the next
    members = {f"member-{n}" for n in range(20)}
    expected = "{" + ", ".join(repr(m) for m in sorted(members)) + "}"
    assert format_reply(True, members, limit=1000) == expected
    assert format_reply(True, [members, {"b": {"y", "x"}}], limit=2000) == f"[{expected}, {{'b': {{'x', 'y'}}}}]"
    assert format_reply(True, {b"b", b"a"}) == "{b'a', b'b'}"
    assert format_reply(True, set()) == "set()"


def test_a_store_too_long_for_a_line_is_shown_as_what_each_command_changed() -> None:
    initial = {"available_seats": "3", "queue:reserve_seat": "['0', '1', '2', '3']", "reservation_enabled": "1"}
    first = _entry(0, 0.0005, ("LPOP", "queue:reserve_seat"), "0")
    first.state = {**initial, "queue:reserve_seat": "['1', '2', '3']"}
    second = _entry(0, 0.0015, ("GET", "available_seats"), "3")
    second.state = dict(first.state)
    third = _entry(0, 0.0025, ("SET", "reservation_enabled", 0), True)
    third.state = {**first.state, "reservation_enabled": "0"}
    lines = format_trace([first, second, third], initial=initial).splitlines()
    assert lines[0].endswith("store: what changed")
    assert lines[1].endswith("reservation_enabled=1")  # the setup row in full, never cut
    assert lines[2].split("  ")[-1].strip() == "queue:reserve_seat=['1', '2', '3']"
    assert "LPOP queue:reserve_seat → '0'" in lines[2]
    assert lines[3].endswith("GET available_seats → '3'")  # nothing changed
    assert lines[4].split("  ")[-1].strip() == "reservation_enabled=0"
    assert "…" not in "\n".join(lines)
    short = _entry(0, 0.0005, ("SET", "k", 3), True)
    short.state = {"k": "3"}
    assert format_trace([short], initial={"k": "4"}).splitlines()[0].endswith("store after")  # short: whole
