"""Replay every id-bearing URL and every state-changing request of the url map as the other cohort.

Two cohorts, A and B, each with its penyelenggara (coordinator, also a program manager), widyaiswara
and two peserta, every kind of object in each, an admin and an anonymous visitor: ten people, as
the outside audit had them (issue 10). The test walks ``app.url_map`` and, for every rule with
variables, fills them from cohort A's objects by the *name* of the variable (:data:`ARGS`), then:

* a person of cohort A (or the admin, for admin pages) reaches every GET, so the test cannot pass
  because the fixtures are wrong and everything is 404;
* every person of cohort B and the anonymous visitor is refused every method of every such rule:
  401/403/404 or, anonymous only, the login page; and no POST/PUT/PATCH/DELETE changes a table or
  a stored file (a checksum of every table and the upload folder before and after);
* where a rule has several variables, each of them in turn is swapped for cohort B's object while
  the rest stay A's (``/cohorts/B/members/<A's membership>/remove``), and B is refused that too;
* ids that travel in a form rather than the URL (:data:`FORM_PROBES`) are replayed the same way;
* anonymous visitors are refused every endpoint whose rule is not asked for them, with or without
  variables; no page B may open shows a name, e-mail, NIP or text of A's peserta (markers);
* within cohort A: peserta A2 is refused A1's own objects (:data:`OWNED_ARGS`), A2's drafts are
  refused to everyone else (:data:`DRAFTS`), a peserta's own endpoints to staff and admins, the
  coordinator's endpoints to the widyaiswara and peserta, the teaching staff's to the peserta.

A variable this mapping does not know fails the test, so a new endpoint cannot slip through
unreplayed; :data:`ALLOWED` is the short list of endpoints another cohort may legitimately use.
One app per backend serves the whole module (the replay refuses everything, so nothing changes).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.app import create_app
from lms.db import Base
from tests.fixtures import BACKENDS, app_config, scratch_database
from tests.support import FAST_HASH, PASSWORD, login, make_nip

# A URL variable → the key of cohort A's object it names (see :func:`seed_cohort`).
ARGS: dict[str, str] = {
    "user_id": "participant",  # a peserta's profile and account
    "api_token_id": "api_token",
    "program_id": "program",
    "cohort_id": "cohort",
    "membership_id": "membership",
    "rubric_id": "rubric",
    "assessment_id": "assessment",
    "submission_id": "submission",
    "revision_id": "revision",
    "host_id": "host",
    "visit_id": "visit",
    "practice_id": "practice",
    "attachment_id": "attachment",
    "round_id": "round",
    "followup_id": "followup",
    "group_id": "group",
    "lokus_id": "lokus",
    "session_id": "seminar_session",  # a visit's seminar session (the benchmarking plugin's panel)
    "notification_id": "notification",
    "job_id": "job",
    "class_session_id": "class_session",
    "certificate_id": "certificate",
    "sheet_id": "sheet",
    "decision_id": "decision",
}

# Where one endpoint needs another object of the same kind than the name says.
OVERRIDES: dict[tuple[str, str], str] = {
    ("benchmarking_practices.mentor_file", "token"): "mentor_token",
    ("benchmarking_practices.mentor_file", "attachment_id"): "followup_attachment",
    ("benchmarking_practices.write_practice", "assessment_id"): "practice_assessment",
    ("benchmarking_practices.write_report", "assessment_id"): "report_assessment",
    ("benchmarking.write_plan", "assessment_id"): "plan_assessment",
    ("benchmarking_practices.write_individual", "assessment_id"): "individual_assessment",
}

# Query strings an endpoint needs to answer at all.
QUERY: dict[str, str] = {"results.export": "format=csv"}

# (endpoint, attacker role) pairs another cohort may use, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("benchmarking.show_host", "coordinator"): "the host catalogue is shared by every cohort's staff",
    ("benchmarking.show_host", "instructor"): "the host catalogue is shared by every cohort's staff",
    **{
        (endpoint, "coordinator"): "program managers (B's coordinator is one) see every host's implementation "
        "across cohorts: programs report it upward (plugins/benchmarking/rules.py)"
        for endpoint in (
            "benchmarking_practices.host_implementation",
            "benchmarking_practices.host_implementation_csv",
            "benchmarking_api.host_implementation",
        )
    },
    **{
        ("benchmarking_practices.mentor_file", role): "public by the mentor's signed link: whoever holds it opens "
        "the files it names, and only those (plugins/benchmarking/tests/test_mentors.py)"
        for role in ("coordinator", "instructor", "participant", "participant2", "anonymous")
    },
    ("cohorts.create_cohort", "coordinator"): "a program is a curriculum: every penyelenggara opens angkatan of it "
    "(a new cohort touches nothing of cohort A; editing the program does)",
}

# Ids that a form carries: (method, endpoint, url keys from the attacker's own cohort, form fields → keys of A).
FORM_PROBES: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
    ("POST", "rubrics.copy", {"rubric_id": "rubric"}, {"cohort_id": "cohort"}),
    ("GET", "rubrics.new", {}, {"cohort_id": "cohort"}),
    ("POST", "rubrics.new", {}, {"cohort_id": "cohort"}),
    ("POST", "assessments.submit", {"assessment_id": "assessment"}, {"submission_id": "submission"}),
    ("POST", "assessments.extend", {"assessment_id": "assessment"}, {"participant_id": "participant"}),
    ("POST", "cohorts.roster_import", {"cohort_id": "cohort"}, {"token": "roster_token"}),
    ("POST", "benchmarking_practices.report", {"round_id": "round"}, {"practice_id": "practice"}),
    ("POST", "benchmarking_practices.group_report", {"group_id": "group"}, {"practice_ids": "practice"}),
    ("POST", "benchmarking_practices.adjust", {"group_id": "group"}, {"member_id": "participant"}),
    ("POST", "benchmarking.create_visit", {"cohort_id": "cohort"}, {"host_id": "host"}),
    ("POST", "benchmarking.confirm_import", {"visit_id": "visit"}, {"token": "group_import_token"}),
]

ATTACKERS = ("coordinator", "instructor", "participant", "participant2", "anonymous")

# URL variables that name what belongs to one peserta (A1): another peserta of the same cohort (A2)
# is refused every endpoint that names one of them (the visit group is A1's, A2 is in the other one).
OWNED_ARGS = {
    "user_id",
    "api_token_id",
    "submission_id",
    "revision_id",
    "practice_id",
    "attachment_id",
    "followup_id",
    "notification_id",
    "job_id",
    "group_id",
    "certificate_id",
}

# Rules that are a peserta's alone: staff of their own cohort and admins are refused them too.
PARTICIPANT_RULES = {
    "submission.own",
    "notification.own",
    "job.own",
    "assessment.submit",
    "results.own",
    "benchmarking.practice.edit",
    "attendance.own",
    "certificate.own",
    "benchmarking.attachment.delete",
    "benchmarking.visit.log",
    "benchmarking.round.report",
    "benchmarking.followup.evidence",
}

# Rules for the people who run a cohort, and for its teaching staff: lower roles of cohort A itself
# are refused them (a widyaiswara does not run the cohort, a peserta does not grade).
COORDINATOR_RULES = {
    "cohort.edit",
    "cohort.manage",
    "assessment.manage",
    "assessment.audit",
    "rubric.edit",
    "program.edit",
    "benchmarking.host.edit",
    "benchmarking.visit.manage",
    "benchmarking.followups.manage",
    "benchmarking.practice.publish",
    "benchmarking.host.implementation",
    "attendance.plan",
    "attendance.session.edit",
    "certificates.issue",
    "certificate.revoke",
    "certificate.template",
    "scoresheet.manage",
    "results.decision.edit",
}
STAFF_RULES = {
    "cohort.teach",
    "assessment.teach",
    "submission.grade",
    "results.view",
    "benchmarking.visit.funnel",
    "benchmarking.round.staff",
    "benchmarking.group.adjust",
    "benchmarking.followup.confirm",
    "attendance.view",
    "attendance.session.record",
    "certificates.view",
    "scoresheet.enter",
}

# A draft is its author's alone (peserta A2's here): staff of the cohort and admins are refused it.
DRAFTS = {"submission_id": "draft_submission", "practice_id": "draft_practice", "attachment_id": "draft_attachment"}

# Pages without variables that take ids in the query string: B asks them about cohort A's objects.
QUERY_PROBES: dict[str, dict[str, str]] = {
    "grading.queue": {"cohort": "cohort", "assessment": "assessment"},
    "benchmarking_practices.catalogue": {"host": "host"},
}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Columns a refused request may still write: the API notes when the caller's own token was last used.
IGNORED_COLUMNS: set[tuple[str, str]] = {("api_tokens", "last_used_at")}


@dataclass
class World:
    app: Any
    ids: dict[str, dict[str, Any]]  # "a"/"b" → key → id
    people: dict[str, dict[str, Any]]  # "a"/"b" → role → user
    admin: Any
    tokens: dict[int, str] = field(default_factory=dict)  # user id → API secret
    clients: dict[int, Any] = field(default_factory=dict)

    def client(self, user: Any | None) -> Any:
        if user is None:
            return self.app.test_client()
        if user.id not in self.clients:
            client = self.app.test_client()
            login(client, user)
            self.clients[user.id] = client
        return self.clients[user.id]


# -- the two cohorts -------------------------------------------------------------------------------


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (31, 78, 95)).save(out, "PNG")
    return out.getvalue()


def _person(session: Session, n: int, name: str, **flags: Any) -> Any:
    from lms.auth.services import set_password
    from lms.users.models import ParticipantProfile, User

    user = User(email=f"replay{n}@example.go.id", name=name, active=True, **flags)
    set_password(user, PASSWORD, FAST_HASH)
    if not flags:
        user.profile = ParticipantProfile(nip=make_nip(n), instansi=f"Instansi {n % 2}")
    session.add(user)
    session.flush()
    return user


def seed_cohort(
    app: Any, session: Session, tag: str, first: int, plugin: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One cohort with every kind of object, each owned by someone of it."""
    from lms.api import services as api
    from lms.assessments import services as assessments
    from lms.cohorts.models import CohortStatus, Membership, Role
    from lms.cohorts.services import save_cohort, save_program
    from lms.core.timezones import now_utc
    from lms.grading import services as grading
    from lms.rubrics.services import CriterionData, LevelData, RubricData, create_rubric

    now = now_utc()
    people = {
        "coordinator": _person(session, first, f"Penyelenggara {tag}", is_manager=True),
        "instructor": _person(session, first + 1, f"Widyaiswara {tag}"),
        "participant": _person(session, first + 2, f"Peserta {tag}1"),
        "participant2": _person(session, first + 3, f"Peserta {tag}2"),
    }
    people["instructor"].profile = None
    program = save_program(session, None, code=f"PKA-{tag}", name=f"Pelatihan {tag}", actor=people["coordinator"])
    cohort = save_cohort(
        session,
        None,
        program=program,
        actor=people["coordinator"],
        name=f"Angkatan {tag}",
        year=2026,
        start_date=date.today(),
        end_date=date.today() + timedelta(days=90),
        status=CohortStatus.RUNNING,
    )
    session.add(Membership(cohort=cohort, user=people["instructor"], role=Role.INSTRUCTOR))
    member = Membership(cohort=cohort, user=people["participant"], role=Role.PARTICIPANT)
    session.add_all([member, Membership(cohort=cohort, user=people["participant2"], role=Role.PARTICIPANT)])
    session.flush()
    levels = [LevelData(name, Decimal(points)) for name, points in (("Kurang", 1), ("Cukup", 2), ("Baik", 3))]
    rubric = create_rubric(
        session,
        RubricData(
            title=f"Rubrik {tag}", criteria=[CriterionData(title="Relevansi", weight=Decimal(1), levels=levels)]
        ),
        actor=people["coordinator"],
        cohort=cohort,
    )
    assessment = assessments.save_assessment(
        session,
        None,
        cohort,
        assessments.AssessmentFields(
            title=f"Refleksi {tag}",
            due_at=now + timedelta(days=30),
            cutoff_at=now + timedelta(days=40),
            rubric_id=rubric.id,
        ),
    )
    submission = assessments.start_attempt(session, assessment, people["participant"], now)
    assessments.save_draft(
        session, submission, f"Refleksi rahasia {tag}", submission.version, people["participant"], now
    )
    revision = assessments.revisions(session, submission.id)[0]
    assessments.submit(session, submission, people["participant"], now)
    grade = grading.save_grade(
        session,
        submission,
        people["instructor"],
        grading.GradeInput(
            levels={c.id: c.levels[-1].id for c in rubric.criteria},
            comments={},
            feedback=f"Umpan balik {tag}",
            finalize=True,
        ),
        None,
        now,
    )
    grading.release(session, grade, people["instructor"], now)
    draft = assessments.start_attempt(session, assessment, people["participant2"], now)
    assessments.save_draft(session, draft, f"Draf rahasia {tag}", draft.version, people["participant2"], now)
    token, _secret = api.create_token(session, people["participant"], f"token {tag}", now)
    from lms.notifications.models import Notification

    notification = session.scalar(select(Notification).where(Notification.recipient_id == people["participant"].id))
    from lms.jobs.models import Job, JobStatus

    job = Job(
        kind="results.export",
        owner_id=people["participant"].id,
        params={"cohort_id": cohort.id, "format": "csv"},
        status=JobStatus.DONE,
        result_name=f"hasil_{tag}.csv",
        result_type="text/csv",
        expires_at=now + timedelta(days=1),
    )  # a job is its owner's alone, whoever they are
    session.add(job)
    session.flush()
    job.result_path = os.path.join("jobs", str(job.id), "result")
    os.makedirs(os.path.join(app.config["UPLOAD_DIR"], "jobs", str(job.id)), exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_DIR"], job.result_path), "w", encoding="utf-8") as handle:
        handle.write(f"Peserta {tag}1")
    from types import SimpleNamespace

    from lms.attendance import services as attendance
    from lms.certificates import services as certificates

    class_session = attendance.save_session(
        session,
        cohort,
        None,
        day=date.today(),
        starts_at=time(8),
        ends_at=time(10),
        jp=2,
        topic=f"Materi {tag}",
        instructor_id=people["instructor"].id,
    )
    certificates.save_template(
        session,
        program,
        letterhead="",
        number_pattern="{seq}/{program}/{year}",
        signer_name=f"Kepala {tag}",
        signer_nip="",
        signer_position="",
        place="",
    )
    certificate = certificates.issue_batch(
        session,
        cohort,
        people["coordinator"].id,
        {people["participant"].id: SimpleNamespace(status="lulus", predikat="Memuaskan")},
        today=date.today(),
    )[0]
    from lms.results import definitions
    from lms.scoresheets import services as scoresheets

    sheet = scoresheets.save_sheet(
        session,
        cohort,
        None,
        scoresheets.SheetData(title=f"Sikap perilaku {tag}", criteria=[scoresheets.CriterionData(title="Integritas")]),
        actor=people["coordinator"],
        now=now,
    )
    decision = definitions.record_decision(
        session, cohort, people["participant2"].id, f"Keputusan {tag}", people["coordinator"], now
    )
    ids = {
        "class_session": class_session.id,
        "certificate": certificate.id,
        "sheet": sheet.id,
        "decision": decision.id,
        "job": job.id,
        "notification": notification.id,
        "program": program.id,
        "cohort": cohort.id,
        "membership": member.id,
        "rubric": rubric.id,
        "assessment": assessment.id,
        "submission": submission.id,
        "revision": revision.id,
        "participant": people["participant"].id,
        "api_token": token.id,
        "draft_submission": draft.id,
    }
    if plugin:
        ids.update(_seed_benchmarking(app, session, tag, cohort, people, now))
    # What no one outside the cohort may read on any page: its peserta and their work.
    ids["markers"] = (
        [
            f"Peserta {tag}1",
            f"Peserta {tag}2",
            f"Refleksi rahasia {tag}",
            f"Umpan balik {tag}",
            f"Draf rahasia {tag}",
            f"Keputusan {tag}",
        ]
        + [
            marker
            for person in (people["participant"], people["participant2"])
            for marker in (person.email, person.profile.nip)
        ]
        + (
            [
                f"Praktik rahasia {tag}",
                f"Satu standar layanan {tag}",
                f"Tindak {tag} berjalan",
                f"Laporan kelompok {tag}",
                f"Draf praktik {tag}",
                f"Belum selesai {tag}",
            ]
            if plugin
            else []
        )
    )
    return ids, people


def _seed_benchmarking(
    app: Any, session: Session, tag: str, cohort: Any, people: dict[str, Any], now: Any
) -> dict[str, Any]:
    from plugins.benchmarking import (
        evidence,
        followups,
        individual,
        mentors,
        plans,
        practices,
        reports,
        seminar,
        services,
    )
    from plugins.benchmarking.models import Mentor

    host = services.save_host(session, None, actor=people["coordinator"], name=f"Pemerintah Kota {tag}")
    visit = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme=f"Inovasi {tag}",
        start_date=date.today(),
        end_date=date.today(),
        guiding_questions="Apa?",
        min_practices=1,
    )
    services.split_groups(session, visit, 2)  # one peserta in each: A2 is not in A1's group
    practices.ensure_assessments(session, visit, people["coordinator"])
    individual.set_grading(  # the individual report as one submission: its page exists
        session,
        visit,
        people["coordinator"],
        report_mode=individual.ONE_REPORT,
        report_weight=Decimal(50),
        presentation_weight=Decimal(50),
    )
    session.flush()
    group = next(g for g in visit.groups if any(m.user_id == people["participant"].id for m in g.members))
    author = people["participant"]
    practice = practices.create_practice(
        session,
        visit,
        author,
        practices.PracticeFields(
            title=f"Praktik rahasia {tag}",
            category="health",
            stage="adapted",
            identified=f"Satu standar layanan {tag}.",
            changes="Percontohan.",
            reasons=("budget",),
            target_unit="RSUD",
            timeline="6 bulan",
        ),
        now,
    )
    attachment = evidence.add(
        session, practice, author, _png(), "bukti.png", max_file=10 * 2**20, max_practice=20 * 2**20
    )
    practices.submit_practice(session, practice, author, now)
    round_ = followups.open_round(session, cohort, f"Tindak lanjut {tag}", date.today(), None)
    followup = followups.report(
        session,
        round_,
        practice,
        author,
        status="implemented",
        outcome=f"Tindak {tag} berjalan.",
        evidence_links="",
        today=date.today(),
        now=now,
    )
    followup_file = evidence.add_to_followup(
        session,
        followup,
        author,
        _png(),
        "penerapan.png",
        today=date.today(),
        max_file=10 * 2**20,
        max_practice=20 * 2**20,
    )
    mentor = Mentor(participant_id=author.id, name=f"Atasan {tag}", email=f"atasan.{tag.lower()}@example.go.id")
    mentor.link_nonce = f"nonce{tag}"
    session.add(mentor)
    session.flush()
    drafter = people["participant2"]
    draft = practices.create_practice(
        session,
        visit,
        drafter,
        practices.PracticeFields(
            title=f"Draf praktik {tag}", category="health", stage="identified", identified=f"Belum selesai {tag}."
        ),
        now,
    )
    draft_file = evidence.add(session, draft, drafter, _png(), "draf.png", max_file=10 * 2**20, max_practice=20 * 2**20)
    leader = next(m.user for m in group.members if m.user_id == group.leader_id)
    reports.write(session, group, leader, f"Laporan kelompok {tag}", [], 0, now)
    plans.ensure_plan_assessment(session, visit, people["coordinator"])
    from plugins.benchmarking import lokus as lokus_service

    lokus = visit.lokus[0]
    lokus_service.set_briefing(session, lokus, _png(), "briefing.png", 10 * 2**20)
    presenting = seminar.save_session(
        session,
        None,
        visit,
        title=f"Seminar {tag}",
        starts_at=now,
        place="Aula",
        group_ids=[g.id for g in visit.groups],
        panel_ids=[people["instructor"].id],
    )
    return {
        "host": host.id,
        "visit": visit.id,
        "group": group.id,
        "practice": practice.id,
        "attachment": attachment.id,
        "round": round_.id,
        "followup": followup.id,
        "followup_attachment": followup_file.id,
        "mentor_token": mentors.link_for(mentor, round_),
        "draft_practice": draft.id,
        "draft_attachment": draft_file.id,
        "practice_assessment": visit.assessment_id,
        "report_assessment": visit.report_assessment_id,
        "plan_assessment": visit.plan_assessment_id,
        "individual_assessment": visit.individual_assessment_id,
        "lokus": lokus.id,
        "seminar_session": presenting.id,
    }


def _group_import_preview(world: World, tag: str) -> str:
    """A group file uploaded by the cohort's coordinator for its visit, waiting to be confirmed: its token."""
    client = world.client(world.people[tag]["coordinator"])
    people = [world.people[tag]["participant"], world.people[tag]["participant2"]]
    body = "NIP;Kelompok\n" + "".join(f"{p.profile.nip};Kelompok {tag}\n" for p in people)
    response = client.post(
        f"/benchmarking/visits/{world.ids[tag]['visit']}/groups/import",
        data={"file": (io.BytesIO(body.encode("utf-8")), "kelompok.csv")},
        content_type="multipart/form-data",
    )
    found = re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True))
    assert response.status_code == 200 and found, response.get_data(as_text=True)[:2000]
    return found.group(1)


def _roster_preview(world: World, tag: str) -> str:
    """A roster file uploaded by the cohort's coordinator and waiting to be imported: its token."""
    from lms.cohorts.roster import template_csv

    client = world.client(world.people[tag]["coordinator"])
    body = template_csv().replace("198609262015051001", "198703152010012003").encode("utf-8")
    response = client.post(
        f"/cohorts/{world.ids[tag]['cohort']}/roster",
        data={"file": (io.BytesIO(body), "roster.csv")},
        content_type="multipart/form-data",
    )
    found = re.search(r'name="token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert response.status_code == 200 and found, response.get_data(as_text=True)[:2000]
    return found.group(1)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One app per backend for the module (the database_url fixture is per test; this is its module twin)."""
    tmp = tmp_path_factory.mktemp(f"replay-{request.param}")
    database = scratch_database(request.param, tmp)
    url = database.__enter__()
    app = create_app(app_config(url, tmp))
    engine = app.extensions["lms.db"].engine
    Base.metadata.create_all(engine)
    plugin = "benchmarking" in app.config["PLUGINS_ENABLED"]
    twin = create_app(app_config(url, tmp, DEFAULT_LOCALE="en"))
    session = Session(bind=engine, expire_on_commit=False)
    try:
        with twin.test_request_context():
            admin = _person(session, 1, "Admin", is_admin=True)
            ids_a, people_a = seed_cohort(app, session, "A", 10, plugin)
            ids_b, people_b = seed_cohort(app, session, "B", 20, plugin)
            session.commit()
            from lms.api import services as api
            from lms.core.timezones import now_utc

            built = World(app, {"a": ids_a, "b": ids_b}, {"a": people_a, "b": people_b}, admin)
            for user in [admin, *people_a.values(), *people_b.values()]:
                _token, built.tokens[user.id] = api.create_token(session, user, "replay", now_utc())
            session.commit()
        for user in [admin, *people_a.values(), *people_b.values()]:
            built.client(user)  # log everyone in first: a login writes to users, a refusal must not
        for tag in ("a", "b"):
            built.ids[tag]["roster_token"] = _roster_preview(built, tag)
            if plugin:
                built.ids[tag]["group_import_token"] = _group_import_preview(built, tag)
        yield built
    finally:
        session.close()
        twin.extensions["lms.db"].dispose()
        app.extensions["lms.db"].dispose()
        database.__exit__(None, None, None)


# -- walking the url map ---------------------------------------------------------------------------

# URL variables that are credentials, not ids: a signed one-time link (invitation, password reset)
# names no object another cohort could swap in. tests/test_invitations.py proves such links work
# once, expire, and refuse forgeries. A certificate's code opens its public verification page,
# for anyone by design (tests/test_certificates.py checks that it shows nothing else).
SECRET_ARGS = {"token", "code"}


def rules_with_variables(app: Any) -> Iterator[Any]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static") or not rule.arguments:
            continue
        if rule.arguments <= SECRET_ARGS:
            continue
        yield rule


def methods_of(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def key_of(rule: Any, arg: str) -> str:
    return OVERRIDES.get((rule.endpoint, arg)) or ARGS.get(arg, f"<unmapped {arg}>")


def url_for_rule(rule: Any, world: World, owners: dict[str, str], keys: dict[str, str] | None = None) -> str:
    """The rule's path with each variable taken from cohort ``owners[arg]`` ("a" unless told), the
    object named by ``keys[arg]`` where given."""
    keys = keys or {}
    values = {arg: world.ids[owners.get(arg, "a")][keys.get(arg) or key_of(rule, arg)] for arg in rule.arguments}
    built = rule.build(values, append_unknown=False)
    assert built is not None, (rule.rule, values)
    return built[1] + (f"?{QUERY[rule.endpoint]}" if rule.endpoint in QUERY else "")


def send(
    world: World, user: Any | None, method: str, endpoint: str, url: str, data: dict[str, Any] | None = None
) -> Any:
    """The request as ``user`` would make it: the API with their bearer token, the rest with their session."""
    if endpoint.startswith("api.") or url.startswith("/api/v1/"):  # the core's API and the plugins' (lms.plugins.api)
        headers = {"Authorization": f"Bearer {world.tokens[user.id]}"} if user is not None else {}
        response = world.app.test_client().open(url, method=method, headers=headers, data=data)
    else:
        response = world.client(user).open(url, method=method, data=data)
    response.close()  # file downloads hold their file open until closed
    return response


def refused(response: Any, anonymous: bool) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return anonymous and response.status_code in (302, 303) and "/login" in location


def reached(response: Any) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 200 or (response.status_code in (302, 303) and "/login" not in location)


def attackers(world: World) -> list[tuple[str, Any]]:
    return [(role, None if role == "anonymous" else world.people["b"][role]) for role in ATTACKERS]


def snapshot(world: World) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table, and the names and sizes of every stored file."""
    engine = world.app.extensions["lms.db"].engine
    state: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
            rows = conn.execute(select(*columns).order_by(*(table.primary_key.columns or columns))).all()
            state[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    files = []
    for folder, _dirs, names in os.walk(world.app.config["UPLOAD_DIR"]):
        files += [(os.path.join(folder, n), os.path.getsize(os.path.join(folder, n))) for n in names]
    state["<files>"] = (len(files), hashlib.sha256(repr(sorted(files)).encode()).hexdigest())
    return state


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


# -- the tests -------------------------------------------------------------------------------------


def test_every_url_variable_is_mapped_to_an_object(world):
    """A new endpoint whose variable the replay cannot fill fails here rather than go untested."""
    unknown = sorted(
        f"{rule.endpoint} <{arg}>"
        for rule in rules_with_variables(world.app)
        for arg in rule.arguments
        if key_of(rule, arg) not in world.ids["a"]
    )
    assert not unknown, "add these URL variables to ARGS (and seed the object in both cohorts): " + ", ".join(unknown)
    endpoints = set(world.app.view_functions)
    stale = sorted(e for e, _role in ALLOWED if e not in endpoints and not e.startswith("benchmarking"))
    assert not stale, f"ALLOWED names endpoints that no longer exist: {stale}"


def test_cohort_a_reaches_every_get(world):
    """Each GET works for someone of cohort A (admin pages: for the admin), so refusals below mean something."""
    from lms.core.access import declared_rule

    missing = []
    for rule in rules_with_variables(world.app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, world, {})
        admin_only = declared_rule(world.app.view_functions[rule.endpoint]) == "admin"
        tried = [world.admin] if admin_only else list(world.people["a"].values())
        responses = [send(world, person, "GET", rule.endpoint, url) for person in tried]
        if not any(reached(r) for r in responses):
            missing.append(f"{rule.endpoint} {url} {[r.status_code for r in responses]}")
    assert not missing, "cohort A cannot reach: " + "; ".join(missing)


def test_other_cohort_is_refused_every_get(world):
    holes = []
    before = snapshot(world)
    for rule in rules_with_variables(world.app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, world, {})
        for role, user in attackers(world):
            if (rule.endpoint, role) in ALLOWED:
                continue
            response = send(world, user, "GET", rule.endpoint, url)
            if not refused(response, user is None):
                holes.append(f"{role} of B: GET {url} ({rule.endpoint}) → {response.status_code}")
    if diff := changed(before, snapshot(world)):
        holes.append(f"cohort B's GETs changed {diff}")
    assert not holes, "\n".join(holes)


def test_anonymous_is_refused_every_endpoint_that_is_not_public(world):
    """Every method of every endpoint, with or without variables: anonymous visitors go to the login
    page (the API: 401) unless the endpoint's rule is asked for anonymous callers."""
    from lms.core.access import anonymous_rules, declared_rule

    holes, open_ = [], anonymous_rules(world.app)
    for rule in world.app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        if declared_rule(world.app.view_functions[rule.endpoint]) in open_:
            continue
        url = url_for_rule(rule, world, {}) if rule.arguments else rule.build({}, append_unknown=False)[1]
        for method in methods_of(rule):
            before = snapshot(world) if method in MUTATING else None
            response = send(world, None, method, rule.endpoint, url)
            if not refused(response, True):
                holes.append(f"anonymous: {method} {url} ({rule.endpoint}) → {response.status_code}")
            if before is not None and (diff := changed(before, snapshot(world))):
                holes.append(f"anonymous {method} {url} ({rule.endpoint}) changed {diff}")
    assert not holes, "\n".join(holes)


def test_other_cohort_is_refused_every_change_and_nothing_changes(world):
    holes = []
    for rule in rules_with_variables(world.app):
        for method in set(methods_of(rule)) & MUTATING:
            url = url_for_rule(rule, world, {})
            before = snapshot(world)
            for role, user in attackers(world):
                if (rule.endpoint, role) in ALLOWED:
                    continue
                response = send(world, user, method, rule.endpoint, url)
                if not refused(response, user is None):
                    holes.append(f"{role} of B: {method} {url} ({rule.endpoint}) → {response.status_code}")
            if diff := changed(before, snapshot(world)):
                holes.append(f"{method} {url} ({rule.endpoint}) by cohort B changed {diff}")
    assert not holes, "\n".join(holes)


def test_mixed_ids_of_both_cohorts_are_refused(world):
    """Each variable in turn from B's own cohort (where B may act), the others still A's."""
    holes = []
    for rule in rules_with_variables(world.app):
        if len(rule.arguments) < 2:
            continue
        for own in sorted(rule.arguments):
            url = url_for_rule(rule, world, {own: "b"})
            for method in methods_of(rule):
                before = snapshot(world)
                for role, user in attackers(world):
                    if user is None or (rule.endpoint, role) in ALLOWED:
                        continue
                    response = send(world, user, method, rule.endpoint, url)
                    if not refused(response, False):
                        holes.append(
                            f"{role} of B: {method} {url} ({rule.endpoint}, own {own}) → {response.status_code}"
                        )
                if diff := changed(before, snapshot(world)):
                    holes.append(f"{method} {url} ({rule.endpoint}) by cohort B changed {diff}")
    assert not holes, "\n".join(holes)


def test_ids_carried_in_forms_are_refused(world):
    """B acts on its own objects, naming one of A's in the form: refused, and nothing changes."""
    holes, probed = [], 0
    rules = {rule.endpoint: rule for rule in world.app.url_map.iter_rules()}
    for method, endpoint, url_keys, form_keys in FORM_PROBES:
        if endpoint not in rules:
            assert endpoint.startswith("benchmarking"), f"FORM_PROBES names a missing endpoint {endpoint}"
            continue
        rule = rules[endpoint]
        assert method in rule.methods, (endpoint, method)
        values = {arg: world.ids["b"][url_keys[arg]] for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        data = {name: str(world.ids["a"][key]) for name, key in form_keys.items()}
        query = "&".join(f"{k}={v}" for k, v in data.items())
        before = snapshot(world)
        for role, user in attackers(world):
            if user is None:
                continue
            response = send(
                world,
                user,
                method,
                endpoint,
                url + ("?" + query if method == "GET" else ""),
                data if method != "GET" else None,
            )
            probed += 1
            # The attacker may be refused by the rule itself, or by the view for A's id: both say no.
            if response.status_code not in (400, 403, 404, 422) and not (
                response.status_code in (302, 303) and method != "GET"
            ):
                holes.append(f"{role} of B: {method} {url} {data} → {response.status_code}")
        if diff := changed(before, snapshot(world)):
            holes.append(f"{method} {url} {data} by cohort B changed {diff}")
    assert probed and not holes, "\n".join(holes)


def test_another_peserta_of_the_same_cohort_is_refused_what_is_not_theirs(world):
    """Peserta A2 against A1's own work, account and files: refused, nothing changes."""
    holes = []
    sibling = world.people["a"]["participant2"]
    for rule in rules_with_variables(world.app):
        if not set(rule.arguments) & OWNED_ARGS or (rule.endpoint, "participant2") in ALLOWED:
            continue
        url = url_for_rule(rule, world, {})
        for method in methods_of(rule):
            before = snapshot(world)
            response = send(world, sibling, method, rule.endpoint, url)
            if not refused(response, False):
                holes.append(f"peserta A2: {method} {url} ({rule.endpoint}) → {response.status_code}")
            if diff := changed(before, snapshot(world)):
                holes.append(f"{method} {url} ({rule.endpoint}) by peserta A2 changed {diff}")
    assert not holes, "\n".join(holes)


def _readable(response: Any) -> str:
    if response.mimetype and (response.mimetype.startswith("text/") or "json" in response.mimetype):
        return response.get_data(as_text=True)
    return ""


def test_no_page_cohort_b_may_open_shows_cohort_a_people_or_work(world):
    """Every page without variables (with A's ids in the query where a page takes them), every
    allowed page, and the API, as each person of B and anonymous: no name, e-mail, NIP or text of
    cohort A's peserta appears."""
    markers = world.ids["a"]["markers"]
    leaks, pages = [], 0
    for rule in world.app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static") or "GET" not in rule.methods:
            continue
        if rule.arguments:
            if not any((rule.endpoint, role) in ALLOWED for role in ATTACKERS):
                continue
            url = url_for_rule(rule, world, {})
        else:
            url = rule.build({}, append_unknown=False)[1]
            probe = QUERY_PROBES.get(rule.endpoint)
            if probe:
                url += "?" + "&".join(f"{k}={world.ids['a'][v]}" for k, v in probe.items() if v in world.ids["a"])
        for role, user in attackers(world):
            response = send(world, user, "GET", rule.endpoint, url)
            pages += response.status_code == 200
            body = _readable(response)
            found = [m for m in markers if m in body]
            if found:
                leaks.append(f"{role} of B: GET {url} ({rule.endpoint}) shows {found}")
    assert pages and not leaks, "\n".join(leaks)


def test_markers_are_visible_to_cohort_a_staff(world):
    """The leak test's markers are what pages really show: A's coordinator sees them."""
    client = world.client(world.people["a"]["coordinator"])
    body = client.get(f"/cohorts/{world.ids['a']['cohort']}/participants").get_data(as_text=True)
    assert "Peserta A1" in body and "Peserta A2" in body
    grading_page = (
        world.client(world.people["a"]["instructor"])
        .get(f"/grading/submissions/{world.ids['a']['submission']}")
        .get_data(as_text=True)
    )
    assert "Refleksi rahasia A" in grading_page


def test_staff_and_admins_are_refused_what_is_a_peserta_s_alone(world):
    """Writing, submitting, withdrawing and restoring a peserta's work, their files and own results
    belong to them: cohort A's coordinator and widyaiswara and the admin are refused, nothing changes."""
    from lms.core.access import declared_rule

    holes, checked = [], 0
    staff = [
        ("coordinator A", world.people["a"]["coordinator"]),
        ("instructor A", world.people["a"]["instructor"]),
        ("admin", world.admin),
    ]
    for rule in rules_with_variables(world.app):
        if declared_rule(world.app.view_functions[rule.endpoint]) not in PARTICIPANT_RULES:
            continue
        url = url_for_rule(rule, world, {})
        for method in methods_of(rule):
            before = snapshot(world)
            for name, person in staff:
                checked += 1
                response = send(world, person, method, rule.endpoint, url)
                if not refused(response, False):
                    holes.append(f"{name}: {method} {url} ({rule.endpoint}) → {response.status_code}")
            if diff := changed(before, snapshot(world)):
                holes.append(f"{method} {url} ({rule.endpoint}) by staff changed {diff}")
    assert checked and not holes, "\n".join(holes)


def test_lower_roles_of_cohort_a_are_refused_what_its_staff_do(world):
    """Within cohort A: the widyaiswara and the peserta are refused what only its coordinator does,
    the peserta what its teaching staff do; nothing changes."""
    from lms.core.access import declared_rule

    people = world.people["a"]
    tiers = {
        **{name: ("instructor", "participant", "participant2") for name in COORDINATOR_RULES},
        **{name: ("participant", "participant2") for name in STAFF_RULES},
    }
    holes, checked = [], 0
    for rule in rules_with_variables(world.app):
        lower = tiers.get(declared_rule(world.app.view_functions[rule.endpoint]) or "")
        if not lower:
            continue
        url = url_for_rule(rule, world, {})
        for method in methods_of(rule):
            before = snapshot(world)
            for role in lower:
                checked += 1
                response = send(world, people[role], method, rule.endpoint, url)
                if not refused(response, False):
                    holes.append(f"{role} of A: {method} {url} ({rule.endpoint}) → {response.status_code}")
            if diff := changed(before, snapshot(world)):
                holes.append(f"{method} {url} ({rule.endpoint}) by A's lower roles changed {diff}")
    assert checked and not holes, "\n".join(holes)


def test_drafts_are_their_author_s_alone(world):
    """Peserta A2's draft reflection, draft practice and its file: A's coordinator and widyaiswara,
    the admin, peserta A1 and everyone of B are refused every endpoint naming them; nothing changes."""
    holes, checked = [], 0
    people = [(f"{role} of A", world.people["a"][role]) for role in ("coordinator", "instructor", "participant")]
    people += [("admin", world.admin)] + [(f"{role} of B", user) for role, user in attackers(world) if user]
    for rule in rules_with_variables(world.app):
        if not set(rule.arguments) & set(DRAFTS):
            continue
        url = url_for_rule(rule, world, {}, DRAFTS)
        for method in methods_of(rule):
            before = snapshot(world)
            for name, person in people:
                checked += 1
                response = send(world, person, method, rule.endpoint, url)
                if not refused(response, False):
                    holes.append(f"{name}: {method} {url} ({rule.endpoint}) → {response.status_code}")
            if diff := changed(before, snapshot(world)):
                holes.append(f"{method} {url} ({rule.endpoint}) on a draft changed {diff}")
    assert checked and not holes, "\n".join(holes)


def test_the_author_reaches_their_drafts(world):
    author = world.people["a"]["participant2"]
    for url in (
        f"/submissions/{world.ids['a']['draft_submission']}/revisions",
        *(
            [
                f"/benchmarking/practices/{world.ids['a']['draft_practice']}",
                f"/benchmarking/files/{world.ids['a']['draft_attachment']}",
            ]
            if "draft_practice" in world.ids["a"]
            else []
        ),
    ):
        assert send(world, author, "GET", "", url).status_code == 200, url
