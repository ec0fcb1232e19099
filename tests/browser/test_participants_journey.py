"""A penyelenggara acts on several participants at once (desktop and phone) and downloads the
results as CSV for Excel in Indonesian."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.assessments.models import Extension
from lms.cohorts.models import Membership, Role
from tests.browser.fixtures import PHONE, LiveServer
from tests.browser.test_results_journey import log_in
from tests.factories import demo_with_results

pytestmark = pytest.mark.browser


def participants(live_server: LiveServer, cohort_id: int) -> int:
    return live_server.query(
        lambda s: s.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        )
    )


def test_tick_everyone_give_an_extension_then_remove_two_on_a_phone(live_server, page):
    ids = demo_with_results(live_server.app)
    cohort_id = ids["cohort_id"]
    log_in(page, live_server, "coordinator")
    page.goto(f"/cohorts/{cohort_id}/participants")
    boxes = page.locator("input[name=user_ids][form=bulk-form]")
    shown = boxes.count()
    assert shown >= 10

    # "Tick everyone" ticks the page's boxes and the bar counts them.
    page.check("#tick-all")
    assert boxes.evaluate_all("bs => bs.filter(b => b.checked).length") == shown
    assert str(shown) in page.inner_text("#bulk-count")
    page.select_option("#bulk-action", "extension")
    page.click("#bulk-continue")
    page.locator("#bulk-confirm").wait_for()
    assert page.locator("#bulk-people li").count() == shown
    page.select_option("#assessment_id", index=0)
    page.fill("#cutoff_at", "2026-12-24T23:59")
    page.click("#bulk-do")
    page.wait_for_url(f"**/cohorts/{cohort_id}/participants")
    assert page.locator(".alert-success").count() == 1
    assert live_server.query(lambda s: s.scalar(select(func.count()).select_from(Extension))) == shown

    # On a phone: two ticked by hand, removed after the question.
    page.set_viewport_size(PHONE)
    before = participants(live_server, cohort_id)
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.select_option("#bulk-action", "remove")
    page.click("#bulk-continue")
    page.locator("#bulk-confirm").wait_for()
    assert page.locator("#bulk-people li").count() == 2
    assert participants(live_server, cohort_id) == before, "asking removes no one"
    page.click("#bulk-do")
    page.wait_for_url(f"**/cohorts/{cohort_id}/participants")
    assert participants(live_server, cohort_id) == before - 2


def test_results_download_for_excel_in_indonesian(live_server, page, tmp_path):
    ids = demo_with_results(live_server.app)
    log_in(page, live_server, "coordinator")
    page.goto(f"/cohorts/{ids['cohort_id']}/results")
    with page.expect_download() as info:
        page.click("#download-csv-id")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode()) and data.split(b"\r\n")[0].count(b";") >= 8
    assert b'"=""' in data, "NIPs as text for Excel"
