"""Demo data: a PKA cohort of a provincial government, its staff and participants.

Used by ``flask lms demo`` (and ``make run`` on an empty database) and by the browser tests.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from lms.assessments.models import Revision, Submission, SubmissionState
from lms.assessments.services import AssessmentFields, save_assessment
from lms.auth.services import set_password
from lms.cohorts.models import Role
from lms.cohorts.services import add_member, save_cohort, save_program
from lms.core.timezones import today_local
from lms.grading.services import GradeInput, release, save_grade
from lms.plugins.manager import get_plugin_manager
from lms.results.demo import finished_angkatan
from lms.rubrics.services import DEFAULT_REFLECTION_RUBRIC, create_rubric
from lms.users.models import ParticipantProfile, User

# Logins listed in the README, one per role.
ACCOUNTS = {
    "admin": ("admin@tolok.example", "Administrator Tolok", "demo-admin-2026"),
    "coordinator": ("penyelenggara@tolok.example", "Rina Marlina, S.Sos., M.Si.", "demo-penyelenggara-2026"),
    "instructor": ("widyaiswara@tolok.example", "Dr. Bambang Sutejo, M.Si.", "demo-widyaiswara-2026"),
    "participant": ("peserta@tolok.example", "Ahmad Fauzi, S.T., M.T.", "demo-peserta-2026"),
}

_FIRST = [
    "Agus",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fitri",
    "Gusti",
    "Hendra",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Oktavia",
    "Putu",
    "Rahmat",
    "Siti",
    "Teguh",
    "Utami",
    "Wahyu",
    "Yuni",
    "Zainal",
    "Ratna",
]
_LAST = [
    "Santoso",
    "Wijaya",
    "Pratama",
    "Lestari",
    "Hidayat",
    "Saputra",
    "Rahayu",
    "Kusuma",
    "Nugroho",
    "Siregar",
    "Hutapea",
    "Ningsih",
    "Setiawan",
    "Purnomo",
    "Anggraini",
    "Maulana",
    "Syahputra",
    "Halim",
]
_UNITS = [
    "Badan Perencanaan Pembangunan Daerah",
    "Dinas Kesehatan",
    "Dinas Pendidikan",
    "Dinas Penanaman Modal dan PTSP",
    "Badan Kepegawaian Daerah",
    "Dinas Komunikasi dan Informatika",
    "Rumah Sakit Umum Daerah dr. Doris Sylvanus",
    "Dinas Sosial",
    "Inspektorat",
    "Biro Organisasi",
]
_JABATAN = ["Kepala Bidang", "Kepala Bagian", "Sekretaris Dinas", "Kepala UPT", "Kepala Subdirektorat"]
_GOLONGAN = ["III/c", "III/d", "III/d", "IV/a", "IV/a", "IV/b"]
INSTANSI = "Pemerintah Provinsi Kalimantan Tengah"


def demo_nip(rng: random.Random, index: int) -> str:
    """A NIP of the right shape: birth date, appointment month, sex digit and serial."""
    birth = date(rng.randint(1972, 1988), rng.randint(1, 12), rng.randint(1, 28))
    appointed = (birth.year + rng.randint(23, 30), rng.randint(1, 12))
    sex = rng.choice("12")
    return f"{birth:%Y%m%d}{appointed[0]:04d}{appointed[1]:02d}{sex}{index:03d}"


def load_demo(session: Session, app: Flask, participants: int = 25) -> dict[str, Any]:
    """Create the demo world; flush only. Returns the objects by name for plugins' demo data."""
    method = app.config["PASSWORD_HASH_METHOD"]
    rng = random.Random(2026)

    def account(key: str, **flags: bool) -> User:
        email, name, password = ACCOUNTS[key]
        user = User(email=email, name=name, active=True, **flags)
        set_password(user, password, method)
        session.add(user)
        return user

    admin = account("admin", is_admin=True)
    coordinator = account("coordinator", is_manager=True)
    instructor = account("instructor")
    second_instructor = User(email="coach@tolok.example", name="Dra. Sri Wahyuni, M.Pd.", active=True)
    session.add(second_instructor)
    session.flush()

    # Dates are relative to today, so that a newcomer finds the angkatan running, the field visit's
    # practice log open with its deadline ahead, and the PKP angkatan finished months ago.
    today = today_local()
    start = today - timedelta(days=60)
    program = save_program(
        session,
        None,
        code="PKA",
        name="Pelatihan Kepemimpinan Administrator",
        description="Pelatihan kepemimpinan bagi pejabat administrator (eselon III).",
        # This program ranks its peserta (the setting is off by default; the PKP angkatan shows that).
        show_rank=True,
        actor=coordinator,
    )
    cohort = save_cohort(
        session,
        None,
        program=program,
        actor=coordinator,
        name="Angkatan XII",
        year=start.year,
        start_date=start,
        end_date=start + timedelta(days=105),  # a PKA's ~105 days
        location="BPSDM Provinsi Kalimantan Tengah, Palangka Raya",
        today=today,  # no status: it follows the dates (running today)
    )
    add_member(session, cohort, instructor, Role.INSTRUCTOR)
    add_member(session, cohort, second_instructor, Role.INSTRUCTOR)

    people = [account("participant")]
    for i in range(1, participants):
        name = f"{_FIRST[i % len(_FIRST)]} {_LAST[(i * 7) % len(_LAST)]}"
        people.append(User(email=f"peserta{i:02d}@tolok.example", name=name, active=True))
        session.add(people[-1])
    for i, person in enumerate(people, start=1):
        person.profile = ParticipantProfile(
            nip=demo_nip(rng, i),
            instansi=INSTANSI,
            unit=_UNITS[i % len(_UNITS)],
            jabatan=f"{_JABATAN[i % len(_JABATAN)]}",
            golongan=_GOLONGAN[i % len(_GOLONGAN)],
        )
        add_member(session, cohort, person, Role.PARTICIPANT)
    session.flush()

    _demo_assessments(session, cohort, instructor, people)

    demo: dict[str, Any] = {
        "admin": admin,
        "coordinator": coordinator,
        "instructors": [instructor, second_instructor],
        "participants": people,
        "program": program,
        "cohort": cohort,
    }

    demo["finished_cohort"] = finished_angkatan(session, demo)
    get_plugin_manager(app).hook.lms_demo_data(session=session, demo=demo)
    session.flush()
    return demo


REFLECTIONS = [
    "Kunjungan ke Pontianak menunjukkan bahwa **rumah sakit tanpa kelas** bukan soal anggaran semata, "
    "melainkan keberanian pimpinan menetapkan satu standar layanan.\n\n"
    "- Di RSUD kami, antrean rawat inap masih dibedakan per kelas.\n"
    "- Langkah awal: menyamakan standar waktu tunggu untuk semua pasien.",
    "Saya belajar bahwa inovasi pelayanan publik butuh data pengaduan yang terbuka. "
    "Di dinas kami, pengaduan masih dicatat manual dan tidak pernah dianalisis.",
]


def _demo_assessments(session: Session, cohort: Any, instructor: User, people: list[User]) -> None:
    """Two reflections: one past its due time with graded work (some released), one still open."""

    now = datetime.now(UTC).replace(microsecond=0)
    end_of_day = now.replace(hour=16, minute=59, second=0)  # 23:59 WIB
    rubric = create_rubric(session, DEFAULT_REFLECTION_RUBRIC, actor=None, cohort=cohort)
    past = save_assessment(
        session,
        None,
        cohort,
        AssessmentFields(
            title="Refleksi agenda kepemimpinan",
            due_at=end_of_day - timedelta(days=14),
            cutoff_at=end_of_day - timedelta(days=7),
            instructions="Tuliskan apa yang Anda pelajari dan bagaimana menerapkannya di instansi Anda (500–800 kata).",
            weight=Decimal(1),
            rubric_id=rubric.id,
        ),
    )
    save_assessment(
        session,
        None,
        cohort,
        AssessmentFields(
            title="Refleksi studi lapangan",
            due_at=end_of_day + timedelta(days=10),
            cutoff_at=end_of_day + timedelta(days=14),
            instructions="Refleksikan praktik baik yang Anda temukan di lokus studi lapangan.",
            weight=Decimal(2),
            rubric_id=rubric.id,
        ),
    )
    submitted_at = now - timedelta(days=15)
    for index, person in enumerate(people[:12]):
        body = REFLECTIONS[index % len(REFLECTIONS)]
        submission = Submission(
            assessment=past,
            participant=person,
            attempt=1,
            body=body,
            version=1,
            state=SubmissionState.SUBMITTED,
            submitted_at=submitted_at,
            late=index == 11,
            created_at=submitted_at,
            updated_at=submitted_at,
        )
        session.add(submission)
        session.flush()
        session.add(
            Revision(
                submission_id=submission.id,
                number=1,
                body=body,
                reason="submit",
                saved_by_id=person.id,
                saved_at=submitted_at,
            )
        )
        if index < 8:
            picks = {c.id: c.levels[(index + i) % len(c.levels)].id for i, c in enumerate(rubric.criteria)}
            grade = save_grade(
                session,
                submission,
                instructor,
                GradeInput(
                    levels=picks,
                    comments={},
                    feedback="Analisis sudah baik; perkuat rencana penerapannya.",
                    finalize=index < 6,
                ),
                None,
                now,
            )
            if index < 4:
                release(session, grade, instructor, now)
