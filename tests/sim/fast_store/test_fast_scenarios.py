"""The simulation scenarios give the same results, seed for seed, on FastStore as on fakeredis."""

from __future__ import annotations

from typing import Any

import pytest

import queuesim.sim.race_scenario as race_module
from queuesim.sim.crash_scenario import CrashConfig, simulate_crash
from queuesim.sim.fast_store import fast_store
from queuesim.sim.queue_scenario import QueueConfig, run_queue_replication
from queuesim.sim.race_scenario import RaceConfig, simulate_race
from queuesim.sim.retries_scenario import RetriesConfig, simulate_retries
from queuesim.sim.store import SimStore
from queuesim.sim.system import default_store, fakeredis_store


@pytest.mark.parametrize("seed", [1, 2])
def test_queue_scenario(seed: int) -> None:
    config = QueueConfig(1.6, 1.0, 2, jobs=300, warmup=30)
    expected = run_queue_replication(config, seed=seed, store=fakeredis_store)
    assert run_queue_replication(config, seed=seed, store=fast_store) == expected
    assert run_queue_replication(config, seed=seed, store=default_store) == expected  # FastStore by default


def test_crash_and_retries_scenarios() -> None:
    crash = CrashConfig(jobs=60, workers=2, kill_rate=0.05)
    assert simulate_crash(crash, seed=4, store=fast_store) == simulate_crash(crash, seed=4, store=fakeredis_store)
    retries = RetriesConfig(jobs=120, failure_probability=0.4)
    assert simulate_retries(retries, seed=4, store=fast_store) == simulate_retries(retries, seed=4,
                                                                                   store=fakeredis_store)


@pytest.mark.parametrize("strategy", ["naive", "watch", "atomic"])
def test_race_scenario(strategy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = RaceConfig(strategy=strategy, clients=80, stock=20, rtt_ms=2.0, think_ms=1.0)
    on_fast = simulate_race(config, seed=5)  # the scenario's default store

    def fakeredis_sim_store(clock: Any, backend: str = "fakeredis") -> SimStore:
        return SimStore(clock)

    monkeypatch.setattr(race_module, "SimStore", fakeredis_sim_store)
    assert simulate_race(config, seed=5) == on_fast
