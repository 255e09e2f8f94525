"""The flash-sale race in virtual time, on the stock and seat services: safe strategies never oversell,
naive does under load."""

from __future__ import annotations

import json
from typing import Any

import pytest

import queuesim.sim.race_scenario as race_module
from queuesim.cli import main
from queuesim.drivers import SyncDriver
from queuesim.sim.race_scenario import RaceConfig, simulate_race, sweep_race
from queuesim.sim.race_services import RACE_SERVICES, race_service
from queuesim.sim.store import SimStore

SERVICES = ["stock", "seats"]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("strategy", ["watch", "atomic"])
def test_invariant_holds_for_safe_strategies_across_30_seeds(strategy: str, service: str) -> None:
    for seed in range(30):
        config = RaceConfig(strategy, clients=40, stock=10, arrival_rate=5000, rtt_ms=1.0, service=service)
        r = simulate_race(config, seed=seed)
        assert r.invariant_holds, (seed, r)
        assert (r.confirmed, r.rejected, r.oversold, r.final_stock) == (10, 30, 0, 0)


@pytest.mark.parametrize("service", SERVICES)
def test_naive_oversells_at_high_load_and_not_at_low_load(service: str) -> None:
    busy = simulate_race(RaceConfig("naive", clients=100, stock=20, arrival_rate=10_000, rtt_ms=1.0,
                                    service=service), seed=1)
    assert busy.oversold > 0
    assert busy.confirmed == busy.config.stock + busy.oversold
    assert not busy.invariant_holds
    quiet = simulate_race(RaceConfig("naive", clients=30, stock=20, arrival_rate=1, rtt_ms=1.0,
                                     service=service), seed=1)
    assert quiet.oversold == 0  # buyers a second apart never overlap a 1 ms window
    assert (quiet.confirmed, quiet.final_stock) == (20, 0)
    assert quiet.invariant_holds


def test_seat_race_runs_the_seat_service_and_switches_reservations_off() -> None:
    # The conversations the buyers run are the seat service's own: its keys, and the switch at 0.
    for strategy in ("naive", "watch", "atomic"):
        store = SimStore(lambda: 0.0)
        driver = SyncDriver(store.client())
        seats = race_service("seats")
        driver.run(seats.reset(2))
        outcomes = [driver.run(seats.attempt(strategy)) for _ in range(3)]
        assert [o.confirmed for o in outcomes] == [True, True, False], strategy
        client = store.client()
        assert (client.get("available_seats"), client.get("reservation_enabled")) == ("0", "0"), strategy
        assert client.get("item.1") is None
        assert driver.run(seats.remaining()) == 0


def test_stock_race_runs_the_stock_service() -> None:
    store = SimStore(lambda: 0.0)
    driver = SyncDriver(store.client())
    stock = race_service("stock")
    driver.run(stock.reset(1))
    assert [driver.run(stock.attempt("atomic")).confirmed for _ in range(2)] == [True, False]
    assert store.client().get("item.1") == "0"
    assert store.client().get("available_seats") is None


@pytest.mark.parametrize("strategy", ["naive", "watch", "atomic"])
def test_seat_race_on_the_fast_store_matches_fakeredis(strategy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = RaceConfig(strategy=strategy, clients=80, stock=20, rtt_ms=2.0, think_ms=1.0, service="seats")
    on_fast = simulate_race(config, seed=5)  # the scenario's default store runs reserve_seat.lua too

    def fakeredis_sim_store(clock: Any, backend: str = "fakeredis") -> SimStore:
        return SimStore(clock)

    monkeypatch.setattr(race_module, "SimStore", fakeredis_sim_store)
    assert simulate_race(config, seed=5) == on_fast


def test_watch_on_seats_pays_for_contention_with_retries() -> None:
    quiet = simulate_race(RaceConfig("watch", clients=60, stock=15, arrival_rate=10, service="seats"), seed=2)
    busy = simulate_race(RaceConfig("watch", clients=60, stock=15, arrival_rate=10_000, service="seats"), seed=2)
    assert quiet.retries == 0
    assert busy.retries > 0
    assert busy.latency_ms["p99"] > quiet.latency_ms["p99"]


def test_no_latency_no_race() -> None:
    r = simulate_race(RaceConfig("naive", clients=50, stock=10, arrival_rate=10_000, rtt_ms=0.0), seed=1)
    assert r.invariant_holds  # the simulation is cooperative: without latency nothing interleaves


@pytest.mark.parametrize("service", SERVICES)
def test_same_seed_same_sale_and_common_random_numbers(service: str) -> None:
    cfg = RaceConfig("naive", clients=60, stock=10, arrival_rate=3000, service=service)
    assert simulate_race(cfg, seed=4).to_json() == simulate_race(cfg, seed=4).to_json()
    assert simulate_race(cfg, seed=4).to_json() != simulate_race(cfg, seed=5).to_json()


def test_sweep_oversell_grows_with_load_and_watch_retries_too() -> None:
    points = sweep_race(["naive", "watch"], [300, 3000], [1.0], clients=60, stock=15, replications=2)
    naive = [p for p in points if p.strategy == "naive"]
    watch = [p for p in points if p.strategy == "watch"]
    assert naive[1].oversold > naive[0].oversold
    assert watch[1].retries > watch[0].retries
    assert all(p.invariant_held == p.replications for p in watch)


def test_seat_sweep_oversell_grows_with_load_and_safe_strategies_hold() -> None:
    points = sweep_race(["naive", "watch", "atomic"], [300, 3000], [1.0], clients=60, stock=15, replications=2,
                        service="seats")
    assert {p.service for p in points} == {"seats"}
    naive = [p for p in points if p.strategy == "naive"]
    assert naive[1].oversold > naive[0].oversold
    assert all(p.invariant_held == p.replications and p.oversold == 0 for p in points if p.strategy != "naive")


def test_unknown_service_is_refused_naming_the_choices() -> None:
    assert RACE_SERVICES == ("stock", "seats")
    with pytest.raises(ValueError, match=r"unknown race service 'seat'; choose one of stock, seats"):
        RaceConfig("atomic", service="seat")
    with pytest.raises(ValueError, match="unknown race service"):
        race_service(["seats"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown race service 'plane'"):
        sweep_race(["atomic"], [100], [1.0], service="plane")
    with pytest.raises(ValueError, match=r"unknown seat strategy 'greedy'; choose one of naive, watch, atomic"):
        RaceConfig("greedy", service="seats")
    with pytest.raises(ValueError, match="seats must be"):
        RaceConfig("atomic", stock=-1, service="seats")


def test_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "race", "--strategy", "naive", "--clients", "80", "--stock", "10",
                 "--arrival-rate", "5000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("confirmed", "oversold", "final_stock", "retries"):
        assert key in out
    assert out["service"] == "stock"
    assert main(["simulate", "race", "--clients", "0"]) == 2
    assert "clients must be" in capsys.readouterr().err


def test_cli_json_contract_on_seats(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "race", "--service", "seats", "--strategy", "naive", "--clients", "80", "--stock", "10",
            "--arrival-rate", "5000", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["service"] == out["config"]["service"] == "seats"
    assert out["scenario"] == "race"
    assert out["oversold"] > 0
    assert out["confirmed"] == 10 + out["oversold"]
    for key in ("confirmed", "rejected", "oversold", "final_stock", "retries", "latency_ms", "invariant_holds"):
        assert key in out
    assert main([*argv[:-1], "--seed", "1", "--json"]) == 0
    assert capsys.readouterr().out == json.dumps(out, sort_keys=True) + "\n"  # default seed is 1: same sale
    assert main(["simulate", "race", "--service", "seats", "--seats", "3", "--clients", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["stock"] == 3  # --seats is --stock's alias
    assert main(["simulate", "race", "--service", "seats", "--strategy", "watch", "--clients", "40",
                 "--seats", "10", "--arrival-rate", "5000"]) == 0
    text = capsys.readouterr().out
    assert "seats service" in text
    assert "seats left 0" in text
    assert "holds" in text


def test_cli_refuses_an_unknown_service(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "race", "--service", "seat"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --service: invalid choice: 'seat'" in err
    assert "stock" in err.split("choose from")[1]
    assert "seats" in err.split("choose from")[1]
