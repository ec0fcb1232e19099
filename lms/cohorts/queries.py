"""Reads of programs, cohorts and memberships that pages share (no rules, no writes)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Executable, Row, bindparam, select
from sqlalchemy.orm import Session, selectinload

from lms.cohorts.models import Cohort, CohortStatus, Membership, Program, Role

NEWEST_FIRST = (Cohort.year.desc(), Cohort.name)


def cohorts_by_id(session: Session, cohort_ids: Iterable[int]) -> list[Cohort]:
    """These cohorts, newest first."""
    ids = list(cohort_ids)
    if not ids:
        return []
    return list(session.scalars(select(Cohort).where(Cohort.id.in_(ids)).order_by(*NEWEST_FIRST)))


def cohorts_of_programs(session: Session, program_ids: Iterable[int]) -> list[Cohort]:
    """Every cohort of these programs, newest first."""
    return list(session.scalars(select(Cohort).where(Cohort.program_id.in_(list(program_ids))).order_by(*NEWEST_FIRST)))


def all_cohort_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Cohort.id)))


def visible_cohorts(session: Session, user: Any, member_of: Iterable[int]) -> list[Cohort]:
    """Every cohort for an admin, else the cohorts in ``member_of``; newest first, then by id."""
    stmt = select(Cohort).order_by(*NEWEST_FIRST, Cohort.id)
    if not user.is_admin:
        stmt = stmt.where(Cohort.id.in_(list(member_of)))
    return list(session.scalars(stmt))


def open_cohorts_coordinated_by(session: Session, user: Any) -> list[Cohort]:
    """Cohorts not closed that ``user`` coordinates (every one for an admin), newest first."""
    stmt = select(Cohort).where(Cohort.status != CohortStatus.CLOSED).order_by(*NEWEST_FIRST)
    if not user.is_admin:
        stmt = stmt.where(
            Cohort.id.in_(
                select(Membership.cohort_id).where(Membership.user_id == user.id, Membership.role == Role.COORDINATOR)
            )
        )
    return list(session.scalars(stmt))


def memberships_of(session: Session, user_id: int) -> list[Membership]:
    """A person's memberships with their cohorts."""
    return list(
        session.scalars(
            select(Membership).where(Membership.user_id == user_id).options(selectinload(Membership.cohort))
        )
    )


@functools.cache
def _cards_statement() -> Executable:
    """Built once (constructing it costs more than running it); read on the session's connection:
    plain values, none of the ORM's per-statement work."""
    return (
        select(
            Cohort.id,
            Cohort.name,
            Cohort.year,
            Cohort.start_date,
            Cohort.end_date,
            Cohort.location,
            Cohort.status,
            Program.code.label("program_code"),
            Membership.role,
        )
        .join(Membership, Membership.cohort_id == Cohort.id)
        .join(Program, Program.id == Cohort.program_id)
        .where(Membership.user_id == bindparam("user_id"))
        .order_by(*NEWEST_FIRST, Cohort.id)
    )


def cohort_cards_of(session: Session, user_id: int) -> list[Row[Any]]:
    """Each of a person's memberships with what the dashboard shows of its cohort, newest cohort
    first (one query of plain rows: ``id``, ``name``, ``year``, ``start_date``, ``end_date``,
    ``location``, ``status``, ``program_code``, ``role``)."""
    return list(session.connection().execute(_cards_statement(), {"user_id": user_id}))
