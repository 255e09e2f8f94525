"""A light install: the queue needs Redis's client only; the rest is optional and imported when used.

Each test runs Python in a subprocess where the optional packages cannot be
imported (as after ``pip install queuesim`` without extras).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import redis

OPTIONAL = ("fakeredis", "lupa", "numpy", "simpy", "matplotlib", "tqdm", "fastapi", "starlette", "pydantic",
            "uvicorn", "prometheus_client", "httpx", "IPython", "ipykernel")

BLOCK = textwrap.dedent(f"""
    import importlib.abc, sys
    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {OPTIONAL!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None
    sys.meta_path.insert(0, NotInstalled())
""")


def light(code: str, *, without_url: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not (without_url and k in ("REDIS_URL", "QUEUESIM_EMBEDDED"))}
    return subprocess.run([sys.executable, "-c", BLOCK + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=False, env=env)


def test_the_queue_runs_with_redis_alone(shared_store: tuple[str, redis.Redis]) -> None:
    url, _client = shared_store
    done = light(f"""
        import queuesim, redis
        q = queuesim.Queue("light", redis=redis.Redis.from_url({url!r}, decode_responses=True))
        q.create_bulk(range(5))
        print(queuesim.Worker(q, lambda job: job.data * 2).run(burst=True).completed)
        print(sorted(j.result for j in q.jobs("complete")))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["5", "[0, 2, 4, 6, 8]"]


def test_the_worker_and_info_commands_run_and_the_others_say_what_to_install(
    shared_store: tuple[str, redis.Redis],
) -> None:
    url, _client = shared_store
    done = light(f"""
        import sys
        from queuesim.cli import main
        print("info", main(["info", "--redis", {url!r}]))
        print("worker", main(["worker", "tests.queue.cmd_handlers:quick", "--redis", {url!r}, "--burst"]))
        print("demo", main(["demo"]))
    """)
    assert done.returncode == 0, done.stderr
    assert "info 0" in done.stdout
    assert "worker 0" in done.stdout
    assert "demo 2" in done.stdout
    assert "no command 'demo' here" in done.stderr
    assert "pip install 'queuesim[" in done.stderr


def test_without_a_url_the_missing_embedded_store_is_named() -> None:
    done = light("""
        import queuesim
        try:
            queuesim.Queue("x")
        except queuesim.ConnectionFailed as exc:
            print(exc)
    """, without_url=True)
    assert done.returncode == 0, done.stderr
    assert "the embedded store is not installed" in done.stdout
    assert "pip install 'queuesim[embedded]'" in done.stdout
