"""The Studi Lapangan world of issue 16's end-to-end test, reusable by its other parts.

:func:`build_stula_world` makes a PKA cohort of 40 peserta (one provincial instansi, five positions,
six themes the peserta chose themselves), a visit to Pontianak with three lokus, six groups formed
by rule (by theme) and sent to the lokus two by two, and, with ``plans=True``, the pre-visit plan
(graded) submitted by each group's leader. It commits, so tests may use the test client afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lms.cohorts.models import Cohort
from plugins.benchmarking import grouping, plans, practices, services
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.models import FieldVisit, Host, Lokus, VisitGroup

PESERTA = 40
THEMES = (
    "Pelayanan kesehatan",
    "Perizinan terpadu",
    "Pengaduan masyarakat",
    "Kependudukan",
    "Keuangan daerah",
    "Kepegawaian",
)
JABATAN = ("Kepala Bidang", "Kepala Bagian", "Camat", "Sekretaris Dinas", "Kepala UPT")
LOKUS = (
    ("Balai Kota Pontianak", "Penghargaan Ombudsman RI 2016, nilai 98,36"),
    ("RSUD Sultan Syarif Mohamad Alkadrie", "Rumah sakit tanpa kelas"),
    ("Mal Pelayanan Publik Kota Pontianak", "Perizinan satu pintu"),
)
PLAN = "1. Bagaimana inovasi dimulai?\n2. Apa regulasinya?\n3. Berapa anggarannya?"


@dataclass
class StulaWorld:
    cohort: Cohort
    host: Host
    visit: FieldVisit
    lokus: list[Lokus]
    groups: list[VisitGroup]
    peserta: list[Any]
    coordinator: Any
    instructor: Any
    start: date
    extra: dict[str, Any] = field(default_factory=dict)

    def member_ids(self, group: VisitGroup) -> list[int]:
        return [m.user_id for m in group.members]


def build_stula_world(
    session: Any, make_cohort: Any, *, plans_submitted: bool = True, start: date | None = None
) -> StulaWorld:
    """Build the world (call inside a request context: services translate their group names)."""
    cohort = make_cohort(participants=PESERTA, instructors=1, name="Angkatan Stula")
    peserta = list(cohort.people["participants"])
    coordinator, instructor = cohort.people["coordinator"], cohort.people["instructors"][0]
    for index, person in enumerate(peserta):
        person.profile.jabatan = JABATAN[index % len(JABATAN)]
    host = services.save_host(session, None, name="Pemerintah Kota Pontianak", recognition="Ombudsman RI 2016")
    start = start or date.today() + timedelta(days=10)
    visit = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme="Inovasi pelayanan publik",
        start_date=start,
        end_date=start + timedelta(days=1),
        min_practices=3,
        plan_graded=True,
    )
    first = visit.lokus[0]
    first.name, first.chosen_for = LOKUS[0]
    for name, chosen_for in LOKUS[1:]:
        lokus_service.save(
            session,
            visit,
            None,
            lokus_service.LokusFields(host_id=host.id, name=name, visit_date=start, chosen_for=chosen_for),
        )
    for index, person in enumerate(peserta):
        grouping.set_theme(session, visit, person, THEMES[index % len(THEMES)])
    proposal = grouping.by_rule(session, visit, "theme", len(THEMES))
    grouping.apply(session, visit, proposal, proposal.fingerprint)
    practices.ensure_assessments(session, visit, coordinator)
    plans.ensure_plan_assessment(session, visit, coordinator)
    session.commit()
    session.expire(visit)
    groups = list(visit.groups)
    if plans_submitted:
        written = datetime.combine(start - timedelta(days=2), time(3), tzinfo=UTC)
        for group in groups:
            leader = group.leader
            assert leader is not None, "a rule makes each group's first member its leader"
            plans.write(session, group, leader, PLAN + f"\n4. ({group.name})", 0, written)
            plans.submit(session, group, leader, written)
        session.commit()
    return StulaWorld(
        cohort=cohort,
        host=host,
        visit=visit,
        lokus=list(visit.lokus),
        groups=groups,
        peserta=peserta,
        coordinator=coordinator,
        instructor=instructor,
        start=start,
    )
