"""QueueSystem.submit: enqueue without waiting, at once when round trips take no time."""

from __future__ import annotations

from queuesim.drivers import SyncDriver
from queuesim.queue import conversations as conv
from queuesim.queue.record import DEFAULT_FIELDS
from queuesim.sim.system import QueueSystem


def _inactive(system: QueueSystem) -> int:
    return SyncDriver(system.store).run(conv.counts(system.keys))["inactive"]


def test_submit_without_latency_enqueues_before_returning() -> None:
    system = QueueSystem(seed=1)
    system.submit([("1", DEFAULT_FIELDS), ("2", DEFAULT_FIELDS)])
    assert _inactive(system) == 2  # no simulated time passed, no process was needed
    assert system.producer.stats.round_trips == 1


def test_submit_with_latency_runs_as_a_process() -> None:
    system = QueueSystem(seed=1, rtt_ms=10.0)
    system.submit([("1", DEFAULT_FIELDS)])
    assert _inactive(system) == 0  # the request is still on the network
    system.env.run()
    assert _inactive(system) == 1
    assert system.env.now > 0
