"""Reads the plugin's services, notifications and views share (no rules, no writes)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lms.cohorts.models import Membership, Role
from lms.users.models import User


def participants_of(session: Session, cohort_id: int) -> list[User]:
    """The cohort's participants with their profiles, by name."""
    return list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        .options(selectinload(User.profile))
        .order_by(func.lower(User.name), User.id)
    ))
