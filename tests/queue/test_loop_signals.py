"""AsyncWorkers on one event loop share SIGINT/SIGTERM, and leave a signal somebody else handles alone.

Each case runs in its own process: a signal that nobody caught would end the test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

PRELUDE = textwrap.dedent(
    """
    import asyncio, os, signal
    import fakeredis
    from queuesim.queue.aio import AsyncQueue, AsyncWorker

    def worker(name):
        queue = AsyncQueue(name, redis=fakeredis.FakeAsyncRedis(decode_responses=True))
        return AsyncWorker(queue, lambda job: None, poll_interval=0.05)

    async def until(predicate):
        for _ in range(2000):  # at most 10 s
            if predicate():
                return
            await asyncio.sleep(0.005)
        raise SystemExit("condition not met")
    """
)


def run_case(body: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_one_sigterm_stops_every_worker_of_the_loop_and_the_handlers_come_back() -> None:
    out = run_case(
        """
        async def main():
            before = signal.getsignal(signal.SIGTERM)
            first, second = worker("a"), worker("b")
            runs = asyncio.gather(first.run(), second.run())
            from queuesim.queue.signals import _BY_LOOP
            loop = asyncio.get_running_loop()
            await until(lambda: loop in _BY_LOOP and len(_BY_LOOP[loop].workers) == 2)  # both runs started
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(runs, 10)
            print(first.stop_signal.name, second.stop_signal.name, signal.getsignal(signal.SIGTERM) is before)

        asyncio.run(main())
        """
    )
    assert out == "SIGTERM SIGTERM True"


def test_a_signal_handled_by_the_application_is_left_to_it() -> None:
    out = run_case(
        """
        async def main():
            seen = []
            w = worker("a")

            def mine(signum, frame):  # e.g. a web server's handler
                seen.append(signum)
                w.stop()

            signal.signal(signal.SIGTERM, mine)
            run = asyncio.ensure_future(w.run())
            await until(lambda: w._wake is not None)  # the run has started
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(run, 10)
            print(seen == [signal.SIGTERM], w.stop_signal, signal.getsignal(signal.SIGTERM) is mine)

        asyncio.run(main())
        """
    )
    assert out == "True None True"
