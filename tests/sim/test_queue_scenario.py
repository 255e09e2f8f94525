"""The queue scenario: the real queue logic in virtual time, against queueing theory."""

from __future__ import annotations

import json

import pytest

from queuesim.cli import main
from queuesim.sim.queue_scenario import QueueConfig, run_queue_replication, simulate_queue, theory_for

SMALL = QueueConfig(arrival_rate=0.8, service_rate=1.0, workers=1, jobs=300, warmup=30)


def test_same_seed_same_result_bit_for_bit() -> None:
    a = simulate_queue(SMALL, seed=7, replications=2)
    b = simulate_queue(SMALL, seed=7, replications=2)
    assert a.to_json() == b.to_json()
    assert simulate_queue(SMALL, seed=8, replications=2).to_json() != a.to_json()


def test_output_obeys_littles_law() -> None:
    run = run_queue_replication(QueueConfig(1.5, 1.0, 2, jobs=600, warmup=60), seed=3)
    lam_eff = run.throughput
    assert run.mean_queue_length == pytest.approx(lam_eff * run.mean_wait, rel=0.1)
    assert 0 < run.utilization < 1


def test_every_arrival_is_served_or_blocked() -> None:
    cfg = QueueConfig(3.0, 1.0, 2, capacity=3, jobs=400, warmup=40)
    run = run_queue_replication(cfg, seed=2)
    assert run.blocking > 0.2  # offered load 3 Erlangs on 2 servers with room for 1 more
    assert run.jobs + round(run.blocking * (cfg.jobs - cfg.warmup)) == cfg.jobs - cfg.warmup


def test_real_queue_round_trips_are_counted() -> None:
    run = run_queue_replication(SMALL, seed=1)
    assert 2.0 <= run.round_trips_per_job <= 3.5  # enqueue, claim, finish+claim batched


def test_a_worker_busy_when_the_stall_check_falls_due_does_not_spin() -> None:
    # long jobs (mean 100 s) outlast the 5 s stall-check timer many times over; the
    # dispatcher must keep advancing virtual time instead of looping at one instant
    cfg = QueueConfig(0.009, 0.01, 1, jobs=40, warmup=4)
    run = run_queue_replication(cfg, seed=4)
    assert run.jobs == 36


def test_theory_is_chosen_by_model() -> None:
    assert theory_for(QueueConfig(0.5, 1.0, 1)).model == "M/M/1"  # type: ignore[union-attr]
    assert theory_for(QueueConfig(1.0, 1.0, 2)).model.startswith("M/M/")  # type: ignore[union-attr]
    assert theory_for(QueueConfig(0.5, 1.0, 1, service="det")).model == "M/D/1"  # type: ignore[union-attr]
    approximation = theory_for(QueueConfig(0.5, 1.0, 2, service="det"))
    assert approximation is not None
    assert (approximation.model, approximation.exact) == ("M/D/2 (Allen–Cunneen approximation)", False)
    assert theory_for(QueueConfig(0.5, 1.0, 2, service="det", capacity=5)) is None
    assert theory_for(QueueConfig(2.0, 1.0, 1)) is None  # unstable: no steady state


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"arrival_rate": 0}, "arrival rate must be a positive"),
        ({"workers": 0}, "workers must be an int"),
        ({"warmup": 400}, "warmup .* must be smaller than jobs"),
        ({"service": "gamma"}, "service must be one of"),
        ({"capacity": 0}, "capacity must be an int"),
    ],
)
def test_config_errors(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"arrival_rate": 0.5, "service_rate": 1.0, "jobs": 300, "warmup": 30}
    with pytest.raises(ValueError, match=message):
        QueueConfig(**{**base, **kwargs})  # type: ignore[arg-type]


def test_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "queue", "--arrival-rate", "1.5", "--service-rate", "1", "--workers", "2",
                 "--capacity", "4", "--jobs", "300", "--warmup", "30", "--replications", "2", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("mean_wait", "mean_wait_ci", "p_wait", "mean_queue_length", "utilization", "throughput",
                "blocking", "theory"):
        assert key in out
    assert out["theory"]["model"].startswith("M/M/2/4")


def test_cli_table_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "queue", "--arrival-rate", "0.5", "--service-rate", "1", "--jobs", "200",
                 "--warmup", "20", "--replications", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "| mean wait in queue (Wq) |" in out
    assert "theory: M/M/1" in out
    assert main(["simulate", "queue", "--arrival-rate", "-1", "--service-rate", "1"]) == 2
    assert "arrival rate must be a positive" in capsys.readouterr().err


def test_the_verdict_is_whether_each_interval_covers_theory(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "queue", "--arrival-rate", "0.8", "--service-rate", "1", "--service", "det",
            "--jobs", "5000", "--warmup", "500", "--replications", "10", "--no-progress"]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    low, high = out["mean_wait_ci"]
    assert out["theory_in_ci"]["mean_wait"] is (low <= out["theory"]["mean_wait"] <= high)
    assert set(out["theory_in_ci"]) == {"mean_wait", "p_wait", "mean_queue_length", "utilization", "throughput",
                                        "mean_time_in_system"}
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "| metric | simulated | 95% CI | theory | theory in the 95% CI? |" in table
    wait_row = next(line for line in table.splitlines() if line.startswith("| mean wait in queue (Wq) |"))
    assert wait_row.endswith("| yes |" if out["theory_in_ci"]["mean_wait"] else "| no |")
    misses = sum(not hit for hit in out["theory_in_ci"].values())
    if misses:
        assert f"{misses} interval(s) miss the theoretical value; a correct simulation's 95% intervals miss" in table
    else:
        assert "every 95% interval covers the theoretical value" in table


def test_an_approximate_theory_is_said_to_be_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "queue", "--arrival-rate", "1.6", "--service-rate", "1", "--workers", "2",
                 "--service", "lognormal", "--service-cv", "2", "--jobs", "300", "--warmup", "30",
                 "--replications", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "theory: M/G/2 (Allen–Cunneen approximation)" in out
    assert "theory here is an approximation, not an exact value" in out


def test_theory_covered_is_empty_without_theory() -> None:
    result = simulate_queue(QueueConfig(2.0, 1.0, 1, jobs=200, warmup=20), seed=1, replications=2)
    assert result.theory is None
    assert result.theory_covered() == {}
    assert result.to_dict()["theory_in_ci"] == {}
