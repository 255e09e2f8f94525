"""A practice file runs as the course's did: ``python 1-redis_op.py`` on the embedded store (or REDIS_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def run(path: Path, url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if url is not None:
        env["REDIS_URL"] = url
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, env=env,
                          check=False)


@pytest.mark.parametrize("name", ["1-redis_op", "2-redis_op_async"])
def test_a_solved_file_runs_as_a_script(name: str, solved: Callable[..., Path], store_url: str | None,
                                        r: object) -> None:
    if store_url is not None:
        import redis

        redis.Redis.from_url(store_url).set("Holberton", "School")
    done = run(solved() / f"{name}.py", store_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "School\nReply: OK\n100\n"


def test_a_solved_job_main_uses_the_8_job_file_beside_it(solved: Callable[..., Path], store_url: str | None,
                                                         r: object) -> None:
    folder = solved()
    (folder / "8-job.py").write_text((folder / "8-job.py").read_text(encoding="utf-8").replace(
        "return job_creation.create_push_notifications_jobs(jobs, queue)",
        "print('this 8-job.py')\n    return job_creation.create_push_notifications_jobs(jobs, queue)"),
        encoding="utf-8")
    done = run(folder / "8-job-main.py", store_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "this 8-job.py\nNotification job created: 1\n"


def test_a_creator_alone_on_the_embedded_store_says_so(solved: Callable[..., Path]) -> None:
    folder = solved()
    source = (folder / "6-job_creator.py").read_text(encoding="utf-8")
    (folder / "6-job_creator.py").write_text(source.replace("run_creator(create_notification_job, QUEUE_NAME)",
                                                            "run_creator(create_notification_job, QUEUE_NAME, 0.1)"),
                                             encoding="utf-8")
    done = run(folder / "6-job_creator.py", None)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Notification job created: 1\n"
    assert "Run `queuesim store` and set REDIS_URL" in done.stderr
    assert "jobs 1 did not finish within 0.1 s: is the processor running on the same Redis?" in done.stderr
