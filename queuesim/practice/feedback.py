"""What a failing check teaches: the concept that is missing, and where a notebook explains it.

Each :class:`Concept` is one sentence a learner can act on, and a pointer to
the notebook section that shows it (by the notebooks' names,
``notebooks/taskNN_<name>.ipynb``, or a page of the book). Checks name concepts by key; the table is
the one place to reword a hint or move a pointer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONCEPTS", "Concept", "concept"]


@dataclass(frozen=True, slots=True)
class Concept:
    """A hint: what to understand, and the notebook section that shows it."""

    key: str
    #: What the learner's code is missing, in one or two sentences.
    text: str
    #: The page that shows it, from the project's root: a notebook or a book page.
    page: str
    #: The heading of the section inside it.
    section: str

    def __repr__(self) -> str:
        return f"<Concept {self.key}>"

    @property
    def pointer(self) -> str:
        """``notebooks/task12_stock.ipynb, section "The race, one step at a time"``."""
        return f'{self.page}, section "{self.section}"'


_STOCK = "notebooks/task12_stock.ipynb"
_SEATS = "notebooks/task13_seats.ipynb"
_JOBS = "notebooks/task06-07_job_creator_processor.ipynb"
_PROGRESS = "notebooks/task08-09_progress_and_errors.ipynb"
_PRACTICE = "docs/practice.md"
_T00 = "notebooks/task00_redis_instance.ipynb"
_T01 = "notebooks/task01_redis_client.ipynb"
_T02 = "notebooks/task02_basic_operations.ipynb"
_T03 = "notebooks/task03_async_operations.ipynb"
_T04 = "notebooks/task04_hashes.ipynb"
_T05 = "notebooks/task05_pubsub.ipynb"
_T10 = "notebooks/task10_job_creation_function.ipynb"
_T11 = "notebooks/task11_testing_job_creation.ipynb"

_TABLE: tuple[Concept, ...] = (
    # --- files and stubs
    Concept("not-written", "Write the function: replace its `...` (or `raise NotImplementedError`) line with your "
            "code.",
            _PRACTICE, "When a check fails"),
    Concept("install-extra", "queuesim is installed here without a part these checks use: install the extra named "
            "(the `.venv` that `make lab` or `make test` makes has them all).", _PRACTICE, "What you get"),
    Concept("loads", "The file must load before anything in it can be checked: fix the error it names.",
            _PRACTICE, "When a check fails"),
    # --- task 0
    Concept("seed", "The store must hold the key Holberton with the value School: `queuesim seed` writes it "
            "(or `redis-cli SET Holberton School`).", _T00, "The seed step"),
    Concept("redis-server", "Run a Redis server (a package such as redis-server, or a container) and point "
            "REDIS_URL at it: `export REDIS_URL=redis://127.0.0.1:6379/0`, then `queuesim seed` writes the key.",
            _T00, "Setup"),
    # --- task 1
    Concept("connected-line", "When the server answers `client.ping()`, print exactly "
            "`Redis client connected to the server` and return the client.",
            _T01, "Connecting"),
    Concept("lazy-connect", "redis-py connects lazily: making a client is not connecting, and nothing "
            "reaches the server until a command does. Send `client.ping()` and say 'connected' only when it answers.",
            _T01, "Connecting"),
    Concept("not-connected-line", "After each failed attempt print `Redis client not connected to the server: ` "
            "followed by the error's own text (`str(error)`).", _T01, "When no server answers"),
    Concept("bounded-retries", "Try `attempts` times, no more: a client that retries forever hangs whoever "
            "started it.", _T01, "When no server answers"),
    Concept("raise-after-retries", "After the last failed attempt, raise (re-raise the error): returning would let "
            "the caller carry on with a client that reaches nothing.", _T01, "When no server answers"),
    # --- task 2
    Concept("reply-ok", "redis-py answers SET with `True`, where Node's `redis.print` showed the server's `OK`: "
            "print `Reply: OK` for it.", _T02, "Step by step"),
    Concept("print-value", "Print the value GET returns, and nothing else on the line.",
            _T02, "Step by step"),
    Concept("call-order", "The calls come in the course's order: display Holberton, set HolbertonSanFrancisco to "
            "100, display it.", _T02, "The course's program"),
    # --- task 3
    Concept("async-def", "Each function of the async version is a coroutine function: `async def`, with "
            "`await` on every Redis call.", _T03, "The course's program"),
    Concept("await", "A coroutine does nothing until it is awaited: you printed the coroutine object, not the "
            "value. Write `await client.get(...)`.", _T03, "Step by step"),
    # --- task 4
    Concept("hset-per-field", "One HSET per field, as the course asks: each reply says whether that field was new.",
            _T04, "Step by step"),
    Concept("hset-reply", "Print what HSET answered (1 for a new field, 0 for one that existed), not a constant: "
            "a second run answers 0.", _T04, "Step by step"),
    Concept("strings", "Redis stores text: HGETALL gives the values back as strings ('50', not 50).",
            _T04, "Step by step"),
    # --- task 5
    Concept("subscribe-confirmation", "The first thing a subscription receives is its confirmation (type "
            "'subscribe'): print only the messages of type 'message', and only their data.",
            _T05, "Both halves in one process"),
    Concept("kill-server", "On KILL_SERVER, print it, unsubscribe and stop listening: nothing after it is printed.",
            _T05, "Stopping a subscriber"),
    Concept("delay-ms", "`delay_ms` is in milliseconds and `time.sleep` takes seconds: wait `delay_ms / 1000`, "
            "then print `About to send <message>` and publish.", _T05, "Both halves in one process"),
    Concept("publish", "Publish on the channel 'holberton school channel', the four messages in the course's order.",
            _T05, "Both halves in one process"),
    # --- tasks 6-7
    Concept("event-complete", "The event is called 'complete', not 'completed' (and 'failed', not 'failure'): "
            "`job.on('complete', ...)`.", _JOBS, "Step by step"),
    Concept("event-failed", "A creator also listens to 'failed', the job's final failure, and says so.",
            _JOBS, "Step by step"),
    Concept("save-first", "A job gets its id when it is saved: call `.save()` first, then print its id.",
            _JOBS, "Step by step"),
    Concept("job-data", "The job's data is `{'phoneNumber': str, 'message': str}`, the names the processor reads.",
            _JOBS, "Step by step"),
    Concept("sending-line", "Print exactly `Sending notification to <phone>, with message: <message>`.",
            _JOBS, "Step by step"),
    Concept("handler-error", "Your job handler raised, so the job failed instead of completing: fix the error "
            "named (run the file yourself to see the whole traceback).", _JOBS, "Step by step"),
    Concept("worker-queue", "A worker works on the queue it is given: `Worker(queue, handler)`.",
            _JOBS, "Step by step"),
    # --- tasks 8-9
    Concept("event-lines", "Print `Notification job <id> completed`, `Notification job <id> failed: <error>` and "
            "`Notification job <id> <pct>% complete`, with no `#` before the id; 'failed' passes the error's "
            "message to its listener.", _PROGRESS, "Both halves in one process"),
    Concept("raise-to-fail", "You reported success after the failure (Kue's `done()` after `done(error)`): raise, "
            "don't return, so the job fails with the error's message.", _PROGRESS,
            "Two mistakes the original made easy"),
    Concept("blacklist-first", "Report progress 0, check the blacklist, and only then report 50 and send: a "
            "blacklisted number never reaches 50%.", _PROGRESS, "What the queue recorded"),
    Concept("blacklist", "The blacklist holds the two numbers of the task, 4153518780 and 4153518781, and the "
            "error says `Phone number <phone> is blacklisted`.", _PROGRESS, "What the queue recorded"),
    Concept("concurrency", "The processor runs two jobs at a time: `Worker(queue, handler, concurrency=2)`.",
            _PROGRESS, "Both halves in one process"),
    # --- tasks 10-11
    Concept("jobs-not-array", "Check the argument first: anything but a list raises an error whose message is "
            "exactly `Jobs is not an array`, and creates nothing.", _T10, "Bad arguments"),
    Concept("job-creation", "One job per element, on the queue you are given, printing "
            "`Notification job created: <id>` and listening to its events as in task 8.",
            _T10, "`8-job-main`"),
    Concept("test-mode", "Tests run in the queue's test mode: enter it before the tests, clear it after each, "
            "exit it at the end; jobs are then recorded in `queue.test_mode.jobs`, and nothing reaches Redis.",
            _T11, "Recording jobs"),
    Concept("tests-catch", "A test passes on a correct function and fails on a wrong one: assert the exact "
            "error message, the number of jobs, their queue and their data.",
            _T11, "Recording jobs"),
    # --- task 12
    Concept("get-then-set", "You read the stock, then write it: two buyers can read the same value, and both get "
            "the last unit. Check and take in one step (a Lua script, or WATCH/MULTI/EXEC that retries).",
            _STOCK, "The race, one step at a time"),
    Concept("process-lock", "A lock inside your process (`threading.Lock`) protects one process only: a service "
            "runs as several processes, each with its own lock, all sharing Redis. Make the check-and-take one Redis "
            "step instead (a Lua script, or WATCH/MULTI/EXEC).", _STOCK, "The race, one step at a time"),
    Concept("hand-made-lock", "Your lock is a check-then-act of its own: you read the lock key, then set it, "
            "in two steps, so two callers can both find it free and both go in. Do not guard a GET-then-SET with a "
            "lock made of Redis commands: make the check-and-take one step (a Lua script, or WATCH/MULTI/EXEC that "
            "retries).", _STOCK, "Three ways to reserve"),
    Concept("lock-owner", "Every caller deletes the lock at the end, also one that did not get it: it frees the "
            "lock of the caller holding it, and a third one gets in while the first is still between its GET and its "
            "SET. Only the holder may release a lock; better, make the check-and-take one step (a Lua script, or "
            "WATCH/MULTI/EXEC).", _STOCK, "Three ways to reserve"),
    Concept("falsy-zero", "A stock of 0 is still a stock: `remaining or initial` turns 0 back into the initial "
            "stock. Use the initial stock only when the key does not exist (`is None`).", _STOCK, "The products"),
    Concept("product-id", "An id is a plain number: '1abc' is not product 1 (JavaScript's parseInt said it was). "
            "Anything that is not a product answers 404 `Product not found`.", _STOCK,
            "The service, through its test client"),
    Concept("stock-key", "Key `item.<id>` holds the remaining stock; a missing key means the initial stock.",
            _STOCK, "The products"),
    Concept("stock-routes", "Each route answers the course's JSON, in the course's key order, with its status "
            "code: 200, 404 `Product not found`, 409 `Not enough stock available`.", _STOCK,
            "The service, through its test client"),
    # --- task 13
    Concept("seat-race", "You read the seats, then write them: two jobs can take the same seat. Decrement in one "
            "step that cannot go below 0 (a Lua script, or WATCH/MULTI/EXEC).", _SEATS, "The race, one step at a time"),
    Concept("seats-below-zero", "The count never goes below 0: a job that finds no seat fails with `Not enough "
            "seats available` and takes nothing.", _SEATS, "Three ways to take a seat"),
    Concept("switch-in-redis", "The reservations switch lives in Redis (key `reservation_enabled`), not in a "
            "variable of one process: every server process, and a restarted one, must see it.",
            _SEATS, "The switch is shared, and survives a restart"),
    Concept("switch-off-at-zero", "Taking the last seat switches reservations off, in the same step.",
            _SEATS, "The state: two keys"),
    Concept("keep-on-restart", "At start, write 50 seats only if no count is stored (`SET ... NX`): a restart "
            "must not give back seats already sold.", _SEATS, "The switch is shared, and survives a restart"),
    Concept("one-worker", "`/process` starts one worker; calling it again starts no more (the original added a "
            "worker per call).", _SEATS, "The service, through its test client"),
    Concept("seat-routes", "Each route answers the course's JSON: `{\"numberOfAvailableSeats\":\"50\"}` (a string), "
            "202 `Reservation in process`, 409 `Reservation are blocked`, 503 `Reservation failed`, "
            "200 `Queue processing`.", _SEATS, "The service, through its test client"),
    Concept("answer-after-save", "Answer `Reservation in process` only once the job is saved; if saving fails, "
            "answer 503 `Reservation failed`.", _SEATS, "When Redis is down"),
    Concept("seat-log", "The server prints `Seat reservation job <id> completed` or "
            "`Seat reservation job <id> failed: <error>` from the job's events.", _SEATS,
            "The service, through its test client"),
)

#: Every concept by key.
CONCEPTS: dict[str, Concept] = {c.key: c for c in _TABLE}


def concept(key: str) -> Concept:
    """The concept called ``key``.

    Raises:
        KeyError: no concept has that key.
    """
    try:
        return CONCEPTS[key]
    except KeyError:
        raise KeyError(f"no concept named {key!r}") from None
