"""Reads the plugin's services, notifications and views share (no rules, no writes)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Executable, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort, Membership, Role
from lms.users.models import User
from plugins.benchmarking.models import (
    FieldVisit,
    Followup,
    FollowupRound,
    GroupMember,
    GroupReport,
    Host,
    Lokus,
    Practice,
    ProgramSettings,
    VisitGroup,
)
from plugins.benchmarking.settings import DEFAULTS


def participants_of(session: Session, cohort_id: int) -> list[User]:
    """The cohort's participants with their profiles, by name."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
            .options(selectinload(User.profile))
            .order_by(func.lower(User.name), User.id)
        )
    )


def practices_shown(session: Session, submission_ids: list[int]) -> dict[int, Practice]:
    """The practice kind's batch loader: each submission's practice, with its evidence and host (one
    query for the whole page, whatever the number of submissions)."""
    return {
        p.submission_id: p
        for p in session.scalars(
            select(Practice)
            .where(Practice.submission_id.in_(submission_ids))
            .options(selectinload(Practice.attachments), joinedload(Practice.visit).joinedload(FieldVisit.host))
        )
    }


def practice_titles(session: Session, submission_ids: list[int]) -> dict[int, str]:
    """The practice kind's names: each submission's practice title (a query per 500 ids, so an
    export of a whole angkatan stays within every database's limit of bound parameters)."""
    ids = sorted(set(submission_ids))
    named: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        named.update(
            session.execute(
                select(Practice.submission_id, Practice.title).where(
                    Practice.submission_id.in_(ids[start : start + 500])
                )
            ).all()
        )
    return named


def reports_shown(session: Session, submission_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The group report kind's batch loader: each report with the practices it refers to (two queries)."""
    rows = session.scalars(
        select(GroupReport)
        .where(GroupReport.submission_id.in_(submission_ids))
        .options(selectinload(GroupReport.practices))
    ).all()
    return {row.submission_id: {"report": row, "practices": row.practices} for row in rows}


def group_of(session: Session, report_assessment_id: int, user_id: int) -> VisitGroup | None:
    """The group ``user_id`` belongs to on the visit whose group report is ``report_assessment_id``."""
    return session.scalar(
        select(VisitGroup)
        .join(FieldVisit, FieldVisit.id == VisitGroup.visit_id)
        .where(FieldVisit.report_assessment_id == report_assessment_id, VisitGroup.members.any(user_id=user_id))
    )


def visits_to_host(session: Session, host_id: int) -> list[FieldVisit]:
    """The visits to a host with their cohorts, latest first."""
    return list(
        session.scalars(
            select(FieldVisit)
            .where(FieldVisit.host_id == host_id)
            .order_by(FieldVisit.start_date.desc())
            .options(selectinload(FieldVisit.cohort))
        )
    )


def hosts(session: Session, *, with_archived: bool) -> list[Host]:
    """The catalogue's hosts by name (the archived ones too, or not)."""
    stmt = select(Host).order_by(Host.name)
    if not with_archived:
        stmt = stmt.where(Host.archived.is_(False))
    return list(session.scalars(stmt))


def group_in_visit(session: Session, visit_id: int, user_id: int) -> VisitGroup | None:
    """The group ``user_id`` belongs to on the visit."""
    return session.scalar(
        select(VisitGroup)
        .join(VisitGroup.members)
        .where(VisitGroup.visit_id == visit_id, VisitGroup.members.any(user_id=user_id))
    )


def practices_of_people(session: Session, visit_id: int, user_ids: list[int]) -> list[Practice]:
    """The visit's practices of these people, by person then as written."""
    return list(
        session.scalars(
            select(Practice)
            .where(Practice.visit_id == visit_id, Practice.participant_id.in_(user_ids))
            .order_by(Practice.participant_id, Practice.id)
        )
    )


def followups_in_round(session: Session, round_id: int, practice_ids: list[int]) -> dict[int, Followup]:
    """The round's follow-up reports on these practices, by practice id."""
    return {
        f.practice_id: f
        for f in session.scalars(
            select(Followup).where(Followup.round_id == round_id, Followup.practice_id.in_(practice_ids))
        )
    }


def rounds_of_cohorts(session: Session, cohort_ids: list[int]) -> list[FollowupRound]:
    """The follow-up rounds of these cohorts, latest first."""
    return list(
        session.scalars(
            select(FollowupRound).where(FollowupRound.cohort_id.in_(cohort_ids)).order_by(FollowupRound.opens_on.desc())
        )
    )


def handed_in_practices(session: Session, visit_id: int) -> list[tuple[Practice, Submission]]:
    """The visit's practices handed in (drafts are their author's until then), with their submissions."""
    return [
        (p, s)
        for p, s in session.execute(
            select(Practice, Submission)
            .join(Submission, Submission.id == Practice.submission_id)
            .where(Practice.visit_id == visit_id, Submission.state != SubmissionState.DRAFT)
            .order_by(Practice.participant_id, Practice.id)
        )
    ]


def people_by_id(session: Session, user_ids: set[int]) -> dict[int, User]:
    """These people with their profiles, by id."""
    return {
        u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)).options(selectinload(User.profile)))
    }


def names_of(session: Session, user_ids: list[int]) -> list[tuple[int, str]]:
    """Each user's id and name (one query)."""
    return [(uid, name) for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))]


def plan_group_of(session: Session, plan_assessment_id: int, user_id: int) -> VisitGroup | None:
    """The group ``user_id`` belongs to on the visit whose pre-visit plan is ``plan_assessment_id``."""
    return session.scalar(
        select(VisitGroup)
        .join(FieldVisit, FieldVisit.id == VisitGroup.visit_id)
        .where(FieldVisit.plan_assessment_id == plan_assessment_id, VisitGroup.members.any(user_id=user_id))
    )


# Group members' names come back as one string, joined with a separator no name contains.
_NAME_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class VisitCard:
    """What the dashboard shows of a participant's visit: the visit, its host, and their group."""

    visit_id: int
    upcoming: bool
    activity_name: str
    host_name: str
    theme: str
    location: str
    start_date: date
    end_date: date
    group_name: str | None
    leader_name: str | None
    lokus_name: str | None
    lokus_date: date | None
    member_names: list[str]


@functools.cache
def _visit_card_statement() -> Executable:
    """Built once: constructing a statement of this size costs more than running it. Its rows are
    plain values, read on the session's connection (the ORM's per-statement work is a third of the cost)."""
    user_id: BindParameter[Any] = bindparam("user_id")
    upcoming = FieldVisit.end_date >= bindparam("today")
    leader = aliased(User)
    members = (
        select(func.aggregate_strings(User.name, _NAME_SEPARATOR))
        .select_from(GroupMember)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id == VisitGroup.id)
        .scalar_subquery()
    )
    return (
        select(
            FieldVisit.id,
            upcoming.label("upcoming"),
            func.coalesce(ProgramSettings.activity_name, DEFAULTS.activity_name).label("activity_name"),
            Host.name.label("host_name"),
            FieldVisit.theme,
            FieldVisit.location,
            FieldVisit.start_date,
            FieldVisit.end_date,
            VisitGroup.name.label("group_name"),
            leader.name.label("leader_name"),
            Lokus.name.label("lokus_name"),
            Lokus.visit_date.label("lokus_date"),
            members.label("members"),
        )
        .join(
            Membership,
            (Membership.cohort_id == FieldVisit.cohort_id)
            & (Membership.user_id == user_id)
            & (Membership.role == Role.PARTICIPANT),
        )
        .join(Host, Host.id == FieldVisit.host_id)
        .join(Cohort, Cohort.id == FieldVisit.cohort_id)
        .outerjoin(ProgramSettings, ProgramSettings.program_id == Cohort.program_id)
        .outerjoin(GroupMember, (GroupMember.visit_id == FieldVisit.id) & (GroupMember.user_id == user_id))
        .outerjoin(VisitGroup, VisitGroup.id == GroupMember.group_id)
        .outerjoin(leader, leader.id == VisitGroup.leader_id)
        .outerjoin(Lokus, Lokus.id == VisitGroup.lokus_id)
        # The upcoming visits first, soonest first; else the latest.
        .order_by(
            case((upcoming, 0), else_=1),
            case((upcoming, FieldVisit.start_date)),
            FieldVisit.start_date.desc(),
            case((upcoming, FieldVisit.id), else_=-FieldVisit.id),
        )
        .limit(1)
    )


def visit_card(session: Session, user_id: int, today: date) -> VisitCard | None:
    """The participant's next visit (the soonest that has not ended), else their latest, with their
    group, its leader, lokus and members' names (one query, whatever the number of visits or groups)."""
    row = session.connection().execute(_visit_card_statement(), {"user_id": user_id, "today": today}).one_or_none()
    if row is None:
        return None
    names = row.members.split(_NAME_SEPARATOR) if row.members else []
    return VisitCard(
        visit_id=row.id,
        upcoming=bool(row.upcoming),
        activity_name=row.activity_name,
        host_name=row.host_name,
        theme=row.theme,
        location=row.location,
        start_date=row.start_date,
        end_date=row.end_date,
        group_name=row.group_name,
        leader_name=row.leader_name,
        lokus_name=row.lokus_name,
        lokus_date=row.lokus_date,
        member_names=sorted(names, key=str.lower),
    )
