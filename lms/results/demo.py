"""Demo data for the final result: a finished angkatan of a second program (PKP) with its result
definition, graded work, a conduct score from three observers, attendance, and peserta whose outcomes
cover lulus, tidak lulus (a component under its minimum, attendance, a disciplinary decision) and
ditunda, and certificates for those who passed. A program of its own, so that the running PKA cohort keeps its plain weighted results."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.assessments.services import AssessmentFields, save_assessment
from lms.attendance import services as attendance
from lms.attendance.models import Presence
from lms.certificates import services as certificates
from lms.cohorts.models import Cohort, CohortStatus, Role
from lms.cohorts.services import add_member, save_cohort, save_program
from lms.grading.services import GradeInput, release, save_grade
from lms.results import definitions
from lms.results.definitions import ComponentData
from lms.results.outcomes import cohort_outcomes
from lms.rubrics.services import CriterionData, LevelData, RubricData, create_rubric
from lms.scoresheets import services as sheets
from lms.scoresheets.models import ObserverRole
from lms.users.models import ParticipantProfile, User

# Levels worth their score (a rubric has at most 12 levels; the top one, 100, makes points = score).
POINTS = [Decimal(p) for p in ("65", "72.5", "75", "78", "80", "82.5", "85", "88", "90", "92.5", "95", "100")]
# (aksi perubahan, seminar or None for handed in and not graded, conduct by the three observers, JP missed)
PLAN: list[tuple[str, str | None, tuple[str, str, str], int]] = [
    ("95", "92.5", ("92", "94", "93"), 0),  # lulus: 0,20·93 + 0,45·95 + 0,35·92,5 = 93,73 Sangat Memuaskan
    ("88", "85", ("85", "88", "86"), 0),  # lulus: 86,62 Memuaskan
    ("80", "78", ("80", "82", "81"), 3),  # lulus: 79,50 Cukup Memuaskan, 3 JP missed (96,43 %)
    ("72.5", "75", ("75", "76", "74"), 0),  # lulus: 73,88 Cukup Memuaskan
    ("65", "80", ("80", "80", "82"), 0),  # tidak lulus: aksi perubahan under 70
    ("85", "82.5", ("84", "85", "83"), 20),  # tidak lulus: 64 of 84 JP (76,19 %), under 90 %
    ("90", "88", ("86", "87", "88"), 0),  # tidak lulus: disciplinary decision
    ("82.5", None, ("80", "81", "79"), 0),  # ditunda: the seminar is not graded yet
]
NAMES = [
    "Arief Rahman",
    "Bunga Permatasari",
    "Cahyo Nugroho",
    "Dian Safitri",
    "Erwin Simanjuntak",
    "Fransiska Tumbelaka",
    "Galih Prasetyo",
    "Hana Mardiana",
]


def _nip(rng: random.Random, index: int) -> str:
    birth = date(rng.randint(1978, 1990), rng.randint(1, 12), rng.randint(1, 28))
    return f"{birth:%Y%m%d}{birth.year + rng.randint(23, 28):04d}{rng.randint(1, 12):02d}{rng.choice('12')}{index:03d}"


def _graded(
    session: Session, assessment: Assessment, person: User, grader: User, points: str | None, at: datetime
) -> None:
    submission = Submission(
        assessment=assessment,
        participant=person,
        attempt=1,
        body="Laporan akhir.",
        version=1,
        state=SubmissionState.SUBMITTED,
        submitted_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(submission)
    session.flush()
    if points is None:
        return
    criterion = assessment.rubric.criteria[0]  # type: ignore[union-attr]
    level = next(lv for lv in criterion.levels if lv.points == Decimal(points))
    grade = save_grade(
        session,
        submission,
        grader,
        GradeInput(levels={criterion.id: level.id}, comments={}, feedback="Dinilai pada seminar akhir.", finalize=True),
        None,
        at,
    )
    release(session, grade, grader, at)


def finished_angkatan(session: Session, demo: dict[str, Any]) -> Cohort:
    """PKP Angkatan V, finished months ago and closed after its results were settled; flush only."""
    coordinator: User = demo["coordinator"]
    widyaiswara, coach = demo["instructors"]
    rng = random.Random(515)
    now = datetime.now(UTC).replace(microsecond=0)
    # An angkatan of ~4 months that ended 4 months ago (relative to today, like the rest of the demo).
    end = (now - timedelta(days=120)).date()
    start = end - timedelta(days=116)
    program = save_program(
        session,
        None,
        code="PKP",
        name="Pelatihan Kepemimpinan Pengawas",
        description="Pelatihan kepemimpinan bagi pejabat pengawas (eselon IV).",
        attendance_minimum=Decimal(90),
        actor=coordinator,
    )
    definitions.save_definition(
        session,
        program,
        [
            ComponentData("sikap", "Sikap perilaku", Decimal(20)),
            ComponentData("aksi", "Aksi perubahan", Decimal(45), minimum=Decimal(70)),
            ComponentData("seminar", "Seminar", Decimal(35)),
        ],
        coordinator,
        now,
        sources=set(),
        note="Contoh; sesuaikan dengan pedoman yang berlaku.",
    )
    cohort = save_cohort(
        session,
        None,
        program=program,
        actor=coordinator,
        name="Angkatan V",
        year=start.year,
        start_date=start,
        end_date=end,
        location="BPSDM Provinsi Kalimantan Tengah, Palangka Raya",
        status=CohortStatus.RUNNING,
    )
    add_member(session, cohort, widyaiswara, Role.INSTRUCTOR)
    add_member(session, cohort, coach, Role.INSTRUCTOR)
    people = []
    for i, name in enumerate(NAMES, start=1):
        person = User(email=f"alumni{i:02d}@tolok.example", name=name, active=True)
        person.profile = ParticipantProfile(
            nip=_nip(rng, 100 + i),
            instansi="Pemerintah Provinsi Kalimantan Tengah",
            unit="Dinas Penanaman Modal dan PTSP",
            jabatan="Kepala Seksi",
            golongan="III/c" if i % 2 else "III/d",
        )
        session.add(person)
        session.flush()
        add_member(session, cohort, person, Role.PARTICIPANT)
        people.append(person)
    rubric = create_rubric(
        session,
        RubricData(
            title="Nilai akhir", criteria=[CriterionData(title="Nilai", levels=[LevelData(str(p), p) for p in POINTS])]
        ),
        actor=None,
        cohort=cohort,
    )
    finished = now - timedelta(days=120)
    aksi, seminar = (
        save_assessment(
            session,
            None,
            cohort,
            AssessmentFields(
                title=title,
                due_at=finished - timedelta(days=days),
                cutoff_at=finished - timedelta(days=days - 3),
                rubric_id=rubric.id,
            ),
        )
        for title, days in (("Laporan aksi perubahan", 20), ("Seminar aksi perubahan", 10))
    )
    definitions.tag_work(session, cohort, {aksi.id: "aksi", seminar.id: "seminar"}, {"aksi", "seminar"})
    sheet = sheets.save_sheet(
        session,
        cohort,
        None,
        sheets.SheetData(
            title="Sikap perilaku",
            criteria=[
                sheets.CriterionData("Integritas"),
                sheets.CriterionData("Disiplin"),
                sheets.CriterionData("Kerja sama"),
            ],
            component_key="sikap",
            observers_required=3,
        ),
    )
    observers = [
        (widyaiswara, ObserverRole.WIDYAISWARA),
        (coach, ObserverRole.COACH),
        (coordinator, ObserverRole.PENYELENGGARA),
    ]
    for person, (aksi_points, seminar_points, conduct, _missed) in zip(people, PLAN, strict=True):
        _graded(session, aksi, person, widyaiswara, aksi_points, finished)
        _graded(session, seminar, person, widyaiswara, seminar_points, finished)
        for (observer, role), score in zip(observers, conduct, strict=True):
            sheets.save_scores(
                session,
                sheet,
                observer,
                observer.id,
                role,
                [sheets.CellInput(person.id, c.id, score, 0) for c in sheet.criteria],
                finished,
            )
    # Attendance: eleven sessions, 84 JP; the third peserta missed 3 JP (izin), the sixth 20 JP.
    day = start
    lessons = [(8, "Kepemimpinan pancasila dan bela negara")] * 9 + [(3, "Manajemen perubahan"), (9, "Coaching")]
    for n, (jp, topic) in enumerate(lessons):
        lesson = attendance.save_session(
            session,
            cohort,
            None,
            day=day + timedelta(days=n),
            starts_at=time(8),
            ends_at=time(16),
            jp=jp,
            topic=topic,
            instructor_id=widyaiswara.id,
        )
        session.flush()
        absent = {}
        if jp == 3:
            absent[people[2].id] = Presence.IZIN
        if n in (0, 9):
            absent[people[5].id] = Presence.ALPA if n == 0 else Presence.SAKIT
        if n == 10:
            absent[people[5].id] = Presence.SAKIT
        attendance.record(
            session, lesson, coordinator, version=lesson.version, statuses=absent, instructor_present=True
        )
    definitions.record_decision(
        session,
        cohort,
        people[6].id,
        "Pelanggaran tata tertib berat (SK Kepala BPSDM No. 800/112/2026)",
        coordinator,
        finished,
    )
    session.flush()
    certificates.save_template(
        session,
        program,
        letterhead="PEMERINTAH PROVINSI KALIMANTAN TENGAH\nBADAN PENGEMBANGAN SUMBER DAYA MANUSIA",
        number_pattern="{seq}/PKP-{angkatan}/{year}",
        signer_name="Dr. H. Sutrisno, M.Si.",
        signer_nip=_nip(rng, 1),
        signer_position="Kepala BPSDM Provinsi Kalimantan Tengah",
        place="Palangka Raya",
    )
    certificates.issue_batch(session, cohort, coordinator.id, cohort_outcomes(session, cohort), today=end)
    cohort.status = CohortStatus.CLOSED
    session.flush()
    return cohort
