"""The practice log: stage rules, grading through the core engine, evidence safety, follow-up,
group scores, catalogue privacy and the batched result columns."""

import io
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.assessments.models import Submission
from lms.cohorts.models import Cohort, CohortStatus
from lms.core.errors import DomainError
from lms.grading import services as grading
from lms.grading.models import Grade
from plugins.benchmarking import evidence, followups, practices, reports, services
from plugins.benchmarking import results as plugin_results
from plugins.benchmarking.models import (
    Attachment,
    FieldVisit,
    Followup,
    GroupMember,
    Practice,
    VisitGroup,
)
from tests.support import count_queries, login

pytestmark = pytest.mark.usefixtures("plugin_on")
NOW = datetime.now(UTC).replace(microsecond=0)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (31, 78, 95)).save(out, "PNG")
    return out.getvalue()


PNG_1PX = _png()


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (63, 163, 124)).save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()


@pytest.fixture
def plugin_on(app):
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")


@pytest.fixture
def world(ctx, session, make_cohort):
    cohort = make_cohort(participants=4, instructors=1)
    host = services.save_host(session, None, name="Pemerintah Kota Pontianak")
    visit = services.save_visit(
        session,
        None,
        cohort=session.get(Cohort, cohort.id),
        host=host,
        theme="Inovasi",
        start_date=date.today(),
        end_date=date.today(),
        guiding_questions="Apa?",
        min_practices=1,
    )
    services.split_groups(session, visit, 2)
    practices.ensure_assessments(session, visit, None)
    session.commit()
    return {
        "cohort": cohort,
        "visit": visit,
        "people": cohort.people["participants"],
        "teacher": cohort.people["instructors"][0],
        "coordinator": cohort.people["coordinator"],
    }


def adapted(**changes):
    fields = practices.PracticeFields(
        title="Rumah sakit tanpa kelas",
        category="health",
        stage="adapted",
        identified="Satu standar layanan untuk semua pasien.",
        changes="Mulai di satu ruang percontohan.",
        reasons=("budget",),
        target_unit="RSUD",
        timeline="6 bulan",
    )
    for key, value in changes.items():
        setattr(fields, key, value)
    return fields


def logged(session, world, who=0, submit=True, **changes):
    person = world["people"][who]
    practice = practices.create_practice(session, world["visit"], person, adapted(**changes), NOW)
    if submit:
        practices.submit_practice(session, practice, person, NOW)
    session.commit()
    return practice


# -- stage rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage,missing",
    [
        ("adopted", {"adoption_plan"}),
        ("adapted", {"changes", "reasons", "target_unit", "timeline"}),
    ],
)
def test_a_plan_is_required_to_adopt_or_adapt(stage, missing):
    fields = practices.PracticeFields(title="X", identified="Y", stage=stage)
    with pytest.raises(practices.PracticeInvalid) as error:
        practices.check(fields)
    assert set(error.value.problems) == missing


def test_identified_needs_no_plan_and_bad_links_are_refused():
    practices.check(practices.PracticeFields(title="X", identified="Y", stage="identified"))
    with pytest.raises(practices.PracticeInvalid) as error:
        practices.check(practices.PracticeFields(title="X", identified="Y", evidence_links="javascript:alert(1)"))
    assert "evidence_links" in error.value.problems


def test_a_draft_saves_with_the_plan_missing_and_submit_asks_for_it(app, world, session):
    client = app.test_client()
    login(client, world["people"][0])
    response = client.post(
        f"/benchmarking/visits/{world['visit'].id}/practices/new",
        data={"title": "Mal pelayanan", "category": "service_innovation", "stage": "adapted", "reasons": ["scale"]},
    )
    assert response.status_code == 302
    practice = session.scalar(select(Practice))
    assert (practice.title, practice.stage.value, practice.reason_list) == ("Mal pelayanan", "adapted", ["scale"])
    # Submitting asks for what the stage needs, at the fields, and hands nothing in.
    response = client.post(f"/benchmarking/practices/{practice.id}/submit", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="submit-missing"' in page
    assert page.count("invalid-feedback") >= 4 and 'value="Mal pelayanan"' in page
    session.expire_all()
    assert session.get(Submission, practice.submission_id).state.value == "draft"


def test_an_empty_draft_saves_but_lengths_and_links_are_still_checked(app, world, session):
    client = app.test_client()
    login(client, world["people"][0])
    url = f"/benchmarking/visits/{world['visit'].id}/practices/new"
    assert client.post(url, data={"private_note": "nanti"}).status_code == 302
    assert session.scalar(select(Practice.private_note)) == "nanti"
    refused = client.post(url, data={"title": "x" * 301, "evidence_links": "ftp://x", "identified": "Teks saya"})
    assert refused.status_code == 422 and "Teks saya" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Practice)) == 1


def _autosave(client, world, **data):
    form = {"category": "health", "stage": "identified"} | data
    return client.post(
        f"/benchmarking/visits/{world['visit'].id}/practices/autosave",
        data=form,
        headers={"Accept": "application/json"},
    )


def test_the_first_autosave_creates_the_draft_once_and_later_ones_check_the_version(app, world, session):
    client = app.test_client()
    login(client, world["people"][0])
    first = _autosave(client, world, form_key="k" * 20, title="Mal")
    assert first.status_code == 200
    data = first.get_json()
    again = _autosave(client, world, form_key="k" * 20, title="Mal")  # a retried first save
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["practice_id"] == data["practice_id"]
    assert session.scalar(select(func.count()).select_from(Practice)) == 1
    pid, version = data["practice_id"], again.get_json()["version"]  # the retry saved it again
    saved = _autosave(client, world, practice_id=pid, version=version, title="Mal pelayanan publik")
    assert saved.status_code == 200 and saved.get_json()["version"] == version + 1
    stale = _autosave(client, world, practice_id=pid, version=version, title="dari tab lain")
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    session.expire_all()
    assert session.get(Practice, pid).title == "Mal pelayanan publik"
    # Someone else's practice is not found through one's own visit.
    other = app.test_client()
    login(other, world["people"][1])
    assert _autosave(other, world, practice_id=pid, version=version + 1, title="x").status_code == 404


def test_a_photo_before_the_first_save_and_uploads_answer_json(app, world, session):
    client = app.test_client()
    login(client, world["people"][0])
    # Without JavaScript: the file goes with the first "Save draft".
    response = client.post(
        f"/benchmarking/visits/{world['visit'].id}/practices/new",
        data={"file": (io.BytesIO(PNG_1PX), "ruang.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    practice = session.scalar(select(Practice))
    assert [a.original_name for a in practice.attachments] == ["ruang.png"]
    # With it: JSON for the progress bar.
    answer = client.post(
        f"/benchmarking/practices/{practice.id}/files",
        data={"file": (io.BytesIO(JPEG), "kedua.jpg")},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.get_json()["name"] == "kedua.jpg"
    refused = client.post(
        f"/benchmarking/practices/{practice.id}/files",
        data={"file": (io.BytesIO(b"MZ not a photo"), "x.exe")},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 415 and refused.get_json()["error"] == "refused"


# -- grading through the core engine -------------------------------------------------------------


def test_practices_are_named_by_their_titles_in_the_queue_notifications_feedback_and_exports(app, world, session):
    from openpyxl import load_workbook

    from lms.notifications.models import Notification
    from lms.results.exports.as_xlsx import write_xlsx
    from lms.results.table import build_table

    person = world["people"][0]
    first = logged(session, world, title="Mal pelayanan publik")
    second = logged(session, world, title="Rumah sakit tanpa kelas")
    staff = app.test_client()
    login(staff, world["teacher"])
    queue = staff.get("/grading/").get_data(as_text=True)
    assert "Mal pelayanan publik" in queue and "Rumah sakit tanpa kelas" in queue and "#2" not in queue
    submitted = session.scalars(select(Notification.payload).where(Notification.kind == "work_submitted")).all()
    assert any("Rumah sakit tanpa kelas" in p["assessment"] for p in submitted), submitted
    for practice in (first, second):
        submission = session.get(Submission, practice.submission_id)
        rubric = submission.assessment.rubric
        grade = grading.save_grade(
            session,
            submission,
            world["teacher"],
            grading.GradeInput(levels={c.id: c.levels[2].id for c in rubric.criteria}, comments={}, finalize=True),
            None,
            NOW,
        )
        grading.release(session, grade, world["teacher"], NOW)
    session.commit()
    released = session.scalars(
        select(Notification.payload).where(Notification.recipient_id == person.id, Notification.kind.like("%released%"))
    ).all()
    assert any("Mal pelayanan publik" in p["assessment"] for p in released), released
    owner = app.test_client()
    login(owner, person)
    page = owner.get(f"/assessments/{world['visit'].assessment_id}").get_data(as_text=True)
    assert page.count('class="work-title"') == 2 and "Rumah sakit tanpa kelas" in page
    out = io.BytesIO()
    write_xlsx(session, build_table(session, session.get(Cohort, world["cohort"].id), app=app), out, app)
    rows = list(load_workbook(io.BytesIO(out.getvalue())).worksheets[1].iter_rows(min_row=2, values_only=True))
    assert {row[3] for row in rows if row[1] == person.name} == {"Mal pelayanan publik", "Rumah sakit tanpa kelas"}


def test_a_submitted_practice_is_taken_back_until_grading_starts_where_the_visit_allows(app, world, session):
    practice = logged(session, world)
    owner = app.test_client()
    login(owner, world["people"][0])
    page = owner.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert 'data-state="waiting"' in page and 'id="withdraw-practice"' in page
    assert owner.post(f"/benchmarking/practices/{practice.id}/withdraw").status_code == 302
    session.expire_all()
    assert session.get(Submission, practice.submission_id).state.value == "draft"
    assert 'data-state="draft"' in owner.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    # Submitted again and a grader starts: the 409 says so, the practice stays handed in.
    practices.submit_practice(session, session.get(Practice, practice.id), world["people"][0], NOW)
    submission = session.get(Submission, practice.submission_id)
    criterion = submission.assessment.rubric.criteria[0]
    grading.save_grade(
        session,
        submission,
        world["teacher"],
        grading.GradeInput(levels={criterion.id: criterion.levels[0].id}, comments={}),
        None,
        NOW,
    )
    session.commit()
    page = owner.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert 'data-state="grading"' in page and 'id="withdraw-practice"' not in page
    assert owner.post(f"/benchmarking/practices/{practice.id}/withdraw").status_code == 303  # said, not done
    with pytest.raises(DomainError) as refused:
        practices.withdraw_practice(session, session.get(Practice, practice.id), world["people"][0], NOW)
    assert refused.value.status == 409
    session.rollback()
    session.expire_all()
    assert session.get(Submission, practice.submission_id).state.value == "submitted"


def test_a_visit_may_keep_submitted_practices_handed_in(app, world, session):
    practice = logged(session, world)
    world["visit"].allow_withdraw = False
    session.commit()
    owner = app.test_client()
    login(owner, world["people"][0])
    assert 'id="withdraw-practice"' not in owner.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert owner.post(f"/benchmarking/practices/{practice.id}/withdraw").status_code == 303
    session.expire_all()
    assert session.get(Submission, practice.submission_id).state.value == "submitted"


def test_practices_are_graded_and_released_by_the_core_engine(app, world, session):
    practice = logged(session, world)
    submission = session.get(Submission, practice.submission_id)
    rubric = submission.assessment.rubric
    assert submission.assessment.kind == practices.PRACTICE_KIND and len(rubric.criteria) == 5
    client = app.test_client()
    login(client, world["teacher"])
    queue = client.get("/grading/").get_data(as_text=True)
    assert f"/grading/submissions/{submission.id}" in queue
    page = client.get(f"/grading/submissions/{submission.id}").get_data(as_text=True)
    assert "Rumah sakit tanpa kelas" in page and "RSUD" in page
    form = {f"level-{c.id}": str(c.levels[-1].id) for c in rubric.criteria} | {"action": "finalize", "version": ""}
    assert client.post(f"/grading/submissions/{submission.id}", data=form).status_code == 302
    assert client.post(f"/grading/submissions/{submission.id}/release").status_code == 302
    grade = session.scalar(select(Grade).where(Grade.submission_id == submission.id))
    assert grade.score == Decimal("100.00") and grade.status == "released"
    owner = app.test_client()
    login(owner, world["people"][0])
    page = owner.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert "100,00" in page, page[page.find("<main") : page.find("<main") + 3000]


# -- evidence ------------------------------------------------------------------------------------


def upload(client, practice_id, data, name):
    return client.post(
        f"/benchmarking/practices/{practice_id}/files",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def files_on_disk(app):
    folder = os.path.join(app.config["UPLOAD_DIR"], "benchmarking")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_evidence_is_typed_by_content_named_safely_and_served_as_attachment(app, world, session):
    practice = logged(session, world, submit=False)
    client = app.test_client()
    login(client, world["people"][0])
    spoofed = upload(client, practice.id, b"<html><script>alert(1)</script></html>", "foto.jpg")
    assert spoofed.status_code == 415
    assert upload(client, practice.id, b"MZ\x90\x00" * 10, "laporan.pdf").status_code == 415
    assert files_on_disk(app) == []
    assert upload(client, practice.id, PNG_1PX, "../../etc/x.png").status_code == 302
    attachment = session.scalar(select(Attachment))
    assert attachment.original_name == "x.png" and attachment.content_type == "image/png"
    assert files_on_disk(app) == [attachment.stored_name]
    assert not os.path.isabs(attachment.stored_name) and "/" not in attachment.stored_name
    with client.get(f"/benchmarking/files/{attachment.id}") as response:
        assert response.status_code == 200 and response.data == PNG_1PX
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(f"/benchmarking/files/{attachment.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.data.startswith(b"\xff\xd8")


def test_file_and_practice_size_limits(app_factory, make_cohort, session):
    size = len(JPEG)
    app = app_factory(EVIDENCE_MAX_FILE_BYTES=2 * size, EVIDENCE_MAX_PRACTICE_BYTES=2 * size + size // 2)
    with app.test_request_context():
        cohort = make_cohort(participants=1)
        host = services.save_host(session, None, name="Host")
        visit = services.save_visit(
            session,
            None,
            cohort=session.get(Cohort, cohort.id),
            host=host,
            theme="T",
            start_date=date.today(),
            end_date=date.today(),
            min_practices=1,
        )
        practices.ensure_assessments(session, visit, None)
        person = cohort.people["participants"][0]
        practice = practices.create_practice(session, visit, person, adapted(), NOW)
        session.commit()
        practice_id = practice.id
    client = app.test_client()
    login(client, person)
    assert upload(client, practice_id, JPEG + b"\x00" * (2 * size), "besar.jpg").status_code == 413
    assert upload(client, practice_id, JPEG, "a.jpg").status_code == 302
    assert upload(client, practice_id, JPEG, "b.jpg").status_code == 302
    assert upload(client, practice_id, JPEG, "c.jpg").status_code == 413
    assert len(files_on_disk(app)) == 2


def test_another_participant_cannot_open_or_touch_a_practice_or_file(app, world, session):
    practice = logged(session, world, submit=False)
    owner, other = app.test_client(), app.test_client()
    login(owner, world["people"][0])
    upload(owner, practice.id, PNG_1PX, "bukti.png")
    attachment = session.scalar(select(Attachment))
    login(other, world["people"][1])
    assert other.get(f"/benchmarking/practices/{practice.id}").status_code == 403
    assert other.get(f"/benchmarking/practices/{practice.id}/edit").status_code == 403
    assert other.post(f"/benchmarking/practices/{practice.id}/edit", data={"title": "curang"}).status_code == 403
    assert other.get(f"/benchmarking/files/{attachment.id}").status_code == 403
    assert other.post(f"/benchmarking/files/{attachment.id}/delete").status_code == 403
    assert upload(other, practice.id, PNG_1PX, "x.png").status_code == 403
    assert other.get("/benchmarking/files/999999").status_code == 404
    session.expire_all()
    assert session.get(Practice, practice.id).title == "Rumah sakit tanpa kelas"
    assert session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_deleting_a_practice_or_a_file_leaves_no_orphans(app, world, session):
    practice = logged(session, world, submit=False)
    client = app.test_client()
    login(client, world["people"][0])
    upload(client, practice.id, PNG_1PX, "satu.png")
    upload(client, practice.id, JPEG, "dua.jpg")
    first = session.scalars(select(Attachment).order_by(Attachment.id)).first()
    assert client.post(f"/benchmarking/files/{first.id}/delete").status_code == 302
    assert len(files_on_disk(app)) == 1
    submission_id = practice.submission_id
    assert client.post(f"/benchmarking/practices/{practice.id}/delete").status_code == 302
    assert files_on_disk(app) == []
    session.expunge_all()
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert session.get(Practice, practice.id) is None and session.get(Submission, submission_id) is None


# -- follow-up -----------------------------------------------------------------------------------


def test_follow_up_rounds_reports_and_confirmation(world, session):
    cohort = session.get(Cohort, world["cohort"].id)
    practice = logged(session, world)
    only_identified = logged(session, world, who=1, stage="identified")
    round_ = followups.open_round(session, cohort, "3 bulan", date.today(), None)
    person = world["people"][0]
    with pytest.raises(DomainError, match="only identified"):
        followups.report(
            session,
            round_,
            only_identified,
            world["people"][1],
            status="implemented",
            outcome="x",
            evidence_links="",
            today=date.today(),
            now=NOW,
        )
    with pytest.raises(DomainError, match="own"):
        followups.report(
            session,
            round_,
            practice,
            world["people"][1],
            status="planned",
            outcome="",
            evidence_links="",
            today=date.today(),
            now=NOW,
        )
    with pytest.raises(DomainError):
        followups.report(
            session,
            round_,
            practice,
            person,
            status="implemented",
            outcome="",
            evidence_links="",
            today=date.today(),
            now=NOW,
        )
    followup = followups.report(
        session,
        round_,
        practice,
        person,
        status="implemented",
        outcome="Ruang percontohan berjalan.",
        evidence_links="",
        today=date.today(),
        now=NOW,
    )
    followups.confirm(session, followup, world["teacher"], NOW)
    session.commit()
    assert practices.funnel(session, world["visit"])["implemented"] == 1
    # Participants can still report once the cohort is closed.
    cohort.status = CohortStatus.CLOSED
    session.commit()
    again = followups.report(
        session,
        round_,
        practice,
        person,
        status="in_progress",
        outcome="",
        evidence_links="",
        today=date.today(),
        now=NOW,
    )
    assert again.id == followup.id and again.confirmed_at is None


def test_follow_up_over_http_for_an_identified_practice_is_refused(app, world, session):
    cohort = session.get(Cohort, world["cohort"].id)
    practice = logged(session, world, stage="identified")
    round_ = followups.open_round(session, cohort, "3 bulan", date.today(), None)
    session.commit()
    client = app.test_client()
    login(client, world["people"][0])
    response = client.post(
        f"/benchmarking/rounds/{round_.id}/report",
        data={"practice_id": practice.id, "status": "implemented", "outcome": "x"},
    )
    assert response.status_code == 404
    assert session.scalar(select(func.count()).select_from(Followup)) == 0


# -- group reports -------------------------------------------------------------------------------


def test_group_score_applies_to_every_member_with_audited_adjustments(world, session):
    visit = session.get(FieldVisit, world["visit"].id)
    group = visit.groups[0]
    leader = next(m.user for m in group.members if m.user_id == group.leader_id)
    member_ids = [m.user_id for m in group.members]
    with pytest.raises(DomainError):
        reports.write(session, group, next(m.user for m in group.members if m.user_id != leader.id), "x", [], 0, NOW)
    report = reports.write(session, group, leader, "Laporan kelompok.", [], 0, NOW)
    submission = session.get(Submission, report.submission_id)
    from lms.assessments import services as assessments

    assessments.submit(session, submission, leader, NOW)
    rubric = submission.assessment.rubric
    grade = grading.save_grade(
        session,
        submission,
        world["teacher"],
        grading.GradeInput(levels={c.id: c.levels[2].id for c in rubric.criteria}, comments={}, finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, world["teacher"], NOW)
    session.commit()
    scores = reports.member_scores(session, [visit.id])[visit.id]
    assert {scores[m] for m in member_ids} == {Decimal("75.00")}
    with pytest.raises(DomainError):
        reports.adjust(session, group, member_ids[0], Decimal(5), "", world["teacher"])
    with pytest.raises(DomainError):
        reports.adjust(session, group, member_ids[0], Decimal(30), "terlalu besar", world["teacher"])
    reports.adjust(session, group, member_ids[0], Decimal(5), "Memimpin presentasi", world["teacher"])
    reports.adjust(session, group, member_ids[0], Decimal(-5), "Koreksi", world["teacher"])
    session.commit()
    scores = reports.member_scores(session, [visit.id])[visit.id]
    assert scores[member_ids[0]] == Decimal("70.00") and scores[member_ids[1]] == Decimal("75.00")
    # A page's members only (the results page asks for its 50 rows): the same scores, no one else's.
    assert reports.member_scores(session, [visit.id], [member_ids[0]]) == {visit.id: {member_ids[0]: Decimal("70.00")}}
    assert [a.reason for a in reports.adjustments(session, group.id)] == ["Koreksi", "Memimpin presentasi"]


# -- catalogue -----------------------------------------------------------------------------------


def test_catalogue_shows_other_cohorts_only_published_practices_without_grades(app, world, session, make_cohort):
    published = logged(session, world, who=0, title="Pengaduan satu pintu", private_note="catatan rahasia")
    hidden = logged(session, world, who=1, title="Tunjangan berbasis kinerja")
    submission = session.get(Submission, published.submission_id)
    rubric = submission.assessment.rubric
    grading.save_grade(
        session,
        submission,
        world["teacher"],
        grading.GradeInput(
            levels={c.id: c.levels[0].id for c in rubric.criteria},
            comments={},
            feedback="umpan balik rahasia",
            finalize=True,
        ),
        None,
        NOW,
    )
    practices.set_published(session, published, True)
    session.commit()
    outsider = make_cohort(participants=1, name="Angkatan Lain").people["participants"][0]
    client = app.test_client()
    login(client, outsider)
    page = client.get("/benchmarking/catalogue").get_data(as_text=True)
    assert "Pengaduan satu pintu" in page and "Tunjangan berbasis kinerja" not in page
    detail = client.get(f"/benchmarking/practices/{published.id}").get_data(as_text=True)
    for secret in ("catatan rahasia", "umpan balik rahasia", "25,00", 'id="practice-grade"'):
        assert secret not in detail
    assert client.get(f"/benchmarking/practices/{hidden.id}").status_code == 403
    assert "Pengaduan satu pintu" in client.get("/benchmarking/catalogue?q=pengaduan&stage=adapted").get_data(
        as_text=True
    )
    assert "Pengaduan satu pintu" not in client.get("/benchmarking/catalogue?stage=adopted").get_data(as_text=True)


# -- result columns ------------------------------------------------------------------------------


def test_result_columns_are_batched(app, make_cohort, session):
    from plugins.benchmarking.results import columns

    counts = []
    for size in (3, 30):
        with app.test_request_context():
            cohort = make_cohort(participants=size, name=f"Angkatan {size}")
            host = services.save_host(session, None, name=f"Host {size}")
            visit = services.save_visit(
                session,
                None,
                cohort=session.get(Cohort, cohort.id),
                host=host,
                theme="T",
                start_date=date.today(),
                end_date=date.today(),
                min_practices=1,
            )
            practices.ensure_assessments(session, visit, None)
            for person in cohort.people["participants"]:
                practice = practices.create_practice(session, visit, person, adapted(), NOW)
                practices.submit_practice(session, practice, person, NOW)
            session.commit()
            ids = [p.id for p in cohort.people["participants"]]
            with count_queries(app) as statements:
                result = columns(session, cohort.id, ids)
            counts.append(len(statements))
            by_key = {c.key: c for c in result}
            assert by_key["benchmarking_adapted"].values == {i: 1 for i in ids}
            assert by_key["benchmarking_visit_score"].values == {i: None for i in ids}
    assert counts[0] == counts[1], counts


def test_funnel_and_host_statistics_pages(app, world, session):
    for who, title in ((0, "Rumah sakit tanpa kelas"), (1, "rumah  sakit TANPA kelas")):
        practices.set_published(session, logged(session, world, who=who, title=title), True)
    session.commit()
    logged(session, world, who=2, stage="identified", title="Survei kepuasan")
    client = app.test_client()
    login(client, world["coordinator"])
    page = client.get(f"/benchmarking/visits/{world['visit'].id}/funnel").get_data(as_text=True)
    assert "Survei kepuasan" in page and 'id="funnel"' in page
    top = practices.host_practices(session, world["visit"].host_id)
    assert top[0]["planned"] == 2
    participant = app.test_client()
    login(participant, world["people"][3])
    assert participant.get(f"/benchmarking/visits/{world['visit'].id}/funnel").status_code == 403


def test_funnel_detail_is_a_page_and_results_filter_by_group(app, world, session):
    for who in range(3):
        logged(session, world, who=who, title=f"Praktik {who}")
    logged(session, world, who=3, stage="identified", title="Survei kepuasan")
    app.config["PAGE_SIZE"] = 2
    client = app.test_client()
    login(client, world["coordinator"])
    url = f"/benchmarking/visits/{world['visit'].id}/funnel"
    first = client.get(url).get_data(as_text=True)

    def detail(page: str) -> int:
        return page.split('id="visit-practices"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr>")

    assert detail(first) == 2 and detail(client.get(f"{url}?page=2").get_data(as_text=True)) == 2
    assert practices.funnel(session, world["visit"]) == {
        "identified": 4,
        "adopted": 0,
        "adapted": 3,
        "planned": 3,
        "implemented": 0,
    }
    app.config["PAGE_SIZE"] = 50
    group = session.scalars(
        select(VisitGroup).where(VisitGroup.visit_id == world["visit"].id).order_by(VisitGroup.position)
    ).first()
    members = set(session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id)))
    results = client.get(f"/cohorts/{world['cohort'].id}/results?f_benchmarking_group={group.id}").get_data(
        as_text=True
    )
    shown = {int(part.split('"', 1)[0]) for part in results.split('data-participant="')[1:]}
    assert shown == members and 0 < len(members) < 4
    assert f'<option value="{group.id}" selected>' in results
    # The totals chart is the whole cohort's, whatever the filter: four identified, by four people.
    assert 'id="chart-totals"' in results
    totals = {t.key: (t.total, t.people) for t in plugin_results.totals(session, world["cohort"].id)}
    assert totals["benchmarking_identified"] == (4, 4) and totals["benchmarking_adapted"] == (3, 3)


def test_sniffing_office_documents():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert evidence.sniff(buffer.getvalue()).endswith("wordprocessingml.document")
    assert evidence.sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert evidence.sniff(b"PK\x03\x04not really a zip") is None
    assert evidence.clean_name("..\\..\\windows\\x.pdf", "application/pdf") == "x.pdf"
    assert evidence.clean_name("\x00\x1f", "application/pdf") == "bukti.pdf"


def test_xlsx_export_has_a_practices_sheet_without_unreleased_scores(app, world, session):
    from openpyxl import load_workbook

    from lms.results.exports.as_xlsx import write_xlsx
    from lms.results.table import build_table

    released = logged(session, world, who=0)
    unreleased = logged(session, world, who=1, title="Mal pelayanan publik")
    for practice, publish in ((released, True), (unreleased, False)):
        submission = session.get(Submission, practice.submission_id)
        rubric = submission.assessment.rubric
        grade = grading.save_grade(
            session,
            submission,
            world["teacher"],
            grading.GradeInput(levels={c.id: c.levels[-1].id for c in rubric.criteria}, comments={}, finalize=True),
            None,
            NOW,
        )
        if publish:
            grading.release(session, grade, world["teacher"], NOW)
    session.commit()
    out = io.BytesIO()
    with app.test_request_context():
        table = build_table(session, session.get(Cohort, world["cohort"].id))
        write_xlsx(session, table, out)
    book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    names = [ws.title for ws in book.worksheets]
    sheet = book.worksheets[-1]
    rows = {r[4]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(names) == 3 and set(rows) == {"Rumah sakit tanpa kelas", "Mal pelayanan publik"}
    assert rows["Rumah sakit tanpa kelas"][-1] == 100 and rows["Mal pelayanan publik"][-1] is None
    book.close()


def test_the_practices_sheet_is_read_as_it_is_written_through_a_streamed_cursor(app, world, session):
    """The hook hands the practices over as they come: the query runs when the export reads the
    first row (not when the sheet is asked for), from a server-side cursor (``yield_per``), and
    keeps the peserta the export's select names."""
    from sqlalchemy import event

    from lms.cohorts.models import Membership, Role
    from plugins.benchmarking.results import practices_sheet

    logged(session, world, who=0)
    logged(session, world, who=1, title="Mal pelayanan publik")
    session.commit()
    seen: list[bool] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "FROM benchmarking_practices" in statement:
            seen.append(bool(context.execution_options.get("yield_per")))

    everyone = select(Membership.user_id).where(
        Membership.cohort_id == world["cohort"].id, Membership.role == Role.PARTICIPANT
    )
    engine = session.connection().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        with app.test_request_context():
            sheet = practices_sheet(session, world["cohort"].id, everyone)
            assert sheet is not None and seen == [], "nothing read before the sheet is written"
            rows = iter(sheet.rows)
            first = next(rows)
            assert seen == [True], "one query, streamed"
            assert sorted(r[4] for r in [first, *rows]) == ["Mal pelayanan publik", "Rumah sakit tanpa kelas"]
            only = everyone.where(Membership.user_id == world["people"][1].id)
            kept = list(practices_sheet(session, world["cohort"].id, only).rows)
            assert [r[4] for r in kept] == ["Mal pelayanan publik"]
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_two_drafts_are_two_practices_and_submitted_evidence_is_frozen(app, world, session):
    first = logged(session, world, submit=False)
    second = logged(session, world, submit=False, title="Mal pelayanan publik")
    assert first.submission_id != second.submission_id
    client = app.test_client()
    login(client, world["people"][0])
    assert upload(client, first.id, PNG_1PX, "a.png").status_code == 302
    practices.submit_practice(session, session.get(Practice, first.id), world["people"][0], NOW)
    session.commit()
    assert upload(client, first.id, PNG_1PX, "b.png").status_code == 409
    attachment = session.scalar(select(Attachment))
    assert client.post(f"/benchmarking/files/{attachment.id}/delete").status_code == 303  # refused, with a message
    assert client.post(f"/benchmarking/practices/{first.id}/delete").status_code == 303
    session.expunge_all()
    assert session.scalar(select(func.count()).select_from(Attachment)) == 1
    assert session.get(Practice, first.id) is not None


def test_a_zip_bomb_type_marker_is_not_read():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text" + " " * 5_000_000)
    assert len(buffer.getvalue()) < 100_000
    assert evidence.sniff(buffer.getvalue()) is None


def test_staff_cannot_open_a_draft_practice(app, world, session):
    draft = logged(session, world, submit=False)
    client = app.test_client()
    login(client, world["teacher"])
    assert client.get(f"/benchmarking/practices/{draft.id}").status_code == 403
    assert client.get(f"/grading/submissions/{draft.submission_id}").status_code == 403


def test_a_coordinator_cannot_publish_a_draft_practice(app, world, session):
    """Publishing a draft would have shown it to every user at its URL (practice.view: published)."""
    draft = logged(session, world, submit=False)
    client = app.test_client()
    login(client, world["coordinator"])
    assert client.post(f"/benchmarking/practices/{draft.id}/publish", data={"published": "1"}).status_code == 403
    session.expire_all()
    assert not session.get(Practice, draft.id).published
    # One already in the catalogue that is a draft again (returned for revision) may still be taken out.
    session.get(Practice, draft.id).published = True
    session.commit()
    assert client.post(f"/benchmarking/practices/{draft.id}/publish", data={"published": "0"}).status_code == 302
    session.expire_all()
    assert not session.get(Practice, draft.id).published


def test_the_practice_assessment_page_runs_a_fixed_number_of_queries(app, world, session):
    counts = []
    client = app.test_client()
    login(client, world["people"][0])
    for extra in (2, 8):
        for i in range(extra):
            practice = logged(session, world, title=f"Praktik {extra}-{i}")
            submission = session.get(Submission, practice.submission_id)
            rubric = submission.assessment.rubric
            grade = grading.save_grade(
                session,
                submission,
                world["teacher"],
                grading.GradeInput(levels={c.id: c.levels[1].id for c in rubric.criteria}, comments={}, finalize=True),
                None,
                NOW,
            )
            grading.release(session, grade, world["teacher"], NOW)
        session.commit()
        assessment_id = session.get(FieldVisit, world["visit"].id).assessment_id
        with count_queries(app) as statements:
            assert client.get(f"/assessments/{assessment_id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _grade_group_report(session, visit, teacher, pick):
    """The first group's report of ``visit`` written, submitted, graded at level ``pick`` and released."""
    from lms.assessments import services as assessments

    group = visit.groups[0]
    leader = next(m.user for m in group.members if m.user_id == group.leader_id)
    report = reports.write(session, group, leader, "Laporan kelompok.", [], 0, NOW)
    submission = session.get(Submission, report.submission_id)
    assessments.submit(session, submission, leader, NOW)
    rubric = submission.assessment.rubric
    grade = grading.save_grade(
        session,
        submission,
        teacher,
        grading.GradeInput(levels={c.id: c.levels[pick].id for c in rubric.criteria}, comments={}, finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, teacher, NOW)
    session.commit()
    return [m.user_id for m in group.members]


def test_two_visits_give_one_group_score_column_each_everywhere(app, world, session):
    """Item 10.19: with two visits the group score came from whichever visit's row came last."""
    import csv
    import json

    from openpyxl import load_workbook

    from lms.api import services as tokens
    from lms.results.exports.as_csv import write_csv
    from lms.results.exports.as_pdf import render_pdf
    from lms.results.exports.as_xlsx import write_xlsx
    from lms.results.table import build_table
    from lms.users.models import User

    cohort = session.get(Cohort, world["cohort"].id)
    first = session.get(FieldVisit, world["visit"].id)
    host = services.save_host(session, None, name="Kabupaten Banyuwangi")
    # The second visit starts earlier but was created later: columns follow the visits' dates.
    second = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme="Smart kampung",
        start_date=date.today() - timedelta(days=1),
        end_date=date.today(),
        min_practices=1,
    )
    session.flush()
    services.split_groups(session, second, 1)  # one group: everybody, so someone is in both visits' groups
    practices.ensure_assessments(session, second, None)
    session.commit()
    in_first = _grade_group_report(session, first, world["teacher"], 2)  # 75.00
    in_second = _grade_group_report(session, second, world["teacher"], 3)  # 100.00
    person = next(u for u in in_first if u in in_second)
    keys = [f"benchmarking_group_score_{second.id}", f"benchmarking_group_score_{first.id}"]

    with app.test_request_context():
        table = build_table(session, cohort)
        group_columns = [c for c in table.columns if c.key.startswith("benchmarking_group_score")]
        assert [c.key for c in group_columns] == keys
        assert [str(c.label) for c in group_columns] == [
            "Nilai laporan kelompok: Kabupaten Banyuwangi",
            "Nilai laporan kelompok: Pemerintah Kota Pontianak",
        ]
        row = next(r for r in table.rows if r.participant_id == person)
        assert [row.extra[k] for k in keys] == [Decimal("100.00"), Decimal("75.00")]
        out = io.StringIO()
        write_csv(table, out)
        lines = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
        header, mine = lines[0], next(line for line in lines if session.get(User, person).name in line)
        assert [mine[header.index(str(c.label))] for c in group_columns] == ["100.00", "75.00"]
        xlsx = io.BytesIO()
        write_xlsx(session, table, xlsx, app=app)
        sheet = load_workbook(xlsx, read_only=True).worksheets[0]
        sheet_rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        top = sheet_rows[0]
        mine_x = next(r for r in sheet_rows if session.get(User, person).name in r)
        assert [mine_x[top.index(str(c.label))] for c in group_columns] == [100, 75]
        from pypdf import PdfReader

        pdf = render_pdf(session, table, app=app)
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)
        assert (
            "Nilai laporan kelompok: Kabupaten" in text.replace("- ", "") or text.count("Nilai laporan kelompok") >= 2
        )
        assert "100,00" in text and "75,00" in text

    _token, secret = tokens.create_token(session, session.get(User, world["coordinator"].id), "t", NOW)
    session.commit()
    client = app.test_client()
    body = json.loads(
        client.get(f"/api/v1/cohorts/{cohort.id}/results", headers={"Authorization": f"Bearer {secret}"}).get_data(
            as_text=True
        )
    )
    assert [c["key"] for c in body["columns"] if c["key"].startswith("benchmarking_group_score")] == keys
    api_row = next(p for p in body["participants"] if p["id"] == person)
    assert [api_row["columns"][k] for k in keys] == [100.0, 75.0]
    login(client, world["coordinator"])
    page = client.get(f"/cohorts/{cohort.id}/results").get_data(as_text=True)
    assert page.index("Nilai laporan kelompok: Kabupaten") < page.index("Nilai laporan kelompok: Pemerintah")
    assert "100,00" in page and "75,00" in page


# -- races and lost work (issue 10, items 13 and 14) ----------------------------------------------

PRACTICE_FORM = {
    "title": "Mal pelayanan publik",
    "category": "service_innovation",
    "stage": "identified",
    "identified": "Semua layanan perizinan di satu gedung.",
}


def _form_key(client, visit_id):
    import re

    page = client.get(f"/benchmarking/visits/{visit_id}/practices/new").get_data(as_text=True)
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def _clients(app, person, n=2):
    clients = [app.test_client() for _ in range(n)]
    for client in clients:
        login(client, person)
    return clients


def _practice_count(session):
    session.commit()
    return session.scalar(select(func.count()).select_from(Practice))


@pytest.mark.real_database
def test_a_double_submitted_practice_form_is_stored_once(app, world, session):
    from tests.support import race

    person, visit_id = world["people"][0], world["visit"].id
    first, second = _clients(app, person)
    key = _form_key(first, visit_id)
    url = f"/benchmarking/visits/{visit_id}/practices/new"
    responses = race(
        lambda: first.post(url, data=PRACTICE_FORM | {"form_key": key}),
        lambda: second.post(url, data=PRACTICE_FORM | {"form_key": key}),
    )
    assert [r.status_code for r in responses] == [302, 302]
    assert _practice_count(session) == 1
    stored = session.scalar(select(Practice))
    assert {r.headers["Location"] for r in responses} == {f"/benchmarking/practices/{stored.id}"}
    # Sent again later (the back button, a resent form): still one practice, and the same one.
    again = first.post(url, data=PRACTICE_FORM | {"form_key": key})
    assert again.headers["Location"] == f"/benchmarking/practices/{stored.id}"
    assert _practice_count(session) == 1


@pytest.mark.real_database
def test_two_practices_created_at_once_never_lose_the_text(app, world, session):
    from tests.support import race

    person, visit_id = world["people"][0], world["visit"].id
    first, second = _clients(app, person)
    keys = [_form_key(first, visit_id), _form_key(second, visit_id)]
    url = f"/benchmarking/visits/{visit_id}/practices/new"
    forms = [
        PRACTICE_FORM | {"form_key": keys[0]},
        PRACTICE_FORM | {"form_key": keys[1], "title": "Sistem antrean daring"},
    ]
    responses = race(lambda: first.post(url, data=forms[0]), lambda: second.post(url, data=forms[1]))
    statuses = [r.status_code for r in responses]
    stored = {p.title for p in session.scalars(select(Practice))}
    if 409 in statuses:  # the two collided on the attempt number: one saved, the other kept in its form
        assert sorted(statuses) == [302, 409] and len(stored) == 1
        refused = responses[statuses.index(409)]
        page = refused.get_data(as_text=True)
        mine = forms[statuses.index(409)]
        assert f'value="{mine["title"]}"' in page and mine["identified"] in page
        assert f'value="{mine["form_key"]}"' in page, "saving again from the refused form works"
    else:
        assert statuses == [302, 302] and stored == {"Mal pelayanan publik", "Sistem antrean daring"}


def test_a_practice_edited_in_two_tabs_refuses_the_stale_save_and_shows_both(app, world, session):
    practice = logged(session, world, submit=False)
    tab_a, tab_b = _clients(app, world["people"][0])
    url = f"/benchmarking/practices/{practice.id}/edit"
    assert 'name="version" type="hidden" value="1"' in tab_a.get(url).get_data(as_text=True)
    base = {
        "title": practice.title,
        "category": "health",
        "stage": "adapted",
        "identified": practice.identified,
        "changes": practice.changes,
        "reasons": "budget",
        "target_unit": "RSUD",
        "timeline": "6 bulan",
        "version": "1",
    }
    assert tab_a.post(url, data=base | {"title": "Versi tab A"}).status_code == 302
    stale = tab_b.post(url, data=base | {"title": "Versi tab B", "risks": "Anggaran terlambat"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert 'id="stored-version"' in page and "Versi tab A" in page  # the stored version
    assert 'value="Versi tab B"' in page and "Anggaran terlambat" in page  # theirs, kept in the form
    assert 'name="version" type="hidden" value="2"' in page
    session.expire_all()
    assert session.get(Practice, practice.id).title == "Versi tab A"
    # Saving again from the refused form, with both in view, is a deliberate choice and succeeds.
    assert tab_b.post(url, data=base | {"title": "Versi gabungan", "version": "2"}).status_code == 302
    session.expire_all()
    assert session.get(Practice, practice.id).title == "Versi gabungan"


@pytest.mark.real_database
def test_two_saves_of_one_practice_at_the_same_moment_keep_one_and_refuse_the_other(app, world, session):
    from tests.support import race

    practice = logged(session, world, submit=False)
    tab_a, tab_b = _clients(app, world["people"][0])
    url = f"/benchmarking/practices/{practice.id}/edit"
    base = {
        "title": practice.title,
        "category": "health",
        "stage": "adapted",
        "identified": practice.identified,
        "changes": practice.changes,
        "reasons": "budget",
        "target_unit": "RSUD",
        "timeline": "6 bulan",
        "version": "1",
    }
    responses = race(
        lambda: tab_a.post(url, data=base | {"title": "A"}), lambda: tab_b.post(url, data=base | {"title": "B"})
    )
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [302, 409]
    session.expire_all()
    stored = session.get(Practice, practice.id)
    assert stored.title == ["A", "B"][statuses.index(302)] and stored.version == 2


# -- publication: only the published copy is public (issue 10, items 15 and 16) ---------------------


def _outsider(app, make_cohort):
    """A participant of another cohort, logged in."""
    other = make_cohort(participants=1, name="Angkatan lain")
    client = app.test_client()
    login(client, other.people["participants"][0])
    return client, other


def test_a_returned_published_practice_keeps_its_draft_private_and_shows_the_note(app, world, session, make_cohort):
    """Item 10.15: after a return for revision the new draft was public at the catalogue URL, and the
    return note never reached the participant."""
    practice = logged(session, world, title="Pengaduan satu pintu", identified="Versi yang dinilai.")
    practices.set_published(session, practice, True)
    session.commit()
    submission = session.get(Submission, practice.submission_id)
    grading.return_for_revision(session, submission, world["teacher"], "Tambahkan data kepuasan warga.", NOW)
    session.commit()
    practices.update_practice(
        session,
        practice,
        adapted(title="Draf rahasia baru", identified="Belum selesai ditulis."),
        world["people"][0],
        NOW,
    )
    session.commit()

    outsider, other = _outsider(app, make_cohort)
    page = outsider.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert "Pengaduan satu pintu" in page and "Versi yang dinilai." in page
    assert "Draf rahasia baru" not in page and "Belum selesai ditulis." not in page
    listing = outsider.get("/benchmarking/catalogue").get_data(as_text=True)
    assert "Pengaduan satu pintu" in listing and "Draf rahasia baru" not in listing
    assert "Draf rahasia baru" not in outsider.get("/benchmarking/catalogue?q=rahasia").get_data(as_text=True)
    # Full text: the published copy's words (by their beginnings, any case, any order) find it for
    # outsiders; the draft's words find it for its author only.
    for query in ("pengaduan", "PINTU pengad", "satu  pint"):
        assert "Pengaduan satu pintu" in outsider.get(f"/benchmarking/catalogue?q={query}").get_data(as_text=True), (
            query
        )
    assert "Pengaduan satu pintu" not in outsider.get("/benchmarking/catalogue?q=pengaduan+rahasia").get_data(
        as_text=True
    )
    assert "Tidak ada" in outsider.get("/benchmarking/catalogue?q=selesai").get_data(
        as_text=True
    ) or f"/benchmarking/practices/{practice.id}" not in outsider.get("/benchmarking/catalogue?q=selesai").get_data(
        as_text=True
    )
    mine = app.test_client()
    login(mine, world["people"][0])
    assert "Draf rahasia baru" in mine.get("/benchmarking/catalogue?q=selesai").get_data(as_text=True)
    assert outsider.get("/benchmarking/catalogue?q=%22%27%3A*%26!()%5C").status_code == 200
    assert [t["title"] for t in practices.host_practices(session, world["visit"].host_id)] == ["Pengaduan satu pintu"]

    author = app.test_client()
    login(author, world["people"][0])
    own = author.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert 'id="return-note"' in own and "Tambahkan data kepuasan warga." in own
    assert "Draf rahasia baru" in own  # the author works on the draft


def test_drafts_stay_out_of_the_funnel_and_other_cohorts_pages(app, world, session, make_cohort):
    """Item 10.16: the funnel listed draft titles; a draft is its author's until handed in."""
    logged(session, world, who=0, title="Praktik yang diserahkan")
    logged(session, world, who=1, submit=False, title="Judul draf pribadi")
    staff = app.test_client()
    login(staff, world["teacher"])
    funnel = staff.get(f"/benchmarking/visits/{world['visit'].id}/funnel").get_data(as_text=True)
    assert "Praktik yang diserahkan" in funnel and "Judul draf pribadi" not in funnel
    outsider_staff = app.test_client()
    other = make_cohort(instructors=1, name="Angkatan lain")
    login(outsider_staff, other.people["instructors"][0])
    assert outsider_staff.get(f"/benchmarking/visits/{world['visit'].id}/funnel").status_code == 403
    assert "Judul draf pribadi" not in outsider_staff.get("/benchmarking/catalogue").get_data(as_text=True)
    assert "Judul draf pribadi" not in staff.get("/benchmarking/catalogue").get_data(as_text=True)


@pytest.mark.parametrize("consent", [False, True])
def test_publishing_shares_name_and_files_only_with_the_authors_consent(app, world, session, make_cohort, consent):
    """Item 10.16: publishing exposed the author's name and evidence files; now they are asked at submit."""
    person = world["people"][0]
    practice = practices.create_practice(
        session,
        world["visit"],
        person,
        adapted(title="Klinik keliling", evidence_links="https://example.org/foto"),
        NOW,
    )
    evidence.add(session, practice, person, PNG_1PX, "foto-lokasi.png", max_file=10_000_000, max_practice=50_000_000)
    session.commit()
    author = app.test_client()
    login(author, person)
    page = author.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert 'name="share_consent"' in page
    data = {"share_consent": "1"} if consent else {}
    assert author.post(f"/benchmarking/practices/{practice.id}/submit", data=data).status_code == 302
    session.expire_all()
    assert session.get(Practice, practice.id).share_consent is consent
    coordinator = app.test_client()
    login(coordinator, world["coordinator"])
    assert (
        coordinator.post(f"/benchmarking/practices/{practice.id}/publish", data={"published": "1"}).status_code == 302
    )

    outsider, _other = _outsider(app, make_cohort)
    shown = outsider.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    attachment = session.scalar(select(Attachment).where(Attachment.practice_id == practice.id))
    download = outsider.get(f"/benchmarking/files/{attachment.id}")
    download.close()
    assert "Klinik keliling" in shown
    assert (person.name in shown) is consent
    assert ("foto-lokasi.png" in shown) is consent and ("https://example.org/foto" in shown) is consent
    assert download.status_code == (200 if consent else 403)
    # The cohort's own staff see the work itself, name and files, whatever the consent.
    staff_page = coordinator.get(f"/benchmarking/practices/{practice.id}").get_data(as_text=True)
    assert person.name in staff_page and "foto-lokasi.png" in staff_page


def test_a_released_group_report_grade_shows_the_rubric_and_the_comments(app, world, session):
    from lms.assessments import services as assessments

    group = world["visit"].groups[0]
    leader = next(m.user for m in group.members if m.user_id == group.leader_id)
    report = reports.write(session, group, leader, "Laporan kelompok.", [], 0, NOW)
    submission = session.get(Submission, report.submission_id)
    assessments.submit(session, submission, leader, NOW)
    rubric = submission.assessment.rubric
    grade = grading.save_grade(
        session,
        submission,
        world["teacher"],
        grading.GradeInput(
            levels={c.id: c.levels[1].id for c in rubric.criteria},
            comments={rubric.criteria[0].id: "Sintesis masih berupa daftar."},
            feedback="Perlu rekomendasi yang lebih spesifik.",
            finalize=True,
        ),
        None,
        NOW,
    )
    grading.release(session, grade, world["teacher"], NOW)
    session.commit()
    client = app.test_client()
    login(client, leader)
    page = client.get(f"/benchmarking/groups/{group.id}/report").get_data(as_text=True)
    assert page.count("data-chosen") == len(rubric.criteria)
    assert "Sintesis masih berupa daftar." in page and "Perlu rekomendasi yang lebih spesifik." in page
