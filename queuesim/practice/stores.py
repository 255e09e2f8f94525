"""The stores checks run on: a fresh embedded store per scenario, and clients that misbehave on purpose.

Every scenario starts from an empty store of its own (a fakeredis server in
this process), so a check gives the same verdict on every run, whatever the
learner's earlier runs, ``REDIS_URL`` or the process-wide embedded store hold.
"""

from __future__ import annotations

import threading
from typing import Any

import fakeredis
import redis
import redis.exceptions

from queuesim.exercises.seed import seed_store

__all__ = ["REFUSED", "RefusingClient", "Runaway", "ScriptFailingClient", "Store"]

#: The error text a refused connection gives (redis-py's wording), used by :class:`RefusingClient`.
REFUSED = "Error 111 connecting to 127.0.0.1:6379. Connection refused."


class Store:
    """A fresh, private embedded store and the clients made on it (closed together)."""

    def __init__(self, *, seeded: bool = False) -> None:
        self.server = fakeredis.FakeServer()
        self._clients: list[Any] = []
        if seeded:
            seed_store(self.client())

    def __repr__(self) -> str:
        return f"<Store {len(self._clients)} clients>"

    def client(self) -> redis.Redis:
        """A synchronous client answering ``str``."""
        made = fakeredis.FakeRedis(server=self.server, decode_responses=True)
        self._clients.append(made)
        return made

    def async_client(self) -> Any:
        """An asyncio client (``fakeredis.FakeAsyncRedis``) answering ``str``."""
        made = fakeredis.FakeAsyncRedis(server=self.server, decode_responses=True)
        self._clients.append(made)
        return made

    def adopt(self, client: Any) -> Any:
        """Close ``client`` with the store's own."""
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close the synchronous clients (asyncio ones hold no connection outside their loop)."""
        for client in self._clients:
            if isinstance(client, redis.Redis):
                client.close()
        self._clients.clear()


class Runaway(BaseException):
    """Raised by :class:`RefusingClient` after far more attempts than allowed: the code never gives up.

    A ``BaseException``, so that ``except Exception`` in the learner's retry loop does not swallow it.
    """


class RefusingClient(fakeredis.FakeRedis):
    """A client whose server never answers: every command raises redis-py's ``ConnectionError``.

    It counts the attempts; past ``give_up_after`` it raises :class:`Runaway` to end a loop that never stops.
    """

    def __init__(self, give_up_after: int = 50) -> None:
        super().__init__(server=fakeredis.FakeServer(), decode_responses=True)
        self.attempts = 0
        self.give_up_after = give_up_after
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RefusingClient {self.attempts} attempts>"

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Refuse, as a server that is not there."""
        with self._lock:
            self.attempts += 1
            attempts = self.attempts
        if attempts > self.give_up_after:
            raise Runaway(f"still trying after {self.give_up_after} attempts")
        raise redis.exceptions.ConnectionError(REFUSED)


class ScriptFailingClient(fakeredis.FakeRedis):
    """A client on ``server`` whose script calls (``EVALSHA``, ``EVAL``) fail while :attr:`failing` is set.

    The queue saves a job with a script; plain reads still work. So a check can make
    *saving* a job fail, and see what a service answers then.
    """

    def __init__(self, server: fakeredis.FakeServer) -> None:
        super().__init__(server=server, decode_responses=True)
        self.failing = False

    def __repr__(self) -> str:
        return f"<ScriptFailingClient failing={self.failing}>"

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run the command, unless it runs a script while failing."""
        if self.failing and str(args[0]).upper() in {"EVALSHA", "EVAL", "EVALSHA_RO", "EVAL_RO"}:
            raise redis.exceptions.ConnectionError("Connection reset by peer (made to fail by the check)")
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
