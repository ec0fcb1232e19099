"""A coordinator starts the cohort PDF as a background job and watches the bar fill without reloading."""

from __future__ import annotations

import pytest

from lms.jobs.queue import get_queue
from tests.browser.test_results_journey import log_in
from tests.factories import demo_with_results

pytestmark = pytest.mark.browser


def test_the_progress_bar_follows_the_job_and_offers_the_download(live_server, page):
    ids = demo_with_results(live_server.app)
    cohort_id = ids["cohort_id"]
    log_in(page, live_server, "coordinator")
    page.goto(f"/cohorts/{cohort_id}/results")
    page.click("form#export-pdf-job button[type=submit]")
    page.wait_for_url("**/jobs/*")
    card = page.locator("[data-job-status-url]")
    assert card.get_attribute("data-job-status") == "queued"
    assert page.locator("[data-job-download]").is_hidden()
    page.evaluate("window.stillTheSamePage = true")

    # The consumer's work, done here: run what is queued (the demo's notification mails, then the job).
    huey = get_queue(live_server.app).huey
    while (task := huey.dequeue()) is not None:
        huey.execute(task)

    page.locator("[data-job-status-url][data-job-status=done]").wait_for(timeout=20_000)
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, no reload
    assert page.locator("progress").evaluate("bar => bar.value") == 100
    link = page.locator("[data-job-download] a")
    assert link.is_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
