"""Hook implementations of the benchmarking plugin (see lms/plugins/hookspecs.py)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms import db
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with
from lms.core import access
from lms.core.access import Rule
from lms.core.timezones import today_local
from lms.plugins import hookimpl
from lms.plugins.types import (
    CohortTab,
    DashboardWidget,
    NavItem,
    NotificationKind,
    ParticipantAction,
    Reminder,
    ResultColumn,
    ResultFilter,
    ResultTotal,
    SubmissionKind,
)
from lms.users.models import User
from plugins.benchmarking import (  # noqa: F401  (tables on the metadata; visit_views adds its routes to bp; tasks registers the mentor reminders)
    api,
    individual,
    models,
    plans,
    practices,
    queries,
    results,
    rules,
    services,
    tasks,
    visit_views,
    visits_api,
)
from plugins.benchmarking.demo import lokus_demo, plans_demo, practices_demo, seminar_demo
from plugins.benchmarking.implementation_demo import current_mentor, earlier_angkatan
from plugins.benchmarking.notifications import KINDS, reminders
from plugins.benchmarking.practice_views import bp as practices_bp
from plugins.benchmarking.results import RESULT_INPUTS, SOURCES, columns, practices_sheet
from plugins.benchmarking.views import bp

HERE = os.path.dirname(os.path.abspath(__file__))


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules.rules)


@hookimpl
def lms_blueprints() -> list[Blueprint]:
    return [bp, practices_bp, api.bp, visits_api.bp]


@hookimpl
def lms_api_paths() -> list[Any]:
    return [api.PATHS, visits_api.PATHS]


@hookimpl
def lms_submission_kinds() -> list[SubmissionKind]:
    return [
        SubmissionKind(
            key=practices.PRACTICE_KIND,
            label=_l("Benchmarking practices"),
            write_endpoint="benchmarking_practices.write_practice",
            template="benchmarking/_practice.html",
            load=queries.practices_shown,
            titles=queries.practice_titles,
            graded_elsewhere=individual.practices_graded_in_reports,
        ),
        SubmissionKind(
            key=plans.PLAN_KIND,
            label=_l("Pre-visit plan (group)"),
            write_endpoint="benchmarking.write_plan",
            template="benchmarking/_plan.html",
            load=plans.plans_shown,
        ),
        SubmissionKind(
            key=practices.REPORT_KIND,
            label=_l("Benchmarking group report"),
            write_endpoint="benchmarking_practices.write_report",
            template="benchmarking/_report.html",
            load=queries.reports_shown,
        ),
        SubmissionKind(
            key=individual.INDIVIDUAL_KIND,
            label=_l("Individual field-visit report"),
            write_endpoint="benchmarking_practices.write_individual",
            template="benchmarking/_individual_report.html",
            load=individual.reports_shown,
        ),
    ]


@hookimpl
def lms_notification_kinds() -> list[NotificationKind]:
    return KINDS


@hookimpl
def lms_reminders(session: Session, now: Any) -> list[Reminder]:
    return reminders(session, now)


@hookimpl
def lms_result_sheets(cohort: Cohort, participants: Any) -> list[Any]:
    sheet = practices_sheet(db.session, cohort.id, participants)
    return [sheet] if sheet else []


@hookimpl
def lms_result_inputs() -> list[Any]:
    return RESULT_INPUTS


@hookimpl
def lms_result_sources() -> list[Any]:
    return SOURCES


@hookimpl
def lms_result_columns(cohort: Cohort, participant_ids: list[int]) -> list[ResultColumn]:
    return columns(db.session, cohort.id, participant_ids)


@hookimpl
def lms_result_totals(cohort: Cohort) -> list[ResultTotal]:
    return results.totals(db.session, cohort.id)


@hookimpl
def lms_result_filters(cohort: Cohort) -> list[ResultFilter]:
    return results.group_filter(db.session, cohort.id)


@hookimpl
def lms_participant_actions(cohort: Cohort) -> list[ParticipantAction]:
    groups = results.group_filter(db.session, cohort.id)
    if not groups:
        return []
    return [
        ParticipantAction(
            key="benchmarking.move_to_group",
            label=_l("Move to a visit group"),
            target_label=_l("Group"),
            targets=groups[0].choices,
            apply=lambda session, cohort, ids, target, _actor: services.move_to_group(
                session, cohort, ids, int(target)
            ),
            done=lambda count: ngettext(
                "%(num)s participant is moved to the group.", "%(num)s participants are moved to the group.", count
            ),
            order=60,
        )
    ]


@hookimpl
def lms_migration_dirs() -> list[str]:
    return [os.path.join(HERE, "migrations", "versions")]


# The same for everyone (each entry's rule decides who sees it), so built once.
NAV_ITEMS = (
    NavItem(label=_l("My field visits"), endpoint="benchmarking.my_visits", order=20, rule="benchmarking.participant"),
    NavItem(label=_l("Host organisations"), endpoint="benchmarking.hosts", order=30, rule="benchmarking.hosts.view"),
    NavItem(label=_l("Practice catalogue"), endpoint="benchmarking_practices.catalogue", order=31),
    NavItem(label=_l("Follow-up"), endpoint="benchmarking_practices.my_rounds", order=32, rule="participant.any"),
    NavItem(
        label=_l("Seminar panels"), endpoint="benchmarking_practices.my_panels", order=33, rule="benchmarking.panel"
    ),
)


@hookimpl
def lms_nav_items(user: User) -> list[NavItem]:
    return list(NAV_ITEMS)


@hookimpl
def lms_dashboard_widgets(user: User) -> list[DashboardWidget]:
    if not cohort_ids_with(user, Role.PARTICIPANT):
        return []
    card = queries.visit_card(db.session, user.id, today_local())
    if card is None:
        return []
    return [
        DashboardWidget(
            title=_l("Next field visit") if card.upcoming else _l("Your latest field visit"),
            template="benchmarking/widget_next_visit.html",
            context={"card": card},
            order=10,
        )
    ]


@hookimpl
def lms_cohort_tabs(cohort: Cohort, user: User) -> list[CohortTab]:
    if not access.can(user, "cohort.teach", cohort):
        return []
    count = db.session.scalar(
        select(func.count()).select_from(models.FieldVisit).where(models.FieldVisit.cohort_id == cohort.id)
    )
    tabs = [
        CohortTab(key="visits", label=_l("Field visits"), endpoint="benchmarking.cohort_visits", order=20, count=count)
    ]
    if access.can(user, "cohort.manage", cohort):
        tabs.append(
            CohortTab(key="followups", label=_l("Follow-up"), endpoint="benchmarking_practices.rounds", order=21)
        )
    return tabs


PONTIANAK_RECOGNITION = """\
**Kota dengan pelayanan publik terbaik di Indonesia** — penghargaan Ombudsman Republik Indonesia,
Desember 2016, dengan nilai kepatuhan tertinggi: **98,36**.

Inovasi yang paling menarik perhatian: **rumah sakit tanpa kelas** — satu standar layanan untuk
semua pasien, tanpa pembedaan kelas perawatan.
"""


@hookimpl
def lms_demo_data(session: Session, demo: dict[str, Any]) -> None:
    """The Pontianak City host and the demo cohort's scheduled visit, split into four groups."""
    host = services.save_host(
        session,
        None,
        name="Pemerintah Kota Pontianak",
        kind=models.HostKind.CITY.value,
        region="Kalimantan Barat",
        address="Jl. Rahadi Usman No. 3, Pontianak",
        website="https://pontianak.go.id",
        recognition=PONTIANAK_RECOGNITION,
        contact_name="Bagian Organisasi Setda Kota Pontianak",
    )
    cohort = demo["cohort"]
    visit_day = today_local() - timedelta(days=5)
    visit = services.save_visit(
        session,
        None,
        cohort=cohort,
        host=host,
        theme="Inovasi pelayanan publik",
        # Last week, relative to today: the practice log is open and due in about a week.
        start_date=visit_day,
        end_date=visit_day,
        location="Balai Kota Pontianak",
        briefing=(
            "Kunjungan ke Balai Kota Pontianak, peraih penghargaan Ombudsman RI sebagai kota dengan "
            "pelayanan publik terbaik. Wali Kota memaparkan inovasi pelayanan kota.\n\n"
            "Tujuan: **mempelajari, mengidentifikasi, mengadopsi dan mengadaptasi** keunggulan tuan rumah "
            "untuk diterapkan di instansi masing-masing."
        ),
        guiding_questions=(
            "Inovasi apa yang membuat pelayanan Pontianak unggul?\n"
            "Mengapa inovasi itu berhasil: kepemimpinan, regulasi, anggaran, budaya?\n"
            "Apa yang dapat diadopsi apa adanya di instansi Anda, dan apa yang perlu diadaptasi?"
        ),
    )
    lokus_demo(session, demo, visit, host)
    practices.ensure_assessments(session, visit, demo["coordinator"])

    practices_demo(session, demo, visit)
    current_mentor(session, demo)
    demo["benchmarking_earlier_cohort"] = earlier_angkatan(session, demo, host)
    plans_demo(session, demo, visit)
    seminar_demo(session, demo, visit)
    demo["benchmarking_visit"] = visit
    demo["benchmarking_host"] = host
