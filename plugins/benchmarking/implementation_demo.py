"""Demo data for "did it work?": an earlier PKA angkatan that visited the same host some fifteen months
ago, followed up at 3, 6 and 12 months, with mentors who confirmed; and a mentor who confirmed a
report of the current angkatan. Flush only (``flask lms demo`` commits)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lms.cohorts.models import CohortStatus, Role
from lms.cohorts.services import add_member, save_cohort
from lms.users.models import ParticipantProfile, User
from plugins.benchmarking import followups, mentors, practices, services
from plugins.benchmarking.models import ChangeProjectLink, ChangeProjectStage, Followup, Host, Mentor

AGENCIES = [
    "Pemerintah Kabupaten Kotawaringin Barat",
    "Pemerintah Kabupaten Kapuas",
    "Pemerintah Kota Palangka Raya",
    "Pemerintah Kabupaten Barito Utara",
    "Pemerintah Kabupaten Katingan",
    "Pemerintah Provinsi Kalimantan Tengah",
]
NAMES = [
    "Hendra Saputra",
    "Ratna Dewi Lestari",
    "Yohanes Tambunan",
    "Nur Aisyah",
    "Bambang Irawan",
    "Maria Ulfah",
    "Rizky Pratama",
    "Siti Rahmawati",
]
# (title, stage, statuses at 3, 6 and 12 months; a mentor confirms the last implemented report)
PLAN = [
    ("Rumah sakit tanpa kelas", "adapted", ("in_progress", "implemented", "sustained")),
    ("Rumah sakit tanpa kelas", "adopted", ("implemented", "implemented", "sustained")),
    ("Pengaduan terpadu lewat satu aplikasi", "adopted", ("implemented", "sustained", "sustained")),
    ("Pengaduan terpadu lewat satu aplikasi", "adapted", ("in_progress", "implemented", "discontinued")),
    ("Mal pelayanan publik", "adapted", ("planned", "in_progress", "implemented")),
    ("Survei kepuasan bulanan yang dipublikasikan", "adopted", ("planned", "planned", "discontinued")),
    ("Tunjangan kinerja berbasis pengaduan", "identified", ()),
    ("Rumah sakit tanpa kelas", "adapted", ("implemented", "sustained", "sustained")),
]
OUTCOME = "Sudah berjalan di unit percontohan; dilaporkan dalam rapat pimpinan."


def earlier_angkatan(session: Session, demo: dict[str, Any], host: Host) -> Any:
    """PKA Angkatan earlier than the demo's, same program, same host, 15 months ago: every round
    closed, practices sustained or discontinued, confirmed by mentors."""
    coordinator: User = demo["coordinator"]
    instructor: User = demo["instructors"][0]
    rng = random.Random(1616)
    visit_day = date.today() - timedelta(days=460)
    start, end = visit_day - timedelta(days=60), visit_day + timedelta(days=45)
    cohort = save_cohort(
        session,
        None,
        program=demo["program"],
        actor=coordinator,
        name="Angkatan IX",
        year=start.year,
        start_date=start,
        end_date=end,
        location="BPSDM Provinsi Kalimantan Tengah, Palangka Raya",
        status=CohortStatus.RUNNING,
    )
    add_member(session, cohort, instructor, Role.INSTRUCTOR)
    people = []
    for i, name in enumerate(NAMES, start=1):
        person = User(email=f"alumni.pka{i:02d}@tolok.example", name=name, active=True)
        person.profile = ParticipantProfile(
            nip=f"198003{i:02d}2006011{i + 500:03d}",  # born March 1980, appointed January 2006
            instansi=AGENCIES[i % len(AGENCIES)],
            unit="Bagian Organisasi",
            jabatan="Kepala Bagian",
            golongan="IV/a",
        )
        session.add(person)
        add_member(session, cohort, person, Role.PARTICIPANT)
        people.append(person)
    session.flush()
    visit = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme="Inovasi pelayanan publik",
        start_date=visit_day,
        end_date=visit_day,
        location="Balai Kota Pontianak",
        guiding_questions="Inovasi apa yang membuat pelayanan Pontianak unggul?",
        min_practices=1,
    )
    practices.ensure_assessments(session, visit, coordinator)
    logged = datetime.combine(visit_day, time(9), tzinfo=UTC) + timedelta(days=1)
    rounds = {
        months: followups.open_round(
            session,
            cohort,
            f"{months} bulan setelah pelatihan",
            followups.add_months(end, months),
            followups.add_months(end, months) + timedelta(days=followups.ROUND_DAYS),
            months=months,
        )
        for months in followups.DEFAULT_MONTHS
    }
    for person, (title, stage, statuses) in zip(people, PLAN, strict=True):
        fields = practices.PracticeFields(
            title=title,
            category="health" if "Rumah sakit" in title else "service_innovation",
            stage=stage,
            identified="Praktik yang dipaparkan tuan rumah dan diamati langsung saat kunjungan.",
        )
        if stage == "adopted":
            fields.adoption_plan = "Menerapkan apa adanya di unit kami."
        if stage == "adapted":
            fields.changes = "Dimulai di satu unit percontohan."
            fields.reasons = ("budget",)
            fields.target_unit = "Unit layanan percontohan"
            fields.timeline = "Enam bulan percontohan, lalu diperluas."
        practice = practices.create_practice(session, visit, person, fields, logged)
        practices.submit_practice(session, practice, person, logged)
        practice.published = True
        practice.published_copy = practices.publication(practice)
        if stage == "identified":
            continue
        mentor = Mentor(
            participant_id=person.id,
            name=f"Atasan {person.name.split()[0]}",
            position="Kepala Dinas",
            email=f"atasan.{person.email.split('@')[0]}@tolok.example",
            link_nonce=f"{rng.getrandbits(64):016x}",
            invited_by_id=person.id,
        )
        session.add(mentor)
        session.flush()
        session.add(
            ChangeProjectLink(
                practice_id=practice.id,
                title=f"Penerapan {title.lower()} di {AGENCIES[(people.index(person) + 1) % len(AGENCIES)].replace('Pemerintah ', '')}",
                stage=ChangeProjectStage.DONE if "sustained" in statuses else ChangeProjectStage.MEDIUM_TERM,
                mentor_id=mentor.id,
            )
        )
        for months, status in zip(followups.DEFAULT_MONTHS, statuses, strict=True):
            round_ = rounds[months]
            when = datetime.combine(round_.opens_on, time(10), tzinfo=UTC) + timedelta(days=5)
            report = followups.report(
                session,
                round_,
                practice,
                person,
                status=status,
                outcome=OUTCOME if status in ("implemented", "sustained") else "",
                discontinued_reason="Anggaran percontohan tidak berlanjut tahun berikutnya."
                if status == "discontinued"
                else "",
                evidence_links="https://example.go.id/laporan-penerapan" if status != "planned" else "",
                today=round_.opens_on,
                now=when,
            )
            if status in ("implemented", "sustained"):
                mentors.answer(
                    session, mentor, round_, report.id, verdict="confirmed", comment="", now=when + timedelta(days=3)
                )
    cohort.status = CohortStatus.CLOSED
    session.flush()
    return cohort


def current_mentor(session: Session, demo: dict[str, Any]) -> None:
    """The current angkatan's confirmed follow-up (practices_demo) gets a mentor who confirmed it too."""
    followup = session.query(Followup).filter(Followup.confirmed_at.is_not(None)).order_by(Followup.id.desc()).first()
    if followup is None:
        return
    person = followup.practice.participant
    mentor = Mentor(
        participant_id=person.id,
        name="Dr. Sri Wahyuni",
        position="Direktur RSUD",
        email="sri.wahyuni@tolok.example",
        link_nonce="demo-mentor-nonce",
        invited_by_id=person.id,
    )
    session.add(mentor)
    session.flush()
    mentors.answer(
        session,
        mentor,
        followup.round,
        followup.id,
        verdict="confirmed",
        comment="",
        now=followup.reported_at + timedelta(days=2),
    )
