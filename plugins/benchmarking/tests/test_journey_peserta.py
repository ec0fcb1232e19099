"""Issue 14, the peserta's day with a practice, on a desktop and on a phone: the form in steps with
chips for the reasons, a photo before anything is saved (the draft is made with it, the upload
shows its progress), autosave on the server, a draft saved half-filled, what happens after
submitting and taking it back ("tarik kembali"), the released grade as the rubric with the chosen
levels and the comments, and the practice named by its title where the work is listed."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.assessments.models import Submission
from plugins.benchmarking.models import Attachment, Practice
from plugins.benchmarking.tests.test_practice_journey import (
    PARTICIPANT,
    arrange,
    assert_no_sideways_scroll,
    log_in,
    png,
)
from tests.browser.fixtures import DESKTOP, PHONE, LiveServer

pytestmark = pytest.mark.browser

TITLE = "Mal pelayanan publik terpadu"
IDENTIFIED = "Dua puluh layanan perizinan di **satu gedung**, satu loket antrean."
PLAN = "Direplikasi di DPMPTSP kabupaten mulai triwulan I."
CRITERION_COMMENT = "Hubungan dengan masalah instansi sudah jelas."
OVERALL = "Rencana adopsi realistis; lengkapi data antrean."


def state(live_server: LiveServer, practice_id: int) -> dict[str, Any]:
    def read(session):
        p = session.get(Practice, practice_id)
        return {
            "title": p.title,
            "identified": p.identified,
            "stage": p.stage.value,
            "state": session.get(Submission, p.submission_id).state.value,
            "files": list(session.scalars(select(Attachment.original_name).where(Attachment.practice_id == p.id))),
        }

    return live_server.query(read)


def until(check, timeout: float = 10.0) -> None:
    """Wait for something the server stores on its own (an autosave) to be there."""
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "not saved in time"
        time.sleep(0.2)


def grade_and_release(live_server: LiveServer, submission_id: int, instructor_id: int) -> list[int]:
    """The widyaiswara's part, through the services: a level per criterion, a comment on the first,
    an overall comment, released. Returns the chosen level ids."""
    from lms import db
    from lms.core.timezones import now_utc
    from lms.grading import services as grading
    from lms.users.models import User

    with live_server.app.app_context():
        submission = db.session.get(Submission, submission_id)
        instructor = db.session.get(User, instructor_id)
        assert submission is not None and instructor is not None and submission.assessment.rubric is not None
        criteria = submission.assessment.rubric.criteria
        levels = {c.id: c.levels[2].id for c in criteria}
        grade = grading.save_grade(
            db.session,
            submission,
            instructor,
            grading.GradeInput(
                levels=levels, comments={criteria[0].id: CRITERION_COMMENT}, feedback=OVERALL, finalize=True
            ),
            None,
            now_utc(),
        )
        grading.release(db.session, grade, instructor, now_utc())
        db.session.commit()
        return list(levels.values())


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_peserta_logs_submits_takes_back_and_reads_feedback(live_server, page, tmp_path, device):
    ids = arrange(live_server)
    visit_id = ids["visit"]
    viewport = PHONE if device == "phone" else DESKTOP
    page.set_viewport_size(viewport)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server, PARTICIPANT)

    # -- the form in steps: one section at a time, Back / Next ------------------------------------
    page.goto(f"/benchmarking/visits/{visit_id}/practices/new")
    expect(page.locator(".practice-stepper button")).to_have_count(4)
    expect(page.locator("#step-practice")).to_be_visible()
    expect(page.locator("#step-plan")).to_be_hidden()
    if device == "phone":
        assert_no_sideways_scroll(page)
    page.click("#step-next")
    expect(page.locator("#step-evidence")).to_be_visible()
    expect(page.locator("#step-practice")).to_be_hidden()
    expect(page.locator("#step-tab-2")).to_have_attribute("aria-current", "step")

    # -- a photo before anything is saved: the draft is made with it ------------------------------
    page.set_input_files("input[name=file]", str(png(tmp_path)))
    expect(page.locator("#form-attachments li")).to_have_text(["ruang-rawat.png"])
    expect(page).to_have_url(re.compile(r"/benchmarking/practices/\d+/edit$"))
    practice_id = int(page.url.rsplit("/", 2)[1])
    assert page.locator("#upload-progress").get_attribute("max") == "100"
    row = state(live_server, practice_id)
    assert (row["title"], row["state"], row["files"]) == ("", "draft", ["ruang-rawat.png"])

    # -- autosave: typed text reaches the server without pressing anything ------------------------
    page.click("#step-tab-1")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=identified]", IDENTIFIED)
    until(lambda: state(live_server, practice_id)["identified"] == IDENTIFIED)
    assert state(live_server, practice_id)["title"] == TITLE
    expect(page.locator("#autosave-status")).not_to_be_empty()

    # -- chips instead of a Ctrl-click list, then "Save draft" with the plan still missing ---------
    page.click("#step-tab-3")
    page.select_option("select[name=stage]", "adapted")
    page.click("#reasons label[for=reasons-0]")
    page.click("#reasons label[for=reasons-2]")
    expect(page.locator("#reasons-0")).to_be_checked()
    expect(page.locator("#reasons-1")).not_to_be_checked()
    if device == "phone":
        assert_no_sideways_scroll(page)
    page.click("#save-draft")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    assert state(live_server, practice_id)["stage"] == "adapted", "a draft saves half-filled"
    expect(page.locator("#next-step")).to_have_attribute("data-state", "draft")
    # A second photo from the practice page: sent with a progress bar, then listed.
    page.set_input_files("input[name=file]", str(png(tmp_path)))
    with page.expect_navigation():
        page.click("#upload")
    expect(page.locator("#attachments li")).to_have_count(2)

    # The plan is adopted after all: fill it in and submit.
    page.click("#edit-practice")
    page.click("#step-tab-3")
    page.select_option("select[name=stage]", "adopted")
    page.fill("textarea[name=adoption_plan]", PLAN)
    page.click("#save-draft")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    page.click("#submit-practice")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")

    # -- what happens next, and taking it back while ungraded --------------------------------------
    expect(page.locator("#next-step")).to_have_attribute("data-state", "waiting")
    expect(page.locator("#withdraw-practice")).to_be_visible()
    page.click("#withdraw-practice")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    expect(page.locator("#next-step")).to_have_attribute("data-state", "draft")
    assert state(live_server, practice_id)["state"] == "draft"
    page.click("#submit-practice")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    expect(page.locator("#next-step")).to_have_attribute("data-state", "waiting")
    assert state(live_server, practice_id)["state"] == "submitted"

    # -- the released grade: the rubric with the chosen levels and the comments -------------------
    submission_id = live_server.query(lambda s: s.get(Practice, practice_id).submission_id)
    chosen = grade_and_release(live_server, submission_id, ids["instructor"])
    page.reload()
    expect(page.locator("#next-step")).to_have_attribute("data-state", "graded")
    expect(page.locator("#withdraw-practice")).to_have_count(0)
    feedback = page.locator("#practice-grade")
    expect(feedback.locator(".criterion-feedback")).to_have_count(len(chosen))
    expect(feedback.locator("[data-chosen]")).to_have_count(len(chosen))
    expect(feedback.locator(".criterion-feedback").first.locator(".criterion-comment")).to_have_text(CRITERION_COMMENT)
    expect(feedback.locator(".feedback")).to_contain_text(OVERALL)
    expect(page.locator("#practice-score")).not_to_be_empty()
    if device == "phone":
        assert_no_sideways_scroll(page)

    # -- named by its title where the work is listed, and in the notification ---------------------
    page.goto(f"/assessments/{ids['assessment']}")
    expect(page.locator("#my-work .work-title")).to_have_text([TITLE])
    page.goto("/notifications/")
    expect(page.locator("main")).to_contain_text(TITLE)
