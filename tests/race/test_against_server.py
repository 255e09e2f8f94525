"""The simulation against a server (fakeredis, and the real Redis when REDIS_URL is set).

A recorded interleaving, sent command by command over one connection per client
to a server, gets the replies the simulation recorded: the simulated store and
the bridge answer as a server does. And the examples that the finder passes hold
live under many threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import redis

from queuesim.race import Load, run
from queuesim.race.examples import stock


def _contended_run() -> Any:
    load = Load(stock.reserve_watch, clients=4, setup=stock.setup, invariant=stock.check)
    for seed in range(1, 200):
        result = run(load, seed=seed, record_state=True)
        if any(e.reply_text.startswith("WatchError") for e in result.trace):
            return result
    raise AssertionError("no seed gave a contended run")


def test_a_recorded_interleaving_gets_the_same_replies_from_a_server(redis_factory: Callable[[], redis.Redis]) -> None:
    recorded = _contended_run()
    first = redis_factory()
    stock.setup(first)
    clients = [redis_factory() for _ in range(4)]
    connections = [c.connection_pool.get_connection() for c in clients]
    try:
        for entry in recorded.trace:
            client, connection = clients[entry.client], connections[entry.client]
            if entry.kind == "command":
                [args] = entry.commands
                connection.send_command(*args)
                reply = client.parse_response(connection, args[0])
                assert (entry.ok, entry.reply) == (True, reply), entry.command
                continue
            assert entry.kind == "transaction"
            for args in entry.commands:
                connection.send_command(*args)
            replies = [connection.read_response() for _ in entry.commands]
            if entry.ok:
                assert replies[-1] is not None, entry.command
                assert len(replies[-1]) == len(entry.reply)
            else:  # the simulation aborted it: the server's EXEC answers nil
                assert isinstance(entry.reply, redis.WatchError)
                assert replies[-1] is None
        assert first.get(stock.KEY) == recorded.trace[-1].state[stock.KEY]
        assert stock.check(first, recorded.results) is True
    finally:
        for c, connection in zip(clients, connections, strict=True):
            c.connection_pool.release(connection)


@pytest.mark.parametrize("target", [stock.reserve_watch, stock.reserve_lua], ids=["watch", "lua"])
def test_what_the_finder_passes_holds_live_under_threads(target: Any,
                                                         redis_factory: Callable[[], redis.Redis]) -> None:
    first = redis_factory()
    stock.setup(first)
    clients = [redis_factory() for _ in range(16)]
    results: list[Any] = [None] * len(clients)
    start = threading.Barrier(len(clients))

    def buyer(i: int) -> None:
        start.wait()
        results[i] = target(clients[i], i)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert stock.check(first, results) is True
    assert results.count(True) == stock.INITIAL_STOCK
