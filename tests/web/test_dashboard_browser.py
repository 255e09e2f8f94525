"""The dashboard in a real browser: Playwright driving the system's Chromium (Debian's ``chromium``).

Playwright's own browser downloads are not used: the tests launch the
Chromium the OS provides, and skip (saying why) only where there is none.
``QUEUESIM_UPDATE_SCREENSHOT=1`` rewrites ``docs/dashboard.png`` from the screenshot test.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import redis
import redis.asyncio
from dashtools import LiveServer, seed, wait_for
from playwright.sync_api import Browser, Page, expect, sync_playwright

from queuesim import Job, Queue, Worker

CHROMIUM = os.environ.get("QUEUESIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
REAL_URL = os.environ.get("REDIS_URL") or None
DOCS = Path(__file__).resolve().parents[2] / "docs"
WIDE = {"width": 1280, "height": 800}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install the OS package (apt-get install chromium) "
                    "or set QUEUESIM_CHROMIUM to its path")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def async_source(backend: str, r: redis.Redis) -> Callable[[], Any]:
    """Makes the server's asyncio client on this test's store."""
    if backend == "fake":
        server = r.connection_pool.connection_kwargs["server"]
        return lambda: fakeredis.FakeAsyncRedis(server=server, decode_responses=True)
    assert REAL_URL is not None
    return lambda: redis.asyncio.Redis.from_url(REAL_URL, decode_responses=True)


@pytest.fixture
def serve(async_source: Callable[[], Any]) -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def start(**options: Any) -> LiveServer:
        servers.append(LiveServer(async_source, **options).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def page_errors() -> list[str]:
    """What the pages logged as errors; a test that expects some removes them."""
    return []


@pytest.fixture
def open_page(browser: Browser, page_errors: list[str]) -> Iterator[Callable[..., Page]]:
    contexts: list[Any] = []
    errors = page_errors

    def make(url: str, viewport: dict[str, int] = WIDE) -> Page:
        context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(url)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], errors


class Running:
    """A worker running in a thread until the test ends."""

    def __init__(self, queue: Queue, handler: Callable[[Job], Any]) -> None:
        self.worker = Worker(queue, handler, poll_interval=0.2)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.worker.stop(2)
        self.thread.join(10)
        assert not self.thread.is_alive()


def deliver(job: Job) -> Any:
    job.progress(1, 2)
    job.log("delivering to %s", job.data["to"])
    job.progress(2, 2)
    return {"delivered": True}


def count(page: Page, state: str) -> Any:
    return expect(page.locator(f'#state-nav a[data-state="{state}"] .count'))


def test_counts_retry_live_and_remove(serve: Callable[..., LiveServer], open_page: Callable[..., Page],
                                      r: redis.Redis) -> None:
    queues = seed(r)
    live = serve()
    page = open_page(f"{live.base}/")
    for state, n in [("inactive", 3), ("active", 0), ("failed", 1), ("complete", 2), ("delayed", 1)]:
        count(page, state).to_have_text(str(n))
    expect(page.locator("#jobs-heading")).to_contain_text("Active jobs")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("link", name="Failed: 1 job").click()
    expect(page).to_have_url(f"{live.base}/failed")
    row = page.locator('tr[data-key="email/2"]')
    expect(row).to_contain_text("SMTP server refused the connection")
    page.get_by_role("button", name="Open job 2 of queue email").click()
    expect(page.locator("#detail-title")).to_have_text("Job #2 · email")
    expect(page.locator("#detail-state")).to_have_text("Failed")
    expect(page.locator("#detail-error")).to_have_text("SMTP server refused the connection")
    page.locator("#detail-trace-box summary").click()
    expect(page.locator("#detail-trace")).to_contain_text("ConnectionError")
    expect(page.locator("#detail-log li")).to_have_text(["connecting to smtp for bob@example.com"])
    expect(page.locator("#detail-timeline")).to_contain_text("failed")
    expect(page.locator("#detail-progress")).to_have_attribute("aria-valuenow", "50")

    running = Running(queues["email"], deliver)  # takes the two waiting email jobs at once
    try:
        count(page, "complete").to_have_text("4")  # live, without a reload
        count(page, "inactive").to_have_text("1")
        page.locator("#act-retry").click()
        expect(page.locator(".toast").first).to_have_text("Job #2 is queued again.")
        expect(page.locator("#detail-state")).to_have_text("Complete")
        expect(page.locator("#detail-progress")).to_have_attribute("aria-valuenow", "100")
        expect(page.locator("#detail-result")).to_contain_text('"delivered": true')
        expect(page.locator("#detail-timeline li .ev", has_text="start")).to_have_count(2)
        count(page, "failed").to_have_text("0")
        count(page, "complete").to_have_text("5")
        expect(row).to_have_count(0)  # it left the failed list
        assert queues["email"].get_job(2).state == "complete"
    finally:
        running.stop()

    page.get_by_role("link", name="Complete: 5 jobs").click()
    page.get_by_role("button", name="Remove job 1 of queue email").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Job #1 of queue “email” will be deleted")
    page.locator("#confirm-ok").click()
    expect(page.locator('tr[data-key="email/1"]')).to_have_count(0)
    count(page, "complete").to_have_text("4")
    assert r.hget(queues["email"].keys.jobs, "1") is None
    page.get_by_role("button", name="Open job 3 of queue email").click()  # and one from its details
    page.locator("#act-remove").click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#detail")).to_be_hidden()
    expect(page.locator("#jobs-heading")).to_be_focused()
    count(page, "complete").to_have_text("3")
    expect(page.locator(".toast", has_text="Job #3 removed.")).to_have_count(1)
    expect(page.locator(".toast", has_text="no longer exists")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True


def test_pause_priority_and_the_keyboard(serve: Callable[..., LiveServer], open_page: Callable[..., Page],
                                         r: redis.Redis) -> None:
    queues = seed(r)
    live = serve()
    page = open_page(f"{live.base}/inactive")
    pause = page.get_by_role("button", name="Pause queue video")
    pause.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Resume queue video")).to_be_focused()
    expect(page.locator('li[data-queue="video"] .paused')).to_have_text("paused")
    assert queues["video"].is_paused()

    page.get_by_role("button", name="Open job 1 of queue video").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_be_focused()
    expect(page.locator("#detail-title")).to_have_text("Job #1 · video")
    page.locator("#priority-select").select_option("low")
    queues["email"].add({"to": "new@example.com"})  # a live redraw meanwhile must keep the choice
    count(page, "inactive").to_have_text("4")
    page.locator("#act-priority button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail-facts")).to_contain_text("low (10)")
    assert queues["video"].get_job(1).priority == 10
    expect(page.locator('tr[data-key="video/1"] .prio')).to_have_text("low")
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    expect(page.get_by_role("button", name="Open job 1 of queue video")).to_be_focused()

    page.get_by_role("button", name="Resume queue video").click()
    expect(page.get_by_role("button", name="Pause queue video")).to_be_visible()
    assert not queues["video"].is_paused()
    # every action is a real button with a name, reachable with Tab
    names = page.eval_on_selector_all(
        "button:not([hidden])", "els => els.map(e => e.getAttribute('aria-label') || e.textContent.trim())"
    )
    assert all(names), names


def test_a_token_is_asked_for_once(serve: Callable[..., LiveServer], open_page: Callable[..., Page],
                                   r: redis.Redis, page_errors: list[str]) -> None:
    queues = seed(r)
    live = serve(token="s3cret-token")
    page = open_page(f"{live.base}/failed")
    page.get_by_role("button", name="Retry job 2 of queue email").click()
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    page.locator("#token-input").fill("s3cret-token")
    dialog.get_by_role("button", name="Use token").click()
    expect(page.locator(".toast").first).to_have_text("Job #2 is queued again.")
    assert queues["email"].get_job(2).state == "inactive"
    page.get_by_role("button", name="Pause queue email").click()  # the token is remembered in this tab
    expect(page.get_by_role("button", name="Resume queue email")).to_be_visible()
    expect(dialog).to_be_hidden()
    unauthorized = "the server responded with a status of 401"
    assert sum(unauthorized in e for e in page_errors) == 1  # the first try, before the token
    page_errors[:] = [e for e in page_errors if unauthorized not in e]


def test_a_narrow_window(serve: Callable[..., LiveServer], open_page: Callable[..., Page], r: redis.Redis) -> None:
    seed(r)
    live = serve()
    page = open_page(f"{live.base}/failed", viewport={"width": 400, "height": 800})
    expect(page.locator('tr[data-key="email/2"]')).to_be_visible()
    page.get_by_role("button", name="Open job 2 of queue email").click()
    detail = page.locator("#detail")
    expect(detail).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # nothing sticks out sideways
    jobs_box = page.locator(".jobs").bounding_box()
    detail_box = detail.bounding_box()
    assert jobs_box is not None
    assert detail_box is not None
    assert detail_box["y"] >= jobs_box["y"] + jobs_box["height"]  # stacked below the list
    expect(page.get_by_role("button", name="Retry job 2 of queue email")).to_be_visible()


def test_screenshot(serve: Callable[..., LiveServer], open_page: Callable[..., Page], r: redis.Redis,
                    tmp_path: Path) -> None:
    """A 1280×800 picture for docs/dashboard.md: failed and complete jobs, one open."""
    queues = seed(r)
    email, video = queues["email"], queues["video"]
    for n in range(8):
        email.add({"to": f"user{n}@example.com", "subject": "Newsletter"}, priority=["normal", "high"][n % 2])
    video.create_bulk([{"file": f"clip{n}.mp4", "format": "webm"} for n in range(5)], attempts=2)

    def encode(job: Job) -> Any:
        job.progress(3, 4)
        job.log("encoding %s", job.data["file"])
        if job.data["file"] == "clip3.mp4":
            raise RuntimeError("ffmpeg exited with status 1: unknown codec")
        job.progress(4, 4)
        return {"bytes": 1_048_576}

    email.remove(6)  # the delayed job: a burst would wait for it
    Worker(email, deliver).run(burst=True)
    Worker(video, encode).run(burst=True)
    email.add({"to": "zed@example.com", "subject": "Later"}, delay=3_600_000)
    email.add({"to": "amy@example.com", "subject": "Receipt"}, priority="critical")
    live = serve()
    failed = video.jobs("failed")[0]
    page = open_page(f"{live.base}/complete?job={failed.id}&job_type=video")
    expect(page.locator("#detail-error")).to_contain_text("unknown codec")
    expect(page.locator("#detail-trace-box summary")).to_be_visible()  # the traceback stays folded: its
    count(page, "complete").to_have_text("17")  # file paths are this machine's, not the reader's
    expect(page.locator("#job-rows tr")).to_have_count(17)
    page.mouse.move(0, 0)
    assert str(DOCS.parent) not in page.locator("body").inner_text()  # no path of this machine in the picture
    shot = tmp_path / "dashboard.png"
    wait_for(lambda: page.evaluate("document.fonts.status") == "loaded", what="fonts")
    page.screenshot(path=str(shot))
    assert shot.stat().st_size < 200_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("QUEUESIM_UPDATE_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / "dashboard.png")


def test_paging_and_the_queue_filter(serve: Callable[..., LiveServer], open_page: Callable[..., Page],
                                     r: redis.Redis) -> None:
    seed(r)
    Queue("bulk", redis=r).create_bulk([{"n": n} for n in range(25)])
    live = serve()
    page = open_page(f"{live.base}/inactive")
    count(page, "inactive").to_have_text("28")
    page.locator("#queue-filter").select_option("bulk")
    expect(page).to_have_url(f"{live.base}/inactive?type=bulk")
    count(page, "inactive").to_have_text("25")  # the counts follow the filter
    rows = page.locator("#job-rows tr")
    expect(rows).to_have_count(20)
    expect(page.locator("#page-info")).to_have_text("1–20 of 25")
    expect(page.locator("#prev")).to_be_disabled()
    page.locator("#next").click()
    expect(rows).to_have_count(5)
    expect(page.locator("#page-info")).to_have_text("21–25 of 25")
    expect(page.locator("#next")).to_be_disabled()
    expect(rows.first).to_have_attribute("data-key", "bulk/21")
    page.go_back()  # the address bar holds the page
    expect(page.locator("#page-info")).to_have_text("1–20 of 25")
    page.locator("#order").select_option("desc")
    expect(rows.first).to_have_attribute("data-key", "bulk/25")


def test_the_workers_view(serve: Callable[..., LiveServer], open_page: Callable[..., Page], r: redis.Redis) -> None:
    """The sidebar lists the live workers and the jobs they run; a job there opens its details."""
    queues = seed(r)
    live = serve()
    page = open_page(f"{live.base}/")
    expect(page.locator("#no-workers")).to_be_visible()
    release = threading.Event()
    worker = Worker(queues["video"], lambda job: release.wait(30), name="encoder-1", heartbeat_ms=50,
                    poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: r.hget("qs:worker:encoder-1", "state") == "busy")
        queues["email"].add({"to": "gil@example.com"})  # an event: the page refreshes and reads the registry
        item = page.locator('li[data-worker="encoder-1"]')
        expect(item).to_contain_text("encoder-1")
        expect(item.locator(".worker-state")).to_have_text("busy")
        expect(item).to_contain_text("video · 1/1 threads")
        expect(page.locator("#no-workers")).to_be_hidden()
        item.get_by_role("button", name="Open job 1 of queue video, running for").click()
        expect(page.locator("#detail-title")).to_have_text("Job #1 · video")
        expect(page.locator("#detail-state")).to_have_text("Active")
    finally:
        release.set()
        worker.stop()
        thread.join(10)
    queues["email"].add({"to": "hal@example.com"})  # another event, after the worker left the registry
    expect(page.locator("#no-workers")).to_be_visible()
