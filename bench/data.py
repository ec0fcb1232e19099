"""A year of Tolok data, generated (not a dump): cohorts of peserta with assessments, submissions,
grades, field visits with groups, practices and group reports.

The default size is issue 13's: 20 cohorts × 150 peserta plus one national cohort of 3,000, eight
reflections each (48,000 submissions), five practices per peserta (30,000, each its own
submission) and a report per group of ten (600): 78,600 submissions. Rows go in with bulk
``executemany`` inserts of a few thousand rows (psycopg's pipelined insertmanyvalues on
PostgreSQL), so the full size takes a few minutes on a small machine; the ORM is used only for the
handful of rows whose services set things up (programs, cohorts, rubrics, a visit's assessments).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text

GOLONGAN = ["III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]
INSTANSI = [
    "Pemerintah Provinsi Kalimantan Barat",
    "Pemerintah Kota Pontianak",
    "Kementerian Dalam Negeri",
    "Badan Kepegawaian Negara",
    "Pemerintah Kabupaten Sambas",
    "Lembaga Administrasi Negara",
    "Pemerintah Kota Singkawang",
    "Kementerian Keuangan",
]
WORDS = [
    "layanan",
    "digital",
    "antrian",
    "perizinan",
    "terpadu",
    "aplikasi",
    "pengaduan",
    "kesehatan",
    "desa",
    "sekolah",
    "pajak",
    "daring",
    "mal",
    "publik",
    "inovasi",
    "data",
    "satu",
    "pintu",
    "keliling",
    "cepat",
]
PASSWORD = "bench-password"  # noqa: S105 (a benchmark's throw-away accounts)


@dataclass
class Size:
    cohorts: int = 20
    size: int = 150
    national: int = 3000
    reflections: int = 8
    practices: int = 5
    group_size: int = 10


@dataclass
class World:
    """Ids the benchmark needs: per measured cohort its coordinator, a participant, visit and assessment."""

    admin_id: int = 0
    cohorts: dict[str, dict[str, int]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # an API token of each measured cohort's coordinator
    counts: dict[str, int] = field(default_factory=dict)


def nip(i: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=i % 15000)
    return f"{born:%Y%m%d}{2000 + i // 15000:04d}01{1 + i % 2}{i % 999 + 1:03d}"


def _bulk(session: Any, model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        session.execute(insert(model), rows[start : start + chunk])


def generate(app: Any, size: Size, seed: int = 13) -> World:
    """Fill an empty database (schema from the models) and return the ids to measure with."""
    from werkzeug.security import generate_password_hash

    from lms.api.services import create_token
    from lms.assessments.models import Assessment, Submission, SubmissionState
    from lms.cohorts.models import CohortStatus, Membership, Program, Role
    from lms.cohorts.services import save_cohort
    from lms.db import Base
    from lms.grading.models import Grade, GradeCriterion, GradeStatus
    from lms.grading.services import refresh_awaiting_grade
    from lms.rubrics.models import Criterion, Level, Rubric
    from lms.users.models import ParticipantProfile, User
    from plugins.benchmarking import practices as bench_practices
    from plugins.benchmarking.models import (
        FieldVisit,
        GroupMember,
        GroupReport,
        Host,
        Lokus,
        Practice,
        VisitGroup,
    )

    database = app.extensions["lms.db"]
    Base.metadata.create_all(database.engine)
    rng = random.Random(seed)
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    world = World()
    with app.test_request_context():
        session = database.session()
        admin = User(email="admin@bench.go.id", name="Admin", is_admin=True, password_hash=hashed)
        hosts = [
            Host(
                name=f"Pemerintah Kota Contoh {h}",
                region="Kalimantan Barat",
                recognition="Top 45 Inovasi Pelayanan Publik",
            )
            for h in range(10)
        ]
        program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
        session.add_all([admin, program, *hosts])
        session.flush()
        world.admin_id = admin.id
        plan = [("c150" if c == 0 else f"c{c}", size.size) for c in range(size.cohorts)] + [("national", size.national)]
        next_user = 100_000
        next_submission = 1
        next_grade = 1
        person_index = 0
        users, profiles, memberships, submissions, grades, criteria_rows = [], [], [], [], [], []
        practices_rows, members, reports = [], [], []
        group_rows: list[dict[str, Any]] = []
        next_group = 1
        for index, (label, people) in enumerate(plan):
            coordinator = User(
                email=f"koordinator.{label}@bench.go.id", name=f"Koordinator {label}", password_hash=hashed
            )
            grader = User(email=f"widyaiswara.{label}@bench.go.id", name=f"Widyaiswara {label}", password_hash=hashed)
            session.add_all([coordinator, grader])
            session.flush()
            cohort = save_cohort(
                session,
                None,
                program=program,
                actor=coordinator,
                name=f"Angkatan {label}",
                year=2026,
                start_date=date(2026, 8, 3),
                end_date=date(2026, 11, 20),
            )
            cohort.status = CohortStatus.RUNNING
            session.add(Membership(cohort_id=cohort.id, user_id=grader.id, role=Role.INSTRUCTOR))
            rubric = Rubric(title=f"Refleksi {label}", cohort_id=cohort.id, frozen=True)
            session.add(rubric)
            session.flush()
            levels = []
            for c in range(3):
                criterion = Criterion(rubric_id=rubric.id, position=c, title=f"Kriteria {c + 1}", weight=Decimal(1))
                session.add(criterion)
                session.flush()
                row = []
                for p in range(1, 5):
                    level = Level(criterion_id=criterion.id, position=p, label=f"Level {p}", points=Decimal(p))
                    session.add(level)
                    session.flush()
                    row.append((criterion.id, level.id, Decimal(p)))
                levels.append(row)
            reflections = []
            for a in range(size.reflections):
                item = Assessment(
                    cohort_id=cohort.id,
                    title=f"Refleksi {a + 1}",
                    weight=Decimal(1 + a % 3),
                    rubric_id=rubric.id,
                    due_at=now + timedelta(days=a),
                )
                session.add(item)
                reflections.append(item)
            visit = FieldVisit(
                cohort=cohort,
                host=hosts[index % len(hosts)],
                theme="Inovasi pelayanan publik",
                start_date=date(2026, 9, 14),
                end_date=date(2026, 9, 16),
                min_practices=3,
            )
            session.add(visit)
            session.flush()
            places = [
                Lokus(visit_id=visit.id, host_id=visit.host.id, position=n, name=f"Lokus {n + 1}", chosen_for="")
                for n in range(3)
            ]  # a visit today goes to several lokus; its groups go there in turn
            session.add_all(places)
            session.flush()
            bench_practices.ensure_assessments(session, visit, coordinator)
            session.flush()
            practice_assessment = session.get(Assessment, visit.assessment_id)
            report_assessment = session.get(Assessment, visit.report_assessment_id)
            practice_levels = [
                (c.id, max(c.levels, key=lambda lv: lv.points)) for c in practice_assessment.rubric.criteria
            ]
            ids = list(range(next_user, next_user + people))
            next_user += people
            for uid in ids:
                person_index += 1
                users.append(
                    {
                        "id": uid,
                        "email": f"peserta{uid}@bench.go.id",
                        "name": f"Peserta {uid:06d}",
                        "is_admin": False,
                        "is_manager": False,
                        "active": True,
                        "must_change_password": False,
                        "password_hash": hashed,
                        "session_token": f"t{uid}",
                        "created_at": now,
                    }
                )
                profiles.append(
                    {
                        "user_id": uid,
                        "nip": nip(person_index),
                        "instansi": INSTANSI[uid % len(INSTANSI)],
                        "unit": f"Bidang {uid % 17}",
                        "jabatan": "Kepala Seksi",
                        "golongan": GOLONGAN[uid % len(GOLONGAN)],
                        "updated_at": now,
                    }
                )
                memberships.append(
                    {"cohort_id": cohort.id, "user_id": uid, "role": Role.PARTICIPANT, "created_at": now}
                )
                for item in reflections:
                    roll = rng.random()
                    submissions.append(
                        {
                            "id": next_submission,
                            "assessment_id": item.id,
                            "participant_id": uid,
                            "attempt": 1,
                            "state": SubmissionState.SUBMITTED,
                            "body": "Refleksi saya.",
                            "late": rng.random() < 0.1,
                            "submitted_at": now - timedelta(minutes=rng.randrange(90000)),
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                        }
                    )
                    if roll < 0.93:  # the rest is the queue's "ungraded"
                        picks = [rng.randrange(4) for _ in levels]
                        score = (Decimal(sum(p + 1 for p in picks)) / 12 * 100).quantize(Decimal("0.01"))
                        status = (
                            GradeStatus.RELEASED
                            if roll < 0.85
                            else GradeStatus.FINAL
                            if roll < 0.9
                            else GradeStatus.DRAFT
                        )
                        grades.append(
                            {
                                "id": next_grade,
                                "submission_id": next_submission,
                                "grader_id": grader.id,
                                "rubric_id": rubric.id,
                                "score": score,
                                "feedback": "Analisis sudah baik.",
                                "status": status,
                                "released_at": now if status == GradeStatus.RELEASED else None,
                                "needs_review": False,
                                "updated_at": now,
                                "version": 2,
                            }
                        )
                        for c, pick in enumerate(picks):
                            criterion_id, level_id, points = levels[c][pick]
                            criteria_rows.append(
                                {
                                    "grade_id": next_grade,
                                    "criterion_id": criterion_id,
                                    "level_id": level_id,
                                    "points": points,
                                    "comment": "",
                                }
                            )
                        next_grade += 1
                    next_submission += 1
                for p in range(size.practices):
                    submitted = rng.random() < 0.85
                    submissions.append(
                        {
                            "id": next_submission,
                            "assessment_id": practice_assessment.id,
                            "participant_id": uid,
                            "attempt": p + 1,
                            "state": SubmissionState.SUBMITTED if submitted else SubmissionState.DRAFT,
                            "body": "",
                            "late": False,
                            "submitted_at": now if submitted else None,
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                        }
                    )
                    words = rng.sample(WORDS, 4)
                    practices_rows.append(
                        {
                            "submission_id": next_submission,
                            "visit_id": visit.id,
                            "participant_id": uid,
                            "title": " ".join(words).capitalize(),
                            "category": "digital_service" if "digital" in words else "service_innovation",
                            "identified": "Host menjalankan " + " ".join(rng.sample(WORDS, 8)) + ".",
                            "evidence_links": "",
                            "stage": ("identified", "adopted", "adapted")[p % 3],
                            "adoption_plan": "",
                            "changes": "",
                            "reasons": "",
                            "target_unit": "",
                            "timeline": "",
                            "resources": "",
                            "risks": "",
                            "change_project_link": "",
                            "private_note": "",
                            "published": submitted and rng.random() < 0.4,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    if submitted and rng.random() < 0.5:
                        grades.append(
                            {
                                "id": next_grade,
                                "submission_id": next_submission,
                                "grader_id": grader.id,
                                "rubric_id": practice_assessment.rubric_id,
                                "score": Decimal(100),
                                "feedback": "",
                                "status": GradeStatus.RELEASED,
                                "released_at": now,
                                "needs_review": False,
                                "updated_at": now,
                                "version": 2,
                            }
                        )
                        for criterion_id, level in practice_levels:
                            criteria_rows.append(
                                {
                                    "grade_id": next_grade,
                                    "criterion_id": criterion_id,
                                    "level_id": level.id,
                                    "points": level.points,
                                    "comment": "",
                                }
                            )
                        next_grade += 1
                    next_submission += 1
            for g, start in enumerate(range(0, people, size.group_size)):
                chunk = ids[start : start + size.group_size]
                group_rows.append(
                    {
                        "id": next_group,
                        "visit_id": visit.id,
                        "name": f"Kelompok {g + 1}",
                        "position": g,
                        "leader_id": chunk[0],
                        "lokus_id": places[g % len(places)].id,
                    }
                )
                members.extend({"group_id": next_group, "visit_id": visit.id, "user_id": uid} for uid in chunk)
                submissions.append(
                    {
                        "id": next_submission,
                        "assessment_id": report_assessment.id,
                        "participant_id": chunk[0],
                        "attempt": 1,
                        "state": SubmissionState.SUBMITTED,
                        "body": "Laporan kelompok.",
                        "late": False,
                        "submitted_at": now,
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                )
                reports.append({"group_id": next_group, "submission_id": next_submission})
                next_submission += 1
                next_group += 1
            world.cohorts[label] = {
                "cohort": cohort.id,
                "coordinator": coordinator.id,
                "participant": ids[0],
                "visit": visit.id,
                "assessment": reflections[0].id,
                "people": people,
            }
        session.commit()
        for model, rows in (
            (User, users),
            (ParticipantProfile, profiles),
            (Membership, memberships),
            (Submission, submissions),
            (Grade, grades),
            (GradeCriterion, criteria_rows),
            (Practice, practices_rows),
            (VisitGroup, group_rows),
            (GroupMember, members),
            (GroupReport, reports),
        ):
            _bulk(session, model, rows)
            world.counts[model.__tablename__] = len(rows)
        refresh_awaiting_grade(session.connection())  # bulk inserts pass by the flush listener that keeps it
        session.commit()
        if database.engine.dialect.name == "postgresql":  # explicit ids above: move the sequences past them
            for table in ("users", "submissions", "grades", "benchmarking_groups"):
                session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            session.execute(text("ANALYZE"))
        for label in ("c150", "national"):
            coordinator = session.get(User, world.cohorts[label]["coordinator"])
            _token, world.tokens[label] = create_token(session, coordinator, "bench", now)
        session.commit()
        assert session.scalar(select(User.id).where(User.id == world.admin_id))
    return world


def known(app: Any) -> World:
    """The ids of data a previous :func:`generate` left in the database (``--reuse``), with new API tokens."""
    from lms.api.services import create_token
    from lms.assessments.models import Assessment
    from lms.cohorts.models import Cohort, Membership, Role
    from lms.users.models import User
    from plugins.benchmarking.models import FieldVisit

    database = app.extensions["lms.db"]
    world = World()
    now = datetime.now(UTC)
    with app.test_request_context():
        session = database.session()
        world.admin_id = session.scalar(select(User.id).where(User.is_admin.is_(True)).order_by(User.id))
        for label in ("c150", "national"):
            cohort = session.scalar(select(Cohort).where(Cohort.name == f"Angkatan {label}"))
            people = session.scalars(
                select(Membership.user_id)
                .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
                .order_by(Membership.user_id)
            ).all()
            coordinator = session.scalar(
                select(Membership.user_id).where(Membership.cohort_id == cohort.id, Membership.role == Role.COORDINATOR)
            )
            world.cohorts[label] = {
                "cohort": cohort.id,
                "coordinator": coordinator,
                "participant": people[0],
                "people": len(people),
                "visit": session.scalar(select(FieldVisit.id).where(FieldVisit.cohort_id == cohort.id)),
                "assessment": session.scalar(
                    select(Assessment.id).where(Assessment.cohort_id == cohort.id, Assessment.title == "Refleksi 1")
                ),
            }
            _token, world.tokens[label] = create_token(
                session, session.get(User, coordinator), f"bench {now:%H%M%S}", now
            )
        session.commit()
    return world


def store_results(app: Any) -> float:
    """Compute and store every cohort's results (``participant_results``), as the migration's
    backfill and ``flask lms results refresh`` do; bulk-inserted data bypasses the listener that
    keeps them current. Creates the tables on a database generated before they existed. Seconds."""
    from lms.db import Base
    from lms.results.services import refresh_all

    database = app.extensions["lms.db"]
    Base.metadata.create_all(database.engine)
    started = time.perf_counter()
    with app.test_request_context():
        session = database.session()
        for _cohort, _rows in refresh_all(session):
            session.commit()
        if database.engine.dialect.name == "postgresql":
            # As autovacuum would after so many rows: without statistics PostgreSQL plans the
            # stored rows' joins (the exports') for a handful of rows, with nested loops.
            session.execute(text("ANALYZE participant_results, participant_result_cells"))
            session.commit()
        database.session.remove()
    return time.perf_counter() - started
