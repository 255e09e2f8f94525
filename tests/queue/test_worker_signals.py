"""A worker stops on SIGTERM whenever the signal comes, however often (a signal handler must take no lock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Each round: a worker runs in the main thread, idle and polling every half millisecond (so
# its loop is nearly always inside its wait), and another thread sends SIGTERM at a random
# moment once the handler is in place. A handler that set a threading.Event deadlocked here
# within 100 rounds: the loop held the Event's lock when the handler, in the same thread,
# asked for it. The stacks are dumped if the rounds take longer than the deadline.
ROUNDS = 100
DEADLINE_S = 40  # under pytest-timeout's 60 s, so the stacks come out

SCRIPT = textwrap.dedent(
    f"""
    import faulthandler, os, random, signal, sys, threading, time
    import fakeredis
    from queuesim.queue import Queue, Worker

    faulthandler.dump_traceback_later({DEADLINE_S}, exit=True)
    queue = Queue("signals", redis=fakeredis.FakeRedis(decode_responses=True))
    random.seed(7)
    for _ in range({ROUNDS}):
        worker = Worker(queue, lambda job: None, poll_interval=0.0005)

        def terminate():
            while signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                time.sleep(0.0005)  # until run() has installed its handler
            time.sleep(random.random() * 0.01)
            os.kill(os.getpid(), signal.SIGTERM)

        sender = threading.Thread(target=terminate)
        sender.start()
        stats = worker.run(handle_signals=True)
        sender.join()
        assert worker.stop_signal == signal.SIGTERM, worker.stop_signal
    print("stopped", {ROUNDS}, "times")
    """
)


def test_sigterm_at_any_moment_stops_the_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=DEADLINE_S + 15, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == f"stopped {ROUNDS} times"
