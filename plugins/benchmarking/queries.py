"""Reads the plugin's services, notifications and views share (no rules, no writes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Membership, Role
from lms.users.models import User
from plugins.benchmarking.models import (
    FieldVisit,
    Followup,
    FollowupRound,
    GroupReport,
    Host,
    Practice,
    VisitGroup,
)


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
