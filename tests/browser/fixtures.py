"""Browser-test fixtures (registered for every test in the root conftest): Debian's Chromium driven by Playwright against a live Tolok server.

They run on an SQLite file database only (never parametrised by backend), with CSRF on, and a
page fails its test when the browser reports a JavaScript error, a CSP violation or a 5xx response.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lms.app import create_app
from lms.db import Base
from tests.fixtures import app_config
from tests.support import FAST_HASH, PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

HERE = Path(__file__).resolve().parent
_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (4\d\d)\b")

# Reports every CSP violation to the console, where the page fixture collects it, even those
# Chromium would not log itself (the init script runs outside the page's CSP).
_REPORT_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that drives the browser (here or in a plugin) carries the ``browser`` marker."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents or "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            # When a page navigates away mid-download, Werkzeug's development server (the live
            # server here, never production) drops the static file without closing it.
            item.add_marker(
                pytest.mark.filterwarnings("ignore:unclosed file <_io.BufferedReader name='.*/static/:ResourceWarning")
            )
            item.add_marker(
                pytest.mark.filterwarnings(
                    "ignore:Exception ignored in. <_io.BufferedReader name='.*/static/:pytest.PytestUnraisableExceptionWarning"
                )
            )


# -- the live server -----------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Any

    def create_user(
        self, email: str, name: str, *, password: str = PASSWORD, is_admin: bool = False, is_manager: bool = False
    ) -> int:
        """An active account in the live app's database; returns its id."""
        from lms import db
        from lms.users.services import create_user

        with self.app.app_context():
            user = create_user(
                db.session,
                email=email,
                name=name,
                password=password,
                hash_method=FAST_HASH,
                is_admin=is_admin,
                is_manager=is_manager,
            )
            db.session.commit()
            return user.id

    def query(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(session)`` in an app context of its own: a fresh view of what the server committed."""
        from lms import db

        with self.app.app_context():
            return fn(db.session)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            """Access lines are noise here; server errors still reach the log and fail the page."""

    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    app = create_app(app_config(url, tmp_path, CSRF_ENABLED=True))
    Base.metadata.create_all(app.extensions["lms.db"].engine)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["lms.db"].dispose()


# -- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed at /usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; no browser download needed)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A page in a fresh context (own cookies) whose relative URLs go to the live server.

    Any console error, uncaught exception, CSP violation or 5xx response fails the test.
    """
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="id-ID")
    context.set_default_timeout(10_000)
    context.add_init_script(_REPORT_CSP)
    page = context.new_page()
    problems: list[str] = []
    console_errors: list[tuple[str, str]] = []
    documents: set[tuple[str, int]] = set()

    def on_response(response: Any) -> None:
        if response.status >= 500:
            problems.append(f"HTTP {response.status} {response.request.method} {response.url}")
        elif response.request.resource_type == "document":
            documents.add((response.url, response.status))

    page.on(
        "console",
        lambda msg: console_errors.append((msg.text, msg.location.get("url", ""))) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"uncaught exception: {exc}"))
    page.on("response", on_response)
    try:
        yield page
    finally:
        context.close()
    for text, url in console_errors:
        # The app answers a form with errors with 4xx (422, 409...): Chromium logs that page's own
        # status as a failed load. A 4xx of a script, stylesheet or image still fails the test.
        status = _FAILED_LOAD.match(text)
        if status and (url, int(status.group(1))) in documents:
            continue
        problems.append(f"console error: {text} ({url})")
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems), pytrace=False)
