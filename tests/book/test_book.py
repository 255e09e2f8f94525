"""The book, built as ``make book`` builds it, read in a real browser (Playwright on the OS's Chromium).

Every page loads without a console error or a failed request, every notebook page
shows each figure its notebook holds, and no link between pages is broken (anchors
included). The build itself runs with warnings as errors, so a page left out of the
table of contents, a missing file or a bad cross-reference fails here too.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("QUEUESIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def build(out: Path) -> subprocess.CompletedProcess[str]:
    """``make book``'s command, into ``out``: fresh, warnings as errors."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-c", "docs", "-q", "-W", "--keep-going", "-E", ".", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("book")
    result = build(out)
    assert result.returncode == 0, f"the book does not build cleanly:\n{result.stdout}\n{result.stderr}"
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser moved on (a redirect)
            super().handle()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def visits(site: Path, served: str) -> dict[str, dict[str, Any]]:
    """Every HTML page of the site opened in Chromium: its console errors, failed requests, figures and links."""
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install the OS package (apt-get install chromium) "
                    "or set QUEUESIM_CHROMIUM to its path")
    from playwright.sync_api import sync_playwright

    # every page; not the theme's template fragments copied into _static/
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "_static")
    found: dict[str, dict[str, Any]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for name in pages:
            problems: list[str] = []
            page.on("console", lambda m, p=problems: p.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e, p=problems: p.append(f"page error: {e}"))
            page.on("requestfailed", lambda r, p=problems: p.append(f"request failed: {r.url}")
                    if not r.url.endswith(".html") else None)  # the top page's redirect cancels its own load
            page.on("response", lambda r, p=problems: p.append(f"HTTP {r.status}: {r.url}")
                    if r.status >= 400 else None)
            page.goto(served + name, wait_until="load")
            page.wait_for_load_state("networkidle")
            figures = page.eval_on_selector_all(
                ".cell_output img", "els => els.map(e => ({loaded: e.complete && e.naturalWidth > 0, "
                "visible: e.getBoundingClientRect().width > 0}))")
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            searches = page.eval_on_selector_all(  # search boxes a reader sees (a wide window)
                ".search-button-field, input[type=search]", "els => els.filter(e => e.getBoundingClientRect()"
                ".width > 0 && getComputedStyle(e).visibility !== 'hidden').length")
            found[name] = {"problems": problems, "figures": figures, "links": links, "url": page.url,
                           "searches": searches}
            page.close()
            page = context.new_page()
        browser.close()
    return found


def test_the_site_has_every_notebook_and_reference_page(site: Path) -> None:
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    assert sorted(p.stem for p in (site / "notebooks").glob("*.html") if p.stem != "README") == notebooks
    for page in ("docs/index", "docs/getting-started", "docs/api/index", "notebooks/README", "index"):
        assert (site / f"{page}.html").is_file(), page
    for doc in (ROOT / "docs").glob("*.md"):
        assert (site / "docs" / f"{doc.stem}.html").is_file(), f"docs/{doc.name} is not in the book"


def test_the_book_has_the_specifications_title_and_the_routes_before_the_reference(site: Path) -> None:
    title = (ROOT / "docs" / "SPEC.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    assert title == "queuesim — the exercises"
    page = (site / "notebooks" / "sim1_race_in_virtual_time.html").read_text(encoding="utf-8")
    assert f"<title>Sim 1 — The race, in virtual time &#8212; {title}</title>" in page
    index = (site / "docs" / "index.html").read_text(encoding="utf-8")
    nav = index[index.index("bd-docs-nav"):]
    nav = nav[:nav.index("</nav>")]  # the sidebar's table of contents
    captions = re.findall(r'<span class="caption-text">([^<]+)</span>', nav)
    assert captions == ["Start here", "Route 1 — the course, task by task",
                        "Route 2 — practise, write the course's files yourself",
                        "Route 3 — beyond the course, in virtual time", "Reference", "API"]
    entries = re.findall(r'<a class="reference internal" href="([^"#]+)"', nav)
    assert entries[0] == "../notebooks/00_start_here.html"
    notebooks = [k for k, href in enumerate(entries) if "/notebooks/task" in href or "/notebooks/sim" in href]
    assert notebooks == sorted(notebooks)
    in_order = [f"{p.stem}.html" for kind in ("task", "sim")
                for p in sorted((ROOT / "notebooks").glob(f"{kind}*.ipynb"))]
    assert [entries[k].rsplit("/", 1)[1] for k in notebooks] == in_order  # the course's tasks, then the simulations
    assert max(notebooks) < entries.index("exercises.html")  # the routes first, the reference after


def test_every_page_shows_one_search_box(visits: dict[str, dict[str, Any]]) -> None:
    counts = {name: visit["searches"] for name, visit in visits.items() if not name.startswith(("search", "genindex"))}
    assert counts
    assert {name: n for name, n in counts.items() if n != 1} == {}


def test_every_page_loads_without_console_errors(visits: dict[str, dict[str, Any]]) -> None:
    assert len(visits) > 30
    troubled = {name: visit["problems"] for name, visit in visits.items() if visit["problems"]}
    assert troubled == {}, json.dumps(troubled, indent=1)


def test_every_notebook_page_shows_its_figures(visits: dict[str, dict[str, Any]]) -> None:
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        committed = sum(
            1 for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
            if "remove-output" not in cell.get("metadata", {}).get("tags", [])
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
        )
        shown = visits[f"notebooks/{notebook.stem}.html"]["figures"]
        assert len(shown) == committed, f"{notebook.name}: {committed} figures committed, {len(shown)} on the page"
        assert all(image["loaded"] and image["visible"] for image in shown), f"{notebook.name}: {shown}"


def test_no_internal_link_is_broken(site: Path, served: str, visits: dict[str, dict[str, Any]]) -> None:
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
        return ids[path]

    broken = []
    checked = 0
    for name, visit in visits.items():
        for href in visit["links"]:
            if not href.startswith(served):
                assert urlparse(href).scheme in ("http", "https", "mailto"), f"{name}: odd link {href}"
                continue
            target, fragment = urldefrag(href)
            path = site / unquote(target[len(served):])
            if path.is_dir():
                path = path / "index.html"
            checked += 1
            if not path.is_file():
                broken.append(f"{name} → {href} (no such file)")
            elif fragment and path.suffix == ".html" and unquote(fragment) not in anchors(path):
                broken.append(f"{name} → {href} (no element with that id)")
    assert checked > 500
    assert broken == [], "\n".join(broken)


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    """The build's checks can fail: a page linking to a notebook that does not exist stops it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for keep in ("conf.py", "_static", "_root", "SPEC.md"):  # conf.py takes the book's title from SPEC.md
        source = ROOT / "docs" / keep
        (shutil.copytree if source.is_dir() else shutil.copy)(source, docs / keep)
    (docs / "index.md").write_text("# A book\n\n```{toctree}\npage\n```\n", encoding="utf-8")
    (docs / "page.md").write_text("# A page\n\nSee [a lost notebook](../notebooks/nowhere.ipynb).\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-c", "docs", "-q", "-W", "-E", ".", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode != 0
    assert "nowhere.ipynb" in result.stderr
