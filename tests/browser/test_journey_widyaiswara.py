"""A widyaiswara's day (issue 14) on a desktop (1366×768) and a phone (390×844): find work by name,
NIP and visit group, grade with the total following the levels clicked, move on with J / K (never
while typing), and remind those who have handed nothing in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.assessments.models import Assessment, Submission
from lms.notifications.models import Notification
from lms.users.models import ParticipantProfile, User
from tests.browser.test_results_journey import log_in
from tests.factories import demo_with_results

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def queue_links(page) -> list[str]:
    return page.locator("#queue tbody a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def no_sideways_scroll(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_find_grade_move_on_and_remind(live_server, page, viewport):
    ids = demo_with_results(live_server.app)
    cohort_id = ids["cohort_id"]
    page.set_viewport_size(viewport)
    log_in(page, live_server, "instructor")

    # Search by a name, then by the NIP typed with its spaces: only that person's work is listed.
    def someone(session):
        submission = session.scalars(
            select(Submission).where(Submission.state == "submitted").order_by(Submission.id)
        ).first()
        person = session.get(User, submission.participant_id)
        nip = session.scalar(select(ParticipantProfile.nip).where(ParticipantProfile.user_id == person.id))
        return person.name, nip

    name, nip = live_server.query(someone)
    page.goto("/grading/")
    no_sideways_scroll(page, viewport)
    page.fill("#f-q", name)
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url(re.compile(r"q="))
    rows = page.locator("#queue tbody tr")
    assert rows.count() >= 1
    assert all(name in text for text in rows.all_inner_texts())
    page.fill("#f-q", f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_load_state()
    assert all(name in text for text in page.locator("#queue tbody tr").all_inner_texts())

    # Filter by the cohort, then by a visit group (the plugin's groups, when it is on).
    page.goto(f"/grading/?cohort={cohort_id}")
    everyone = len(queue_links(page))
    group = page.locator("select[data-group-filter]")
    if group.count():
        group.select_option(index=1)
        page.click("#queue-filters button[type=submit]")
        page.wait_for_load_state()
        assert len(queue_links(page)) <= everyone

    # Grade ungraded work: the total follows the levels clicked and is what the server saves.
    page.goto(f"/grading/?cohort={cohort_id}&state=ungraded")
    first = queue_links(page)[0]
    page.goto(first)
    total = page.locator("#live-total")
    expect(total).to_have_text("—")
    fieldsets = page.locator("#grade-form fieldset[data-criterion]")
    for index in range(fieldsets.count()):
        fieldsets.nth(index).locator("input[type=radio]").last.check()
    expect(total).not_to_have_text("—")
    shown_full = total.inner_text()
    fieldsets.nth(0).locator("input[type=radio]").first.check()
    expect(total).not_to_have_text(shown_full)
    shown = total.inner_text()
    assert re.fullmatch(r"\d{1,3},\d\d", shown), shown  # Indonesian decimals, as the server writes them
    page.click("#finalize")
    page.wait_for_load_state()
    expect(page.locator("#current-score")).to_have_text(shown)
    no_sideways_scroll(page, viewport)

    # J and K: typed into a comment they are text; outside a field they open the next / previous.
    here = page.url
    if page.locator("#next").count():
        comment = page.locator("#grade-form textarea").first
        comment.click()
        page.keyboard.type("jk")
        assert page.url == here and comment.input_value().endswith("jk")
        page.reload()
        page.locator("h1").click()
        page.keyboard.press("j")
        page.wait_for_url(lambda url: url != here)
        expect(page.locator("#prev")).to_be_visible()
        page.locator("h1").click()
        page.keyboard.press("k")
        page.wait_for_url(here)
    assert page.locator("#shortcuts summary").count() == 1  # the shortcuts are written on the page

    # Remind those who have not submitted the open reflection: asked first, then once a day.
    def open_reflection(session):
        return session.scalar(
            select(Assessment.id).where(
                Assessment.cohort_id == cohort_id, Assessment.title == "Refleksi studi lapangan"
            )
        )

    assessment_id = live_server.query(open_reflection)
    page.goto(f"/grading/assessments/{assessment_id}/progress")
    page.click("#remind")
    page.wait_for_url(f"**/grading/assessments/{assessment_id}/remind")
    listed = page.locator("#remind-people li").count()
    assert listed > 0
    no_sideways_scroll(page, viewport)
    reminders = select(func.count()).select_from(Notification).where(Notification.kind == "submission_reminder")
    assert live_server.query(lambda s: s.scalar(reminders)) == 0
    page.click("#remind-confirm")
    page.wait_for_url(re.compile(r"/progress\?show=missing"))
    expect(page.locator(".alert-success")).to_have_count(1)
    assert live_server.query(lambda s: s.scalar(reminders)) == listed
    page.goto(f"/grading/assessments/{assessment_id}/remind")
    expect(page.locator("#remind-confirm")).to_be_disabled()
