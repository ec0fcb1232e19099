"""Demo practices for the Pontianak visit: every stage, some graded and released, some followed up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lms.core.timezones import to_utc, today_local
from lms.grading.services import GradeInput, release, save_grade
from plugins.benchmarking import followups, grouping, plans, practices, seminar
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.models import FieldVisit, Host

PRACTICES = [
    (
        "Rumah sakit tanpa kelas",
        "health",
        "adapted",
        "RSUD kota memberi **satu standar layanan** untuk semua pasien: tidak ada pembedaan kelas rawat inap. "
        "Berhasil karena komitmen Wali Kota, subsidi silang, dan pengawasan pengaduan yang terbuka.",
    ),
    (
        "Pengaduan terpadu lewat satu aplikasi",
        "digital_service",
        "adopted",
        "Warga melapor lewat satu aplikasi; setiap laporan punya batas waktu tindak lanjut yang dipantau Sekda.",
    ),
    (
        "Mal pelayanan publik",
        "service_innovation",
        "adapted",
        "Layanan perizinan dan kependudukan dalam satu gedung dengan standar waktu yang diumumkan.",
    ),
    (
        "Survei kepuasan bulanan yang dipublikasikan",
        "bureaucracy_reform",
        "identified",
        "Hasil survei kepuasan setiap unit layanan diumumkan tiap bulan di papan informasi dan situs kota.",
    ),
    (
        "Tunjangan kinerja berbasis pengaduan",
        "human_resources",
        "identified",
        "Sebagian tunjangan kinerja unit layanan dikaitkan dengan kecepatan menyelesaikan pengaduan.",
    ),
]


LOKUS = [
    (
        "RSUD Sultan Syarif Mohamad Alkadrie",
        "Jl. Sultan Syarif Abdurrahman, Pontianak",
        "dr. Nur Aini (Kepala Bidang Pelayanan)",
        "0561 000 111",
        "**Rumah sakit tanpa kelas**: satu standar layanan rawat inap untuk semua pasien.",
    ),
    (
        "Mal Pelayanan Publik Kota Pontianak",
        "Jl. Rahadi Usman, Pontianak",
        "Kepala DPMPTSP Kota Pontianak",
        "0561 000 222",
        "Perizinan dan kependudukan dalam satu gedung, dengan standar waktu yang diumumkan.",
    ),
]


def lokus_demo(session: Session, demo: dict[str, Any], visit: FieldVisit, host: Host) -> None:
    """Three lokus of the Pontianak visit (the city hall and two units), six groups formed by rule
    (round-robin: the demo's peserta all share one instansi) and sent to the lokus two by two."""
    first = visit.lokus[0]
    first.name, first.chosen_for = (
        "Balai Kota Pontianak",
        ("Penghargaan Ombudsman RI 2016: kota dengan pelayanan publik terbaik (nilai **98,36**)."),
    )
    for name, address, contact, phone, chosen_for in LOKUS:
        lokus_service.save(
            session,
            visit,
            None,
            lokus_service.LokusFields(
                host_id=host.id,
                name=name,
                visit_date=visit.start_date,
                address=address,
                contact_name=contact,
                contact_phone=phone,
                chosen_for=chosen_for,
            ),
        )
    people = len(demo["participants"])
    proposal = grouping.by_rule(session, visit, "round_robin", min(6, people))
    grouping.apply(session, visit, proposal)


QUESTIONS = (
    "1. Bagaimana inovasi ini dimulai, dan siapa yang memimpinnya?\n"
    "2. Regulasi apa yang mendasarinya?\n"
    "3. Berapa anggarannya, dan dari mana?\n"
    "4. Apa hambatan terbesar dan bagaimana diatasi?"
)


def plans_demo(session: Session, demo: dict[str, Any], visit: FieldVisit) -> None:
    """The pre-visit plan is open; half of the groups have submitted their questions."""
    plans.ensure_plan_assessment(session, visit, demo["coordinator"])
    written = datetime.combine(visit.start_date - timedelta(days=3), datetime.min.time(), tzinfo=UTC)
    for group in visit.groups[: max(1, len(visit.groups) // 2)]:
        if group.leader is None:
            continue
        plans.write(session, group, group.leader, QUESTIONS, 0, written)
        plans.submit(session, group, group.leader, written)


def practices_demo(session: Session, demo: dict[str, Any], visit: FieldVisit) -> None:
    people = demo["participants"]
    instructor = demo["instructors"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    logged = datetime.combine(visit.end_date, datetime.min.time(), tzinfo=UTC) + timedelta(days=2)
    rubric = visit.assessment.rubric if visit.assessment else None
    assert rubric is not None, "ensure_assessments gives the visit its practice assessment and rubric"
    made = []
    for index, person in enumerate(people[:10]):
        title, category, stage, identified = PRACTICES[index % len(PRACTICES)]
        fields = practices.PracticeFields(title=title, category=category, stage=stage, identified=identified)
        if stage == "adopted":
            fields.adoption_plan = "Menerapkan aplikasi pengaduan yang sama di dinas kami mulai triwulan depan."
        if stage == "adapted":
            fields.changes = "Dimulai di satu ruang rawat inap percontohan, karena anggaran daerah terbatas."
            fields.reasons = ("budget", "scale")
            fields.target_unit = "RSUD dr. Doris Sylvanus"
            fields.timeline = "Percontohan 6 bulan, lalu perluasan bertahap."
            fields.resources = "Dukungan direktur RSUD, penataan ulang tarif."
            fields.risks = "Penolakan dari pengelola kelas VIP."
        practice = practices.create_practice(session, visit, person, fields, logged)
        for extra in range(1, visit.min_practices):  # the visit's minimum: the others stay drafts
            other_title, other_category, _stage, other_identified = PRACTICES[(index + extra) % len(PRACTICES)]
            practices.create_practice(
                session,
                visit,
                person,
                practices.PracticeFields(title=other_title, category=other_category, identified=other_identified),
                logged,
            )
        practices.submit_practice(session, practice, person, logged)
        made.append(practice)
    for index, practice in enumerate(made[:6]):
        picks = {c.id: c.levels[(index + i) % len(c.levels)].id for i, c in enumerate(rubric.criteria)}
        grade = save_grade(
            session,
            practice.submission,
            instructor,
            GradeInput(
                levels=picks,
                comments={},
                feedback="Analisis tuan rumah sudah tajam; rencana perlu indikator.",
                finalize=True,
            ),
            None,
            now,
        )
        if index < 4:
            release(session, grade, instructor, now)
    made[0].published = True
    round_ = followups.open_round(
        session,
        visit.cohort,
        "3 bulan setelah kunjungan",
        visit.end_date + timedelta(days=70),
        visit.end_date + timedelta(days=120),
    )
    today = max(date.today(), round_.opens_on)
    statuses = ["implemented", "in_progress", "planned"]
    for index, practice in enumerate(p for p in made if p.stage.value != "identified"):
        if index >= len(statuses):
            break
        followup = followups.report(
            session,
            round_,
            practice,
            practice.participant,
            status=statuses[index],
            outcome="Ruang rawat inap percontohan tanpa kelas sudah berjalan." if index == 0 else "",
            evidence_links="",
            today=today,
            now=now,
        )
        if index == 0:
            followups.confirm(session, followup, instructor, now)


def seminar_demo(session: Session, demo: dict[str, Any], visit: FieldVisit) -> None:
    """The visit's seminar, scheduled for the day after tomorrow at 09:00 WIB: every group, in order,
    before a panel of the demo's widyaiswara and coordinator (nobody has scored yet)."""
    day = today_local() + timedelta(days=2)
    seminar.save_session(
        session,
        None,
        visit,
        title="Seminar laporan kelompok",
        starts_at=to_utc(datetime.combine(day, time(9, 0))),
        place="Aula Lantai 2",
        group_ids=[g.id for g in visit.groups],
        panel_ids=[*(u.id for u in demo["instructors"][:2]), demo["coordinator"].id],
    )
