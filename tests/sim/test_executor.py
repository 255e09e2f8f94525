"""Replications in parallel processes and on Dask give the serial results, bit for bit, in order."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from queuesim.cli import main
from queuesim.sim.executor import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
    using_executor,
)
from queuesim.sim.queue_scenario import QueueConfig, queue_replications, run_queue_replication, simulate_queue
from queuesim.sim.race_scenario import sweep_race

SMALL = QueueConfig(arrival_rate=1.6, service_rate=1.0, workers=2, jobs=400, warmup=50)


def has_distributed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


needs_dask = pytest.mark.skipif(not has_distributed(), reason="dask.distributed is not installed (the dask extra)")


@pytest.fixture(scope="module")
def processes() -> Iterator[ProcessExecutor]:
    """Two worker processes, shared by the tests of this module."""
    with ProcessExecutor(2) as executor:
        yield executor


@pytest.fixture(scope="module")
def dask_local() -> Iterator[Executor]:
    """A local Dask cluster of two worker processes, shared by the tests of this module."""
    if not has_distributed():
        pytest.skip("dask.distributed is not installed (the dask extra)")
    with DaskExecutor("local", processes=2) as executor:
        yield executor


def fail_on(bad: int, value: int) -> int:
    if value == bad:
        raise ValueError(f"task {value} failed")
    return value * value


def test_a_replication_depends_on_the_seed_and_its_number_only(processes: ProcessExecutor) -> None:
    in_a_row = [run_queue_replication(SMALL, 7, r) for r in range(4)]  # each after the others, here
    alone = processes.run([functools.partial(run_queue_replication, SMALL, 7, 3)])  # first thing in a new process
    reversed_order = processes.run(queue_replications(SMALL, 7, 4)[::-1])
    assert alone[0] == in_a_row[3]
    assert reversed_order == in_a_row[::-1]
    assert in_a_row[0] != in_a_row[1]  # and they do differ from each other


@pytest.mark.parametrize("where", ["processes", "dask"])
def test_simulate_queue_gives_the_serial_json(where: str, request: pytest.FixtureRequest) -> None:
    executor = request.getfixturevalue("processes" if where == "processes" else "dask_local")
    serial = simulate_queue(SMALL, seed=11, replications=5).to_json()
    assert simulate_queue(SMALL, seed=11, replications=5, executor=executor).to_json() == serial
    assert simulate_queue(SMALL, seed=12, replications=5, executor=executor).to_json() != serial


@pytest.mark.parametrize("where", ["processes", "dask"])
def test_sweep_race_gives_the_serial_points(where: str, request: pytest.FixtureRequest) -> None:
    executor = request.getfixturevalue("processes" if where == "processes" else "dask_local")
    args: dict[str, Any] = {"clients": 60, "stock": 15, "replications": 3, "seed": 5}
    serial = sweep_race(["naive", "watch", "atomic"], [300, 3000], [1.0], **args)
    assert sweep_race(["naive", "watch", "atomic"], [300, 3000], [1.0], executor=executor, **args) == serial


@pytest.mark.parametrize("where", ["serial", "processes", "dask"])
def test_results_come_in_task_order_and_progress_sees_every_task_once(
    where: str, request: pytest.FixtureRequest
) -> None:
    executor = (SerialExecutor() if where == "serial"
                else request.getfixturevalue("processes" if where == "processes" else "dask_local"))
    seen: list[int] = []
    sizes: list[int] = []

    def progress(done: Iterable[Any]) -> Iterable[Any]:
        sizes.append(len(done))  # type: ignore[arg-type]
        for item in done:
            seen.append(item[0])
            yield item

    tasks = [functools.partial(fail_on, -1, v) for v in range(20)]
    assert executor.run(tasks, progress) == [v * v for v in range(20)]
    assert sizes == [20]
    assert sorted(seen) == list(range(20))


@pytest.mark.parametrize("where", ["serial", "processes", "dask"])
def test_a_failing_task_raises_its_error_and_the_executor_stays_usable(where: str,
                                                                      request: pytest.FixtureRequest) -> None:
    executor = (SerialExecutor() if where == "serial"
                else request.getfixturevalue("processes" if where == "processes" else "dask_local"))
    with pytest.raises(ValueError, match="task 3 failed"):
        executor.run([functools.partial(fail_on, 3, v) for v in range(8)])
    assert executor.run([functools.partial(fail_on, -1, 4)]) == [16]


def test_other_processes_need_tasks_that_pickle(processes: ProcessExecutor) -> None:
    with pytest.raises(TypeError, match="a task must pickle to run in another process"):
        processes.run([lambda: 1])


@needs_dask
def test_dask_takes_lambdas(dask_local: Executor) -> None:
    assert dask_local.run([lambda: 6 * 7]) == [42]


def test_using_executor_closes_only_what_it_made() -> None:
    given = ProcessExecutor(2)
    with using_executor(given) as running:
        assert running is given
    assert given.run([functools.partial(fail_on, -1, 3)]) == [9]  # still open: it is the caller's
    given.close()
    with using_executor(2) as made:
        assert isinstance(made, ProcessExecutor)
        assert made.parallelism == 2
    assert made._pool is None
    with using_executor(None) as serial, using_executor(1) as one:
        assert isinstance(serial, SerialExecutor)
        assert isinstance(one, SerialExecutor)
    with pytest.raises(TypeError, match="executor must be an Executor, a number of processes or None"), \
            using_executor("4"):  # type: ignore[arg-type]
        pass
    with pytest.raises(ValueError, match="processes must be an int >= 1"), using_executor(0):
        pass


def test_make_executor_follows_the_command_line() -> None:
    assert isinstance(make_executor(1), SerialExecutor)
    assert make_executor(3).parallelism == 3
    assert make_executor().parallelism >= 1
    with pytest.raises(ValueError, match="--processes sizes a local Dask cluster only"):
        make_executor(2, "tcp://10.0.0.1:8786")
    with pytest.raises(ValueError, match="unknown start method"):
        ProcessExecutor(2, start_method="teleport")


def test_without_distributed_the_dask_executor_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'queuesim\[dask\]'"):
        DaskExecutor("local")


@needs_dask
def test_an_unreachable_scheduler_is_an_os_error_in_time() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=0.5) as executor, \
            pytest.raises(OSError, match=f"127.0.0.1:{port}"):
        executor.run([functools.partial(fail_on, -1, 1)])


# ------------------------------------------------------------------------- the command line

QUEUE = ["simulate", "queue", "--arrival-rate", "1.6", "--service-rate", "1", "--workers", "2", "--jobs", "400",
         "--warmup", "50", "--replications", "4", "--json"]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("where", [["--processes", "2"], ["--dask", "local", "--processes", "2"]])
def test_simulate_queue_prints_the_same_json_wherever_it_runs(where: list[str],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    if "--dask" in where and not has_distributed():
        pytest.skip("dask.distributed is not installed (the dask extra)")
    serial = run_cli([*QUEUE, "--processes", "1"], capsys)
    assert json.loads(serial)["replications"] == 4
    assert run_cli([*QUEUE, *where], capsys) == serial


def test_the_demo_prints_and_writes_the_same_with_two_processes(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for processes in ("1", "2"):
        out = tmp_path / processes
        printed = run_cli(["demo", "--quick", "--no-progress", "--processes", processes, "--out", str(out)], capsys)
        outputs.append((printed.replace(str(out), "OUT"), (out / "report.md").read_bytes(),
                        (out / "race.png").read_bytes(), (out / "queue.png").read_bytes()))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(("option", "message"), [
    (["--processes", "0"], "argument --processes: '0' is not a number of processes between 1 and 1024"),
    (["--processes", "two"], "argument --processes: 'two' is not a number of processes"),
    (["--processes", "2", "--dask", "tcp://10.0.0.1:8786"], "--processes sizes a local Dask cluster only"),
])
def test_bad_executor_options_are_usage_errors(option: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for command in (QUEUE, ["demo", "--quick", "--no-progress"]):
        with pytest.raises(SystemExit) as exit_:
            main([*command, *option])
        assert exit_.value.code == 2
        captured = capsys.readouterr()
        assert message in captured.err
        assert captured.out == ""
        assert "Traceback" not in captured.err


@needs_dask
@pytest.mark.parametrize("address", ["nonsense", "tcp://scheduler", ""])
def test_an_address_that_names_no_scheduler_is_a_usage_error(address: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    for command in (QUEUE, ["demo", "--quick", "--no-progress"]):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--dask", address])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert f"{address!r} is not a Dask scheduler address" in err
        assert "Traceback" not in err


def test_dask_without_distributed_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SystemExit) as exit_:
        main([*QUEUE, "--dask", "local"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "queuesim simulate: the Dask executor needs dask.distributed: pip install 'queuesim[dask]'"
    )
