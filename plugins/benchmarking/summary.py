"""The host summary: after the visit, what the cohort found at the host and recommends to it, as a
PDF the penyelenggara downloads, or sends to the host's contact (the same summary in the e-mail).

It names no peserta: the host reads findings and recommendations, not who wrote them. Only work
handed in counts (drafts are their authors' own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from lms.assessments.models import Submission, SubmissionState
from lms.core.errors import DomainError
from lms.core.pdf import renderer
from lms.mail.services import queue_mail
from lms.results.exports.as_pdf import Formats
from lms.users.models import User
from plugins.benchmarking import practices, reports, settings
from plugins.benchmarking.models import FieldVisit, GroupMember, GroupReport, Lokus, Practice, Stage, VisitGroup

PDF_CSS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates", "benchmarking", "host_summary.css")
MAIL_PURPOSE = "benchmarking.host_summary"


@dataclass
class HostSummary:
    visit: FieldVisit
    counts: dict[str, int]
    lokus: Lokus | None = None  # one lokus's summary (its groups' work), or the whole visit's
    recommendations: list[str] = field(default_factory=list)  # from practices and group reports, each once
    success_factors: list[tuple[str, str]] = field(default_factory=list)  # (practice title, factors)
    taken: list[tuple[str, str]] = field(default_factory=list)  # (practice title, stage label)
    not_taken: list[tuple[str, str]] = field(default_factory=list)  # (practice title, why not)
    groups: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (group name, sections)


def lokus_of(session: Session, visit: FieldVisit, lokus_id: int | None) -> Lokus | None:
    """The visit's lokus ``lokus_id`` (None for the whole visit); another visit's is a 404."""
    if lokus_id is None:
        return None
    lokus = session.get(Lokus, lokus_id)
    if lokus is None or lokus.visit_id != visit.id:
        raise DomainError(_l("Unknown lokus."), status=404)
    return lokus


def gather(session: Session, visit: FieldVisit, lokus: Lokus | None = None) -> HostSummary:
    """The visit's handed-in practices and group reports, summarised for the host (two queries and
    a count): of the whole visit, or of one lokus (the work of the groups that went there)."""
    handed_in = select(Practice.id).join(Submission, Submission.id == Practice.submission_id)
    practice_filter = [Practice.visit_id == visit.id, Submission.state != SubmissionState.DRAFT]
    group_filter = [VisitGroup.visit_id == visit.id]
    if lokus is not None:
        members = (
            select(GroupMember.user_id)
            .join(VisitGroup, VisitGroup.id == GroupMember.group_id)
            .where(VisitGroup.lokus_id == lokus.id)
        )
        practice_filter.append(Practice.participant_id.in_(members))
        group_filter.append(VisitGroup.lokus_id == lokus.id)
    counts = dict(
        session.execute(
            select(Practice.stage, func.count())
            .where(Practice.id.in_(handed_in.where(*practice_filter)))
            .group_by(Practice.stage)
        ).all()
    )
    data = HostSummary(
        visit=visit,
        lokus=lokus,
        counts={
            "identified": sum(counts.values()),  # every practice handed in was identified first (as the funnel)
            "adopted": counts.get(Stage.ADOPTED, 0),
            "adapted": counts.get(Stage.ADAPTED, 0),
        },
    )
    seen: set[str] = set()

    def recommend(text: str) -> None:
        for line in text.splitlines():
            item = line.strip().lstrip("-*•").strip()
            if item and item.lower() not in seen:
                seen.add(item.lower())
                data.recommendations.append(item)

    rows = session.scalars(
        select(Practice)
        .join(Submission, Submission.id == Practice.submission_id)
        .where(*practice_filter)
        .order_by(Practice.id)
    )
    for practice in rows:
        if practice.success_factors.strip():
            data.success_factors.append((practice.title, practice.success_factors.strip()))
        if practice.stage == Stage.IDENTIFIED:
            if practice.not_adopted_reason.strip():
                data.not_taken.append((practice.title, practice.not_adopted_reason.strip()))
        else:
            data.taken.append((practice.title, str(practices.STAGE_LABELS[practice.stage])))
        recommend(practice.host_recommendations)
    for name, report in session.execute(
        select(VisitGroup.name, GroupReport)
        .join(GroupReport, GroupReport.group_id == VisitGroup.id)
        .join(Submission, Submission.id == GroupReport.submission_id)
        .where(*group_filter, Submission.state != SubmissionState.DRAFT)
        .order_by(VisitGroup.position, VisitGroup.id)
    ):
        sections = {n: getattr(report, n) for n in reports.SECTIONS if getattr(report, n).strip()}
        if sections:
            data.groups.append((name, sections))
        recommend(report.recommendations)
    return data


def _activity(visit: FieldVisit) -> str:
    session = object_session(visit)
    return settings.activity_name(session, visit) if session is not None else settings.DEFAULTS.activity_name


def _context(data: HostSummary) -> dict[str, Any]:
    host = data.lokus.host if data.lokus is not None else data.visit.host
    place = f"{data.lokus.name} ({host.name})" if data.lokus is not None else host.name
    return {
        "data": data,
        "visit": data.visit,
        "host": host,
        "place": place,
        "activity": _activity(data.visit),
        "labels": reports.SECTION_LABELS,
        "fmt": Formats(None),
    }


def render_pdf(data: HostSummary, app: Flask | None = None) -> bytes:
    """The summary as an A4 PDF, in the site's default language (the host has no account)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with force_locale(app.config["DEFAULT_LOCALE"]):
        html = render_template("benchmarking/host_summary_pdf.html", **_context(data))
    return renderer(app).render(html, stylesheets=[PDF_CSS])


def send(session: Session, visit: FieldVisit, actor: User, lokus: Lokus | None = None) -> str:
    """Queue the summary (of the visit, or of one lokus) to its host's contact e-mail (the outbox);
    returns the address. Refused when the host has no contact e-mail or nothing was handed in yet.
    """
    host = lokus.host if lokus is not None else visit.host
    to = host.contact_email.strip()
    if not to:
        raise DomainError(_l("The host has no contact e-mail: add one on the host's page first."))
    data = gather(session, visit, lokus)
    if not (data.recommendations or data.success_factors or data.groups or data.taken):
        raise DomainError(_l("Nothing has been handed in yet: there is nothing to summarise."))
    locale = current_app.config["DEFAULT_LOCALE"]
    queue_mail(
        session,
        to=to,
        template="benchmarking_host_summary",
        locale=locale,
        purpose=MAIL_PURPOSE,
        subject=_l(
            "Findings and recommendations of %(cohort)s's %(activity)s",
            cohort=visit.cohort.title,
            activity=settings.activity_name(session, visit),
        ),
        context={**_context(data), "program": visit.cohort.program.name, "contact": host.contact_name},
    )
    return to
