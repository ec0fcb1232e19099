"""Issue 16, the visit: 40 peserta, three lokus, six groups formed by rule, the pre-visit plan of
each group; the activity's name per program; groups imported from a file; the minimum number of
practices enforced at submit (issue 14)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Program
from plugins.benchmarking import grouping, practices, settings
from plugins.benchmarking.models import GroupMember, GroupPlan, Lokus, Practice, VisitGroup
from plugins.benchmarking.tests.stula_world import LOKUS, PESERTA, build_stula_world
from tests.support import login

pytestmark = pytest.mark.usefixtures("plugin_on")


@pytest.fixture
def plugin_on(app):
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")


@pytest.fixture
def stula(ctx, session, make_cohort):
    return build_stula_world(session, make_cohort)


def test_forty_peserta_three_lokus_six_groups_by_theme_each_with_a_submitted_plan(stula, session):
    visit = stula.visit
    assert [lk.name for lk in stula.lokus] == [name for name, _why in LOKUS]
    assert len(stula.groups) == 6
    # Every peserta in exactly one group; each group holds one theme (the rule), sizes 7,7,7,7,6,6.
    members = session.scalars(select(GroupMember).where(GroupMember.visit_id == visit.id)).all()
    assert len(members) == PESERTA and len({m.user_id for m in members}) == PESERTA
    themes = grouping.themes_of(session, visit.id)
    for group in stula.groups:
        assert len({themes[uid] for uid in stula.member_ids(group)}) == 1, group.name
        assert group.leader_id in stula.member_ids(group)
    assert sorted(len(g.members) for g in stula.groups) == [6, 6, 7, 7, 7, 7]
    # Two groups per lokus, in turn.
    assert Counter(g.lokus_id for g in stula.groups) == {lk.id: 2 for lk in stula.lokus}
    # The pre-visit plan: one submitted group submission per group, owned by its leader.
    rows = session.execute(
        select(GroupPlan.group_id, Submission.participant_id, Submission.state).join(
            Submission, Submission.id == GroupPlan.submission_id
        )
    ).all()
    assert len(rows) == 6
    leaders = {g.id: g.leader_id for g in stula.groups}
    assert all(owner == leaders[gid] and state == SubmissionState.SUBMITTED for gid, owner, state in rows)
    assert visit.plan_assessment.rubric_id is not None, "this visit grades the plan"


def test_a_member_sees_the_plan_only_the_leader_writes_another_group_is_refused(stula, client, session):
    group, other = stula.groups[0], stula.groups[1]
    member = next(m.user for m in group.members if m.user_id != group.leader_id)
    login(client, member)
    page = client.get(f"/benchmarking/groups/{group.id}/plan")
    assert page.status_code == 200 and "plan-form" not in page.get_data(as_text=True)
    assert client.post(f"/benchmarking/groups/{group.id}/plan", data={"body": "x", "version": 1}).status_code == 403
    assert client.get(f"/benchmarking/groups/{other.id}/plan").status_code == 403


def test_rule_preview_changes_nothing_until_confirmed(ctx, session, make_cohort, client, app):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    visit = world.visit
    before = sorted((m.group_id, m.user_id) for m in session.scalars(select(GroupMember)))
    login(client, world.coordinator)
    preview = client.post(f"/benchmarking/visits/{visit.id}/groups/form", data={"rule": "round_robin", "count": 4})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and body.count("data-size=") == 4
    assert sorted((m.group_id, m.user_id) for m in session.scalars(select(GroupMember))) == before
    proposal = grouping.by_rule(session, visit, "round_robin", 4)
    stale = client.post(
        f"/benchmarking/visits/{visit.id}/groups/form",
        data={"rule": "round_robin", "count": 4, "confirm": "1", "fingerprint": "0" * 32},
    )
    assert stale.status_code == 303
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(VisitGroup)) == 6
    done = client.post(
        f"/benchmarking/visits/{visit.id}/groups/form",
        data={"rule": "round_robin", "count": 4, "confirm": "1", "fingerprint": proposal.fingerprint},
    )
    assert done.status_code == 302
    session.expire_all()
    sizes = [len(g.members) for g in session.scalars(select(VisitGroup).where(VisitGroup.visit_id == visit.id))]
    assert sorted(sizes) == [10, 10, 10, 10]


def test_by_agency_keeps_colleagues_together(ctx, session, make_cohort, make_user):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    for index, person in enumerate(world.peserta):
        person.profile.instansi = f"Pemkab {index % 4}"
    session.flush()
    proposal = grouping.by_rule(session, world.visit, "instansi", 4)
    agencies = {p.id: p.profile.instansi for p in world.peserta}
    assert [len({agencies[u] for u in g.member_ids}) for g in proposal.groups] == [1, 1, 1, 1]


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_from_xlsx_previews_lists_problems_and_replaces_on_confirm(ctx, session, make_cohort, client):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    visit = world.visit
    login(client, world.coordinator)
    rows = [["NIP", "Kelompok", "Lokus"]]
    for index, person in enumerate(world.peserta[:30]):
        rows.append([person.profile.nip, f"Kelompok {'ABC'[index % 3]}", LOKUS[index % 3][0]])
    bad = rows + [["199001012015011999", "Kelompok A", ""], [world.peserta[0].profile.nip, "Kelompok B", ""]]
    refused = client.post(
        f"/benchmarking/visits/{visit.id}/groups/import",
        data={"file": (io.BytesIO(_xlsx(bad)), "kelompok.xlsx")},
        content_type="multipart/form-data",
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="import-errors"' in text and 'name="token"' not in text
    preview = client.post(
        f"/benchmarking/visits/{visit.id}/groups/import",
        data={"file": (io.BytesIO(_xlsx(rows)), "kelompok.xlsx")},
        content_type="multipart/form-data",
    )
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and text.count("data-size=") == 3
    assert session.scalar(select(func.count()).select_from(VisitGroup)) == 6, "a preview changes nothing"
    token = text.split('name="token" value="', 1)[1].split('"', 1)[0]
    fingerprint = text.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    done = client.post(
        f"/benchmarking/visits/{visit.id}/groups/import/confirm", data={"token": token, "fingerprint": fingerprint}
    )
    assert done.status_code == 302
    session.expire_all()
    groups = session.scalars(select(VisitGroup).where(VisitGroup.visit_id == visit.id)).all()
    assert sorted(g.name for g in groups) == ["Kelompok A", "Kelompok B", "Kelompok C"]
    lokus = {lk.name: lk.id for lk in session.scalars(select(Lokus))}
    assert {g.name: g.lokus_id for g in groups}["Kelompok B"] == lokus[LOKUS[1][0]]
    assert session.scalar(select(func.count()).select_from(GroupMember)) == 30
    again = client.post(
        f"/benchmarking/visits/{visit.id}/groups/import/confirm", data={"token": token, "fingerprint": fingerprint}
    )
    assert again.status_code == 404, "a confirmed file is gone"


def test_activity_name_is_the_program_s_and_shows_on_the_visit_page(ctx, session, make_cohort, client):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    program = session.get(Program, world.cohort.program_id)
    assert settings.activity_name(session, world.visit) == "Studi Lapangan"
    login(client, world.peserta[0])
    assert "Studi Lapangan" in client.get(f"/benchmarking/visits/{world.visit.id}").get_data(as_text=True)
    client.post("/logout")
    world.coordinator.is_manager = True  # a penyelenggara who runs every cohort of the program edits it
    session.commit()
    login(client, world.coordinator)
    response = client.post(
        f"/benchmarking/programs/{program.id}/settings",
        data={"activity_name": "  Benchlearning ", "min_practices": 2},
    )
    assert response.status_code == 302
    assert "Benchlearning" in client.get(f"/benchmarking/visits/{world.visit.id}").get_data(as_text=True)
    assert (
        client.post(
            f"/benchmarking/programs/{program.id}/settings", data={"activity_name": "", "min_practices": 2}
        ).status_code
        == 422
    )


def test_minimum_practices_enforced_at_submit_with_422_and_nothing_saved(ctx, session, make_cohort, client):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    visit, person = world.visit, world.peserta[0]
    logged = datetime.now(UTC)
    practice = practices.create_practice(
        session,
        visit,
        person,
        practices.PracticeFields(title="Rumah sakit tanpa kelas", identified="Satu standar layanan."),
        logged,
    )
    session.commit()
    login(client, person)
    response = client.post(f"/benchmarking/practices/{practice.id}/submit", data={})
    assert response.status_code == 422 and 'data-need="3"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Practice, practice.id).submission.state == SubmissionState.DRAFT
    for title in ("Mal pelayanan publik", "Pengaduan terpadu"):
        practices.create_practice(
            session, visit, person, practices.PracticeFields(title=title, identified="Dilihat."), logged
        )
    session.commit()
    assert client.post(f"/benchmarking/practices/{practice.id}/submit", data={}).status_code == 302
    session.expire_all()
    assert session.get(Practice, practice.id).submission.state == SubmissionState.SUBMITTED


def test_visit_due_date_moves_the_practice_assessment(ctx, session, make_cohort, client):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    visit = world.visit
    due = visit.end_date + timedelta(days=20)
    login(client, world.coordinator)
    response = client.post(
        f"/benchmarking/visits/{visit.id}/edit",
        data={
            "host_id": visit.host_id,
            "theme": visit.theme,
            "start_date": visit.start_date.isoformat(),
            "end_date": visit.end_date.isoformat(),
            "due_date": due.isoformat(),
            "min_practices": 4,
        },
    )
    assert response.status_code == 302
    session.expire_all()
    visit = session.get(type(visit), visit.id)
    assert visit.due_date == due and visit.min_practices == 4
    assert visit.assessment.due_at.date() in {due, due + timedelta(days=1)}
    early = client.post(
        f"/benchmarking/visits/{visit.id}/edit",
        data={
            "host_id": visit.host_id,
            "theme": visit.theme,
            "start_date": visit.start_date.isoformat(),
            "end_date": visit.end_date.isoformat(),
            "due_date": (visit.start_date - timedelta(days=1)).isoformat(),
        },
    )
    assert early.status_code == 422


def test_lokus_added_edited_and_briefing_downloaded_by_peserta(ctx, session, make_cohort, client):
    world = build_stula_world(session, make_cohort, plans_submitted=False)
    visit = world.visit
    login(client, world.coordinator)
    response = client.post(
        f"/benchmarking/visits/{visit.id}/lokus/new",
        data={"host_id": world.host.id, "name": "Dinas Kependudukan", "contact_phone": "0561 123"},
    )
    assert response.status_code == 302
    lokus = session.scalar(select(Lokus).where(Lokus.name == "Dinas Kependudukan"))
    pdf = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    assert (
        client.post(
            f"/benchmarking/lokus/{lokus.id}/briefing",
            data={"file": (io.BytesIO(pdf), "panduan.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 302
    )
    client.post("/logout")
    login(client, world.peserta[3])
    download = client.get(f"/benchmarking/lokus/{lokus.id}/briefing")
    assert download.status_code == 200 and download.data == pdf
    download.close()
    assert client.post(f"/benchmarking/lokus/{lokus.id}/delete").status_code == 403


def test_api_lists_visits_lokus_groups_and_members_for_the_cohort_only(ctx, session, make_cohort, make_user, client):
    pytest.importorskip("jsonschema")
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from lms.api.services import create_token

    world = build_stula_world(session, make_cohort, plans_submitted=False)
    other = make_cohort(participants=1, name="Angkatan Lain")
    now = datetime.now(UTC)
    secrets = {
        who: create_token(session, person, "api", now)[1]
        for who, person in (
            ("peserta", world.peserta[5]),
            ("instructor", world.instructor),
            ("other_coordinator", other.people["coordinator"]),
            ("other_peserta", other.people["participants"][0]),
        )
    }
    session.commit()
    url = f"/api/v1/cohorts/{world.cohort.id}/visits"

    def get(who):
        return client.get(url, headers={"Authorization": f"Bearer {secrets[who]}"} if who else {})

    answer = get("peserta")
    assert answer.status_code == 200
    data = answer.get_json()
    (visit,) = data["visits"]
    assert visit["activity_name"] == "Studi Lapangan"
    assert [lk["name"] for lk in visit["lokus"]] == [name for name, _why in LOKUS]
    assert all(len(lk["groups"]) == 2 for lk in visit["lokus"])
    assert sum(len(g["members"]) for g in visit["groups"]) == PESERTA
    assert all(g["members"][0]["leader"] and g["members"][0]["id"] == g["leader_id"] for g in visit["groups"])
    assert get("instructor").status_code == 200
    for who in ("other_coordinator", "other_peserta"):
        refused = get(who)
        assert refused.status_code == 403 and world.peserta[0].name not in refused.get_data(as_text=True), who
    assert get(None).status_code == 401
    missing = client.get("/api/v1/cohorts/999999/visits", headers={"Authorization": f"Bearer {secrets['peserta']}"})
    assert missing.status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/cohorts/{cohort_id}/visits" in spec["paths"]
    registry = Registry().with_resource(
        "urn:tolok-api", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    Draft202012Validator({"$ref": "urn:tolok-api#/components/schemas/CohortVisits"}, registry=registry).validate(data)


def test_api_reads_visits_in_a_fixed_number_of_queries(ctx, session, make_cohort):
    from sqlalchemy import event

    from lms import db
    from plugins.benchmarking.visits_api import visits_document

    world = build_stula_world(session, make_cohort, plans_submitted=False)
    engine = session.get_bind()
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        document = visits_document(world.cohort)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sum(len(g["members"]) for g in document["visits"][0]["groups"]) == PESERTA
    assert len(statements) <= 8, statements
