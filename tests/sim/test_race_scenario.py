"""The flash-sale race in virtual time: safe strategies never oversell, naive does under load."""

from __future__ import annotations

import json

import pytest

from queuesim.cli import main
from queuesim.sim.race_scenario import RaceConfig, simulate_race, sweep_race


@pytest.mark.parametrize("strategy", ["watch", "atomic"])
def test_invariant_holds_for_safe_strategies_across_30_seeds(strategy: str) -> None:
    for seed in range(30):
        r = simulate_race(RaceConfig(strategy, clients=40, stock=10, arrival_rate=5000, rtt_ms=1.0), seed=seed)
        assert r.invariant_holds, (seed, r)
        assert (r.confirmed, r.oversold, r.final_stock) == (10, 0, 0)


def test_naive_oversells_at_high_load_and_not_at_low_load() -> None:
    busy = simulate_race(RaceConfig("naive", clients=100, stock=20, arrival_rate=10_000, rtt_ms=1.0), seed=1)
    assert busy.oversold > 0
    assert not busy.invariant_holds
    quiet = simulate_race(RaceConfig("naive", clients=30, stock=20, arrival_rate=1, rtt_ms=1.0), seed=1)
    assert quiet.oversold == 0  # buyers a second apart never overlap a 1 ms window


def test_no_latency_no_race() -> None:
    r = simulate_race(RaceConfig("naive", clients=50, stock=10, arrival_rate=10_000, rtt_ms=0.0), seed=1)
    assert r.invariant_holds  # the simulation is cooperative: without latency nothing interleaves


def test_same_seed_same_sale_and_common_random_numbers() -> None:
    cfg = RaceConfig("naive", clients=60, stock=10, arrival_rate=3000)
    assert simulate_race(cfg, seed=4).to_json() == simulate_race(cfg, seed=4).to_json()


def test_sweep_oversell_grows_with_load_and_watch_retries_too() -> None:
    points = sweep_race(["naive", "watch"], [300, 3000], [1.0], clients=60, stock=15, replications=2)
    naive = [p for p in points if p.strategy == "naive"]
    watch = [p for p in points if p.strategy == "watch"]
    assert naive[1].oversold > naive[0].oversold
    assert watch[1].retries > watch[0].retries
    assert all(p.invariant_held == p.replications for p in watch)


def test_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "race", "--strategy", "naive", "--clients", "80", "--stock", "10",
                 "--arrival-rate", "5000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("confirmed", "oversold", "final_stock", "retries"):
        assert key in out
    assert main(["simulate", "race", "--clients", "0"]) == 2
    assert "clients must be" in capsys.readouterr().err
