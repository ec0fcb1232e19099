"""Issue 5's journey: a participant logs a practice at a field visit (identified, a photo, then an
adaptation, refused once without a timeline), submits it; an instructor grades and releases it; the
coordinator opens a follow-up round, the participant reports it implemented and an instructor
confirms; the coordinator reads the visit's funnel."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from flask_babel import gettext
from playwright.sync_api import expect
from sqlalchemy import select

from lms.assessments.models import Submission
from lms.grading.models import Grade
from plugins.benchmarking.models import Attachment, FieldVisit, Followup, FollowupRound, Practice
from tests.browser.fixtures import DESKTOP, PHONE, LiveServer
from tests.support import FAST_HASH, PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "koordinator@bpsdm.go.id"
INSTRUCTOR = "widyaiswara@bpsdm.go.id"
# (NIP, name, email, instansi, unit); the first one logs the practice.
PEOPLE = [
    ("198609262015051001", "Siti Rahayu", "siti.rahayu@kalteng.go.id", "Pemprov Kalimantan Tengah", "Dinas Kesehatan"),
    ("198811052012121002", "Dewi Lestari", "dewi.lestari@kotim.go.id", "Pemkab Kotawaringin Timur", "Bappeda"),
]
PARTICIPANT, PARTICIPANT_NAME = PEOPLE[0][2], PEOPLE[0][1]
HOST_NAME = "Pemerintah Kota Pontianak"

TITLE = "Rumah sakit tanpa kelas"
IDENTIFIED = "Semua pasien dilayani dengan **satu standar** ruang rawat, tanpa pembedaan kelas."
CHANGES = "Dimulai di satu ruang percontohan RSUD, bukan di seluruh rumah sakit."
REASONS = ["budget", "scale"]
TARGET_UNIT = "RSUD dr. Doris Sylvanus"
TIMELINE = "Januari–Juni 2027"
OUTCOME = "Ruang percontohan tanpa kelas dibuka pada bulan Maret; antrean rawat inap turun 20%."
PICKS = [3, 2, 2, 3, 2]  # the level index chosen per criterion of the practice rubric (4 levels, points 1–4)


# -- arrangement and helpers ---------------------------------------------------------------------


def arrange(live_server: LiveServer) -> dict[str, Any]:
    """A running cohort coordinated by a manager, with an instructor, two participants (passwords and
    profiles), a host and a visit today–tomorrow split into two groups with its assessments."""
    from lms import db
    from lms.auth.services import set_password
    from lms.cohorts import services as cohorts
    from lms.cohorts.models import CohortStatus, Role
    from lms.users.models import User
    from lms.users.services import find_by_email
    from plugins.benchmarking import practices, services

    ids: dict[str, Any] = {
        "coordinator": live_server.create_user(COORDINATOR, "Koordinator Diklat", is_manager=True),
        "instructor": live_server.create_user(INSTRUCTOR, "Widyaiswara Utama"),
    }
    with live_server.app.app_context():
        session = db.session
        coordinator = session.get(User, ids["coordinator"])
        program = cohorts.save_program(session, None, code="PKA", name="Pelatihan Kepemimpinan Administrator")
        cohort = cohorts.save_cohort(
            session,
            None,
            program=program,
            actor=coordinator,
            name="Angkatan XII",
            year=date.today().year,
            start_date=date.today() - timedelta(days=14),
            end_date=date.today() + timedelta(days=90),
            location="Palangka Raya",
            status=CohortStatus.RUNNING,
        )
        instructor = session.get(User, ids["instructor"])
        assert instructor is not None
        cohorts.add_member(session, cohort, instructor, Role.INSTRUCTOR)
        for nip, name, email, instansi, unit in PEOPLE:
            cohorts.enrol_participant(session, cohort, email=email, name=name, nip=nip, instansi=instansi, unit=unit)
            person = find_by_email(session, email)
            assert person is not None
            set_password(person, PASSWORD, FAST_HASH)
        host = services.save_host(session, None, name=HOST_NAME)
        visit = services.save_visit(
            session,
            None,
            cohort=cohort,
            host=host,
            theme="Inovasi pelayanan publik",
            start_date=date.today(),
            end_date=date.today() + timedelta(days=1),
            guiding_questions="Inovasi apa yang membuat pelayanan unggul?",
            min_practices=1,
        )
        services.split_groups(session, visit, 2)
        practices.ensure_assessments(session, visit, coordinator)
        db.session.commit()
        participant = find_by_email(session, PARTICIPANT)
        assert participant is not None
        ids.update(cohort=cohort.id, visit=visit.id, assessment=visit.assessment_id, participant=participant.id)
    return ids


def say(live_server: LiveServer, message: str, **kwargs: Any) -> str:
    """``message`` in the app's default language (the pages' language here)."""
    with live_server.app.test_request_context():
        return gettext(message, **kwargs)


def log_in(page, live_server: LiveServer, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def log_out(page, live_server: LiveServer) -> None:
    page.click("#mainnav .dropdown-toggle")
    page.click("#mainnav form[action='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/(login)?(\?.*)?$"))


def practice_row(live_server: LiveServer, practice_id: int) -> dict[str, Any]:
    def read(session):
        p = session.get(Practice, practice_id)
        s = session.get(Submission, p.submission_id)
        return {
            "stage": p.stage.value,
            "title": p.title,
            "category": p.category.value,
            "changes": p.changes,
            "reasons": p.reason_list,
            "target_unit": p.target_unit,
            "timeline": p.timeline,
            "submission": s.id,
            "state": s.state.value,
            "assessment": s.assessment_id,
            "files": [
                (a.content_type, a.original_name)
                for a in session.scalars(select(Attachment).where(Attachment.practice_id == p.id))
            ],
        }

    return live_server.query(read)


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def png(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "ruang-rawat.png"
    image = Image.new("RGB", (480, 320), (31, 78, 95))
    for x in range(0, 480, 40):
        for y in range(0, 320, 40):
            if (x + y) // 40 % 2:
                image.paste((240, 200, 60), (x, y, x + 40, y + 40))
    image.save(path, "PNG")
    return path


# -- the journey ---------------------------------------------------------------------------------


def test_practice_logged_adapted_graded_followed_up_and_counted_in_the_funnel(live_server, page, tmp_path):
    ids = arrange(live_server)
    visit_id = ids["visit"]
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    # -- 1. the participant logs a practice: identified ------------------------------------------
    log_in(page, live_server, PARTICIPANT)
    page.goto(f"/benchmarking/visits/{visit_id}")
    page.click("#my-practices")
    page.wait_for_url(f"**/benchmarking/visits/{visit_id}/practices")
    page.click("#new-practice")
    page.wait_for_url(f"**/benchmarking/visits/{visit_id}/practices/new")
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=category]", "health")
    page.fill("textarea[name=identified]", IDENTIFIED)
    page.click("#step-tab-3")  # the form's steps: the stage is in the third
    page.select_option("select[name=stage]", "identified")
    page.click("#practice-form button[type=submit]")
    page.wait_for_url(re.compile(r"/benchmarking/practices/\d+$"))
    practice_id = int(page.url.rsplit("/", 1)[1])
    row = practice_row(live_server, practice_id)
    assert (row["title"], row["category"], row["stage"], row["state"]) == (TITLE, "health", "identified", "draft")
    assert row["assessment"] == ids["assessment"]
    expect(page.locator("main h1")).to_have_text(TITLE)
    expect(page.locator("main strong", has_text="satu standar")).to_have_count(1)

    # A photo as evidence: the page shows a re-encoded JPEG thumbnail.
    page.set_input_files("input[name=file]", str(png(tmp_path)))
    with page.expect_navigation():  # sent with a progress bar, then the page shows it
        page.click("#upload")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    assert practice_row(live_server, practice_id)["files"] == [("image/png", "ruang-rawat.png")]
    thumb = page.locator("main img.evidence-thumb")
    expect(thumb).to_have_count(1)
    src = thumb.get_attribute("src")
    assert re.fullmatch(r"/benchmarking/files/\d+/thumbnail", src), src
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.evaluate("img => [img.naturalWidth, img.naturalHeight]", thumb.element_handle()) == [360, 240]
    response = page.request.get(src)
    assert response.status == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.body().startswith(b"\xff\xd8\xff")
    expect(page.locator("#attachments li")).to_have_count(1)

    # -- edit into an adaptation, saved first without a timeline (a draft saves as it is) ---------
    page.click("#edit-practice")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}/edit")
    expect(page.locator("input[name=title]")).to_have_value(TITLE)
    expect(page.locator("select[name=stage]")).to_have_value("identified")
    page.click("#step-tab-3")
    page.select_option("select[name=stage]", "adapted")
    page.fill("textarea[name=changes]", CHANGES)
    for reason in REASONS:  # chips, not a Ctrl-click list
        page.click(f"#reasons label:has-text('{say(live_server, reason)}')")
    page.fill("input[name=target_unit]", TARGET_UNIT)
    page.click("#practice-form button[type=submit]")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    row = practice_row(live_server, practice_id)
    assert (row["stage"], row["changes"], row["reasons"], row["timeline"]) == ("adapted", CHANGES, REASONS, "")

    # Submitting asks for the timeline, at its field, and hands nothing in.
    page.click("#submit-practice")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}/submit")
    assert page.locator("#submit-missing").count() == 1
    timeline = page.locator("textarea[name=timeline]")
    assert "is-invalid" in (timeline.get_attribute("class") or "")
    expect(page.locator("textarea[name=timeline] ~ .invalid-feedback")).to_have_text(
        say(live_server, "Give a timeline.")
    )
    expect(page.locator("main .invalid-feedback")).to_have_count(1)
    expect(timeline).to_be_visible()  # the steps open where something is to be corrected
    assert practice_row(live_server, practice_id)["state"] == "draft"
    dialogs.clear()

    page.fill("textarea[name=timeline]", TIMELINE)
    page.click("#practice-form button[type=submit]")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    row = practice_row(live_server, practice_id)
    assert (row["stage"], row["changes"], row["reasons"], row["target_unit"], row["timeline"]) == (
        "adapted",
        CHANGES,
        REASONS,
        TARGET_UNIT,
        TIMELINE,
    )
    assert row["state"] == "draft"
    main = page.locator("main")
    expect(main).to_contain_text(TARGET_UNIT)
    expect(main).to_contain_text(TIMELINE)
    expect(main).to_contain_text(say(live_server, "budget"))
    expect(main.locator("img.evidence-thumb")).to_have_count(1)

    # The practice page at phone width.
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.screenshot(path="/tmp/practice-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    # -- submit, confirming the question ---------------------------------------------------------
    question = page.locator(f"form[action='/benchmarking/practices/{practice_id}/submit']").get_attribute(
        "data-confirm"
    )
    assert question
    page.click("#submit-practice")
    page.wait_for_url(f"**/benchmarking/practices/{practice_id}")
    expect(page.locator("#submit-practice")).to_have_count(0)
    expect(page.locator("#edit-practice")).to_have_count(0)
    assert dialogs == [question]
    assert practice_row(live_server, practice_id)["state"] == "submitted"
    log_out(page, live_server)

    # -- 2. the instructor grades it and releases the grade -------------------------------------
    submission_id = row["submission"]
    levels = live_server.query(
        lambda s: [
            [(lv.id, lv.points) for lv in c.levels] + [c.weight]  # the weight last
            for c in s.get(Submission, submission_id).assessment.rubric.criteria
        ]
    )
    assert len(levels) == 5, "the practice rubric has five criteria"

    log_in(page, live_server, INSTRUCTOR)
    page.goto("/grading/")
    link = page.locator(f"#queue a[href^='/grading/submissions/{submission_id}']")
    expect(link).to_have_text(PARTICIPANT_NAME)
    link.click()
    page.wait_for_url(f"**/grading/submissions/{submission_id}")
    pane = page.locator("#submission")
    expect(pane).to_contain_text(TITLE)
    expect(pane).to_contain_text(TARGET_UNIT)
    expect(pane.locator("img.evidence-thumb")).to_have_count(1)
    for criterion, pick in zip(levels, PICKS, strict=True):
        page.check(f"#level-{criterion[pick][0]}")
    page.click("#finalize")
    page.wait_for_url(f"**/grading/submissions/{submission_id}")
    expect(page.locator("#grade-status")).to_have_attribute("data-status", "final")
    earned = sum(c[-1] * c[pick][1] / max(p for _id, p in c[:-1]) for c, pick in zip(levels, PICKS, strict=True))
    score = (earned / sum(c[-1] for c in levels) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert score == Decimal("84.38")
    expect(page.locator("#current-score")).to_have_text(f"{score:.2f}".replace(".", ","))
    page.click("#release")
    page.wait_for_url(f"**/grading/submissions/{submission_id}")
    expect(page.locator("#release")).to_have_count(0)
    expect(page.locator("#grade-status")).to_have_attribute("data-status", "released")
    grade = live_server.query(
        lambda s: (lambda g: (g.status.value, g.score, sorted(c.level_id for c in g.criteria)))(
            s.scalar(select(Grade).where(Grade.submission_id == submission_id))
        )
    )
    assert grade == ("released", score, sorted(c[p][0] for c, p in zip(levels, PICKS, strict=True)))
    assert practice_row(live_server, practice_id)["state"] == "submitted", "grading leaves the submission submitted"
    log_out(page, live_server)

    # -- 3. the coordinator opens a follow-up round ----------------------------------------------
    log_in(page, live_server, COORDINATOR)
    page.goto(f"/benchmarking/cohorts/{ids['cohort']}/followups")
    round_form = page.locator("main form:has(input[name=opens_on])")
    round_form.locator("input[name=title]").fill("3 bulan setelah kunjungan")
    round_form.locator("input[name=opens_on]").fill(date.today().isoformat())
    round_form.locator("input[name=due_on]").fill((date.today() + timedelta(days=30)).isoformat())
    round_form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/benchmarking/cohorts/{ids['cohort']}/followups")
    rounds = live_server.query(
        lambda s: [
            (r.id, r.title, r.opens_on, r.due_on)
            for r in s.scalars(select(FollowupRound).where(FollowupRound.cohort_id == ids["cohort"]))
        ]
    )
    assert [r[1:] for r in rounds] == [("3 bulan setelah kunjungan", date.today(), date.today() + timedelta(days=30))]
    round_id = rounds[0][0]
    expect(page.locator(f"#rounds a[href='/benchmarking/rounds/{round_id}']")).to_have_count(1)
    log_out(page, live_server)

    # The participant reports the practice implemented.
    log_in(page, live_server, PARTICIPANT)
    page.goto("/benchmarking/followups")
    page.click(f"main a[href='/benchmarking/rounds/{round_id}/report']")
    page.wait_for_url(f"**/benchmarking/rounds/{round_id}/report")
    report = page.locator(f"form.followup-form:has(input[name=practice_id][value='{practice_id}'])")
    expect(report).to_have_count(1)
    report.locator("select[name=status]").select_option("implemented")
    report.locator("textarea[name=outcome]").fill(OUTCOME)
    report.locator("button[type=submit]").click()
    page.wait_for_url(f"**/benchmarking/rounds/{round_id}/report")
    expect(page.locator("main .alert-success")).to_have_count(1)
    report = page.locator(f"form.followup-form:has(input[name=practice_id][value='{practice_id}'])")
    expect(report.locator("select[name=status]")).to_have_value("implemented")
    expect(report.locator("textarea[name=outcome]")).to_have_value(OUTCOME)

    def followup_row(session):
        f = session.scalar(select(Followup).where(Followup.round_id == round_id, Followup.practice_id == practice_id))
        return (
            None
            if f is None
            else {
                "id": f.id,
                "status": f.status.value,
                "outcome": f.outcome,
                "confirmed_at": f.confirmed_at,
                "confirmed_by": f.confirmed_by_id,
            }
        )

    followup = live_server.query(followup_row)
    assert followup is not None
    assert (followup["status"], followup["outcome"], followup["confirmed_at"]) == ("implemented", OUTCOME, None)
    log_out(page, live_server)

    # The instructor confirms it on the round page.
    log_in(page, live_server, INSTRUCTOR)
    page.goto(f"/benchmarking/rounds/{round_id}")
    confirm = page.locator(f"form[action='/benchmarking/followups/{followup['id']}/confirm'] button[type=submit]")
    expect(confirm).to_have_count(1)
    confirm.click()
    page.wait_for_url(f"**/benchmarking/rounds/{round_id}")
    expect(page.locator(f"form[action='/benchmarking/followups/{followup['id']}/confirm']")).to_have_count(0)
    expect(page.locator("#round-reports")).to_contain_text("Widyaiswara Utama")
    followup = live_server.query(followup_row)
    assert followup["status"] == "implemented"
    assert followup["confirmed_at"] is not None and followup["confirmed_by"] == ids["instructor"]
    log_out(page, live_server)

    # -- 4. the coordinator reads the visit's funnel ---------------------------------------------
    log_in(page, live_server, COORDINATOR)
    page.goto(f"/benchmarking/visits/{visit_id}")
    page.click("#funnel-link")
    page.wait_for_url(f"**/benchmarking/visits/{visit_id}/funnel")
    svg = page.locator("#funnel svg")
    expect(svg).to_be_visible()
    steps = [
        say(live_server, "Identified"),
        say(live_server, "Adopted or adapted"),
        say(live_server, "Implemented at home"),
    ]
    expected = f"{say(live_server, 'Funnel')}: " + ", ".join(f"{label} 1" for label in steps)
    expect(svg).to_have_attribute("aria-label", expected)
    labels = svg.locator("text.funnel-label")
    expect(labels).to_have_text([f"{label}: 1" for label in steps])
    bars = svg.locator("rect.funnel-bar")
    expect(bars).to_have_count(3)
    assert {bars.nth(i).get_attribute("width") for i in range(3)} == {"560.0"}, "one of one at every step: full width"
    expect(page.locator("#funnel figcaption")).to_have_text(say(live_server, "%(a)s adopted, %(b)s adapted.", a=0, b=1))
    listed = page.locator("#visit-practices tbody tr")
    expect(listed).to_have_count(1)
    cells = listed.first.locator("td")
    expect(cells.nth(0)).to_have_text(PARTICIPANT_NAME)
    expect(cells.nth(1).locator(f"a[href='/benchmarking/practices/{practice_id}']")).to_have_text(TITLE)
    expect(cells.nth(2)).to_have_text(say(live_server, "Adapted"))
    expect(cells.nth(3)).to_have_text(f"{say(live_server, 'Implemented')} ✓")
    # Host statistics list published practices only (other cohorts' work stays private until then).
    expect(page.locator("#host-top tbody tr")).to_have_count(0)
    page.screenshot(path="/tmp/funnel.png", full_page=True)

    final = live_server.query(
        lambda s: (
            s.get(Practice, practice_id).stage.value,
            s.get(Submission, submission_id).state.value,
            s.scalar(select(Grade.status).where(Grade.submission_id == submission_id)).value,
            s.get(FieldVisit, visit_id).assessment_id,
        )
    )
    assert final == ("adapted", "submitted", "released", ids["assessment"])
