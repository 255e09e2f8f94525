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
    assert r.completed + r.lost == 150


def test_crash_is_deterministic() -> None:
    cfg = CrashConfig(jobs=60, kill_rate=0.1)
    assert simulate_crash(cfg, seed=9).to_json() == simulate_crash(cfg, seed=9).to_json()


def test_retries_match_probability() -> None:
    r = simulate_retries(RetriesConfig(jobs=800, failure_probability=0.4, attempts=3), seed=2)
    t = retries_theory(0.4, 3)
    assert r.completed + r.failed == 800
    assert r.goodput == pytest.approx(t["goodput"], abs=0.03)
    assert r.executions / 800 == pytest.approx(t["executions_per_job"], rel=0.06)


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
        (RetriesConfig, {"failure_probability": 1.0}, "below 1"),
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
    assert out["lost"] == 0
    assert main(["simulate", "retries", "--jobs", "100"]) == 0
    assert "goodput" in capsys.readouterr().out
    assert main(["simulate", "retries", "--failure-probability", "2"]) == 2
