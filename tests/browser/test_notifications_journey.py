"""A participant sees the bell's count, opens a notification, marks the rest read and chooses a digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.fixtures import LiveServer
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


def test_bell_inbox_and_preferences(live_server: LiveServer, page):
    user_id = live_server.create_user("peserta@example.go.id", "Peserta Satu")

    def seed(session):
        from lms.notifications.services import notify

        with live_server.app.test_request_context():
            now = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
            for i in range(3):
                notify(
                    session,
                    [user_id],
                    "work_returned",
                    {"assessment": f"Refleksi {i}", "actor": "Widyaiswara", "note": "Tambahkan data."},
                    link="/notifications/preferences",
                    now=now + timedelta(minutes=i),
                )
            session.commit()

    live_server.query(seed)
    page.goto("/login")
    page.fill("input[name=email]", "peserta@example.go.id")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    assert page.locator("#bell-count").inner_text() == "3"
    page.click("#bell")
    page.wait_for_url("**/notifications/")
    items = page.locator("#notifications li")
    assert items.count() == 3
    assert "Refleksi 2" in items.first.inner_text() and "Tambahkan data." in items.first.inner_text()

    items.first.locator("form[action$='/open'] button").click()
    page.wait_for_url("**/notifications/preferences")
    assert page.locator("#bell-count").inner_text() == "2"

    page.goto("/notifications/")
    page.locator("form[action$='/read-all'] button").click()
    page.wait_for_url("**/notifications/")
    assert page.locator("#bell-count").count() == 0

    page.goto("/notifications/preferences")
    page.check("#kind-work_returned-digest")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/notifications/preferences")
    assert page.locator("#kind-work_returned-digest").is_checked()
    assert page.locator(".alert-success").count() == 1
