"""Who may see a person's profile and reset their password."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms import db
from lms.cohorts.models import Membership, Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import Rule, Rules
from lms.plugins import hookimpl
from lms.users.models import User

rules = Rules()


@rules.rule("user.view")
def _view_user(user: Any, other: User) -> bool:
    """A person's profile: themselves, admins, and staff of a cohort the person takes part in."""
    if user.is_admin or user.id == other.id:
        return True
    staff_of = cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR)
    if not staff_of:
        return False
    found = db.session.scalar(
        select(Membership.id)
        .where(
            Membership.user_id == other.id,
            Membership.cohort_id.in_(staff_of),
        )
        .limit(1)
    )
    return found is not None


@rules.rule("user.reset_password")
def _reset_password(user: Any, other: User) -> bool:
    """Admins only. A temporary password lets whoever issues it log in as the person, so a
    coordinator must not hold that power over anyone (people reset their own by the e-mailed link)."""
    return bool(user.is_admin) and other.id != user.id


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
