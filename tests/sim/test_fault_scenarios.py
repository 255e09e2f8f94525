"""The crash and retries scenarios: leases make kills harmless; retries cost what probability says."""

from __future__ import annotations

import json

import pytest

from queuesim.cli import main
from queuesim.sim.crash_scenario import CrashConfig, simulate_crash
from queuesim.sim.retries_scenario import RetriesConfig, retries_theory, simulate_retries


def test_with_leases_every_job_completes_despite_kills() -> None:
    r = simulate_crash(CrashConfig(jobs=150, kill_rate=0.05), seed=3)
    assert r.kills > 0
    assert (r.completed, r.failed, r.lost) == (150, 0, 0)
    assert r.executions == 150 + r.reruns
    assert r.reruns > 0  # the jobs in flight at a kill ran again


def test_without_leases_the_same_kills_lose_jobs() -> None:
    cfg = CrashConfig(jobs=150, kill_rate=0.05, leases=False, horizon=600)
    r = simulate_crash(cfg, seed=3)
    assert r.lost > 0
    assert r.reruns == 0  # nothing is ever recovered
    assert (r.completed + r.lost, r.unfinished) == (150, 0)


@pytest.mark.parametrize("leases", [True, False])
def test_the_run_ends_when_no_progress_is_possible(leases: bool) -> None:
    # the run stops on its own, long before the horizon: a longer horizon changes nothing,
    # in particular no kills accrue once every job is complete or lost
    short = simulate_crash(CrashConfig(jobs=150, kill_rate=0.05, leases=leases, horizon=600), seed=3)
    long = simulate_crash(CrashConfig(jobs=150, kill_rate=0.05, leases=leases, horizon=7200), seed=3)
    assert short.makespan < 300
    assert short.unfinished == 0
    assert {**short.to_dict(), "config": None} == {**long.to_dict(), "config": None}


def test_without_leases_kills_and_makespan_compare_with_leases() -> None:
    on = simulate_crash(CrashConfig(jobs=150, kill_rate=0.05), seed=3)
    off = simulate_crash(CrashConfig(jobs=150, kill_rate=0.05, leases=False), seed=3)
    assert off.kills <= 2 * on.kills  # not hundreds of kills piling up until the horizon
    assert off.makespan <= 1.5 * on.makespan


@pytest.mark.parametrize("leases", [True, False])
def test_a_horizon_that_cuts_the_run_short_leaves_jobs_unfinished_not_lost(leases: bool) -> None:
    r = simulate_crash(CrashConfig(jobs=150, kill_rate=0.05, leases=leases, horizon=5), seed=3)
    assert r.makespan == 5
    assert r.unfinished > 100  # most jobs had simply not run yet
    assert r.completed + r.failed + r.lost + r.unfinished == 150
    if leases:
        assert r.lost == 0
    else:
        assert r.lost <= 2 * r.kills  # at most the jobs the dead workers held (2 slots each)


def test_crash_is_deterministic() -> None:
    cfg = CrashConfig(jobs=60, kill_rate=0.1)
    assert simulate_crash(cfg, seed=9).to_json() == simulate_crash(cfg, seed=9).to_json()


def test_retries_match_probability() -> None:
    r = simulate_retries(RetriesConfig(jobs=800, failure_probability=0.4, attempts=3), seed=2)
    t = retries_theory(0.4, 3)
    assert r.completed + r.failed == 800
    assert r.goodput == pytest.approx(t["goodput"], abs=0.03)
    assert r.executions / 800 == pytest.approx(t["executions_per_job"], rel=0.06)


def test_retries_with_every_run_failing() -> None:
    r = simulate_retries(RetriesConfig(jobs=200, failure_probability=1.0, attempts=3), seed=2)
    assert (r.completed, r.failed, r.goodput) == (0, 200, 0.0)
    assert r.executions == 600  # every job ran all its attempts
    assert r.theory == {"p_fail": 1.0, "goodput": 0.0, "executions_per_job": 3.0, "extra_load": 2.0}
    assert r.time_to_complete_percentiles == {}


def test_backoff_delays_completion() -> None:
    fast = simulate_retries(RetriesConfig(jobs=300, backoff="none"), seed=5)
    slow = simulate_retries(RetriesConfig(jobs=300, backoff="fixed", backoff_delay_ms=5000), seed=5)
    assert slow.mean_time_to_complete > fast.mean_time_to_complete + 0.5


def test_retries_theory_values() -> None:
    assert retries_theory(0.5, 2) == {"p_fail": 0.25, "goodput": 0.75, "executions_per_job": 1.5, "extra_load": 0.5}
    assert retries_theory(0.0, 3)["executions_per_job"] == 1.0


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (RetriesConfig, {"failure_probability": 1.5}, "from 0 to 1"),
        (RetriesConfig, {"backoff": "linear"}, "backoff must be one of"),
        (CrashConfig, {"kill_rate": -1}, "kill rate must be"),
    ],
)
def test_config_errors(cls: type, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "crash", "--jobs", "50", "--kill-rate", "0.1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["lost"], out["unfinished"]) == (0, 0)
    assert main(["simulate", "retries", "--jobs", "100"]) == 0
    assert "goodput" in capsys.readouterr().out
    assert main(["simulate", "retries", "--failure-probability", "2"]) == 2
    assert "failure probability must be from 0 to 1, got 2.0" in capsys.readouterr().err


def test_cli_crash_cut_short_by_the_horizon(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "crash", "--jobs", "100", "--horizon", "2"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lost"] == 0
    assert data["unfinished"] == 100 - data["completed"] > 50
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"lost 0, unfinished {data['unfinished']}" in out
    assert f"stopped at the horizon, 2 s, with {data['unfinished']} jobs unfinished" in out


def test_cli_retries_every_run_failing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "retries", "--jobs", "50", "--failure-probability", "1"]) == 0
    out = capsys.readouterr().out
    assert "failed for good 50 of 50" in out
    assert "time to complete: no job completed" in out
