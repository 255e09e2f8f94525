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

#: what each extra brings, for an install with some extras but not others
EXTRA_PACKAGES = {"embedded": ("fakeredis", "lupa"), "sim": ("numpy", "simpy", "matplotlib", "tqdm", "greenlet"),
                  "web": ("fastapi", "starlette", "pydantic", "uvicorn", "prometheus_client")}


def block(packages: tuple[str, ...]) -> str:
    return textwrap.dedent(f"""
        import importlib.abc, sys
        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {packages!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None
        sys.meta_path.insert(0, NotInstalled())
    """)


def light(
    code: str, *, without_url: bool = False, installed: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` where the optional packages cannot be imported, but those of the ``installed`` extras."""
    env = {k: v for k, v in os.environ.items() if not (without_url and k in ("REDIS_URL", "QUEUESIM_EMBEDDED"))}
    present = {p for extra in installed for p in EXTRA_PACKAGES[extra]}
    if installed:  # every extra brings the embedded store
        present.update(EXTRA_PACKAGES["embedded"])
    blocked = block(tuple(p for p in OPTIONAL if p not in present))
    return subprocess.run([sys.executable, "-c", blocked + textwrap.dedent(code)], capture_output=True, text=True,
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
        print("simulate", main(["simulate", "queue"]))
        print("serve", main(["serve", "dashboard"]))
        print("demo", main(["demo"]))
        print("reset", main(["reset", "stock"]))
        print("nonsense", main(["nonsense"]))
    """)
    assert done.returncode == 0, done.stderr
    assert "info 0" in done.stdout
    assert "worker 0" in done.stdout
    assert ("simulate 2" in done.stdout, "serve 2" in done.stdout, "nonsense 2" in done.stdout) == (True,) * 3
    lines = done.stderr.splitlines()
    simulate = next(line for line in lines if line.startswith("queuesim simulate:"))
    assert "which is not installed: pip install 'queuesim[sim]'" in simulate  # the extra this command needs
    serve = next(line for line in lines if line.startswith("queuesim serve:"))
    assert "pip install 'queuesim[web]'" in serve
    needs = {line.split(":")[0].split()[1]: line.split("pip install ")[1] for line in lines if "pip install" in line
             and line.startswith("queuesim ") and not line.startswith("queuesim:")}
    # exactly the extra each needs: the demo the simulations (not the web apps), reset the embedded store
    assert needs["demo"] == needs["simulate"] == "'queuesim[sim]' (or 'queuesim[all]')"
    assert needs["reset"] == "'queuesim[embedded]' (or 'queuesim[all]')"
    assert any(line.startswith("queuesim: no command 'nonsense' here") for line in lines)


def test_a_command_that_needs_an_extra_only_when_it_runs_names_it() -> None:
    """With the simulation extra (the demo's) but not the web one, ``queuesim serve`` registers (its module
    imports no FastAPI) and says, when it runs, which extra it needs: one line, exit 2, no traceback."""
    done = light("""
        from queuesim.cli import main
        print("serve", main(["serve", "dashboard", "--port", "1"]))
    """, installed=("sim",))
    assert done.returncode == 0, done.stderr
    assert "serve 2" in done.stdout
    assert done.stderr.strip() == ("queuesim serve: needs fastapi, which is not installed: "
                                   "pip install 'queuesim[web]' (or 'queuesim[all]')")


def test_each_extra_brings_the_commands_that_name_it() -> None:
    """With only the extra a command's message names, the command is there (the demo needs sim, not web)."""
    import queuesim.cli as cli

    by_extra: dict[str, list[str]] = {}
    for commands in cli.COMMANDS_OF.values():
        for command, extra in commands.items():
            by_extra.setdefault(extra, []).append(command)
    assert by_extra["sim"] == ["demo", "simulate", "race-check"]
    for extra, commands in by_extra.items():
        done = light("""
            from queuesim.cli import build_parser
            print(sorted(build_parser().commands))
        """, installed=(extra,))
        assert done.returncode == 0, done.stderr
        assert all(f"'{c}'" in done.stdout for c in commands), (extra, commands, done.stdout)


def test_help_names_the_commands_that_are_not_installed() -> None:
    done = light("""
        from queuesim.cli import build_parser
        build_parser().print_help()
    """)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "Not installed here:" in text
    assert "demo, race-check, simulate (queuesim[sim])" in text
    # each command under the extra it needs, reset with the embedded store (not the web apps)
    assert "check, exercise, practice, reset, seed, store, tour (queuesim[embedded])" in text
    assert "serve (queuesim[web])" in text


def test_the_command_table_matches_what_the_modules_register() -> None:
    """COMMANDS_OF (used when a module cannot be imported) lists exactly what each module registers."""
    import argparse
    import importlib

    from queuesim.cli import COMMANDS_OF

    for name, commands in COMMANDS_OF.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(sub)
        assert tuple(sorted(sub.choices)) == tuple(sorted(commands)), name


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
