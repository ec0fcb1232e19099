"""Who may see and run programs and cohorts, and the membership lookups every rule answers with."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from lms import db
from lms.cohorts.models import Cohort, CohortStatus, Membership, Role
from lms.core.access import Rule, Rules
from lms.plugins import hookimpl

rules = Rules()


def cohort_roles(user: Any) -> dict[int, set[Role]]:
    """Every cohort the user belongs to with their roles there (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cache: dict[int, dict[int, set[Role]]] = g.setdefault("_lms_roles", {})
    if user.id not in cache:
        roles: dict[int, set[Role]] = {}
        rows = db.session.execute(select(Membership.cohort_id, Membership.role).where(Membership.user_id == user.id))
        for cohort_id, role in rows:
            roles.setdefault(cohort_id, set()).add(Role(role))
        cache[user.id] = roles
    return cache[user.id]


def remember_roles(user: Any, roles: dict[int, set[Role]]) -> None:
    """Fill the per-request cache from a page's own read of the user's memberships (the dashboard
    reads them with their cohorts), so that the rules and the menu ask no second query."""
    g.setdefault("_lms_roles", {})[user.id] = roles


def forget_roles() -> None:
    """Drop the per-request cache after memberships change within the request."""
    g.pop("_lms_roles", None)


def roles_in(user: Any, cohort: Cohort | int) -> set[Role]:
    cohort_id = cohort if isinstance(cohort, int) else cohort.id
    return cohort_roles(user).get(cohort_id, set())


def cohort_ids_with(user: Any, *roles: Role) -> set[int]:
    return {cid for cid, have in cohort_roles(user).items() if have & set(roles)}


@rules.rule("programs.manage")
def _manage_programs(user: Any, obj: Any) -> bool:
    """Admins and program managers (penyelenggara) create programs, and cohorts of any program (a
    program is a curriculum that several institutions run angkatan of); editing one is ``program.edit``."""
    return bool(user.is_admin or user.is_manager)


def may_edit_program(user: Any, program: Any, cohort_ids: set[int]) -> bool:
    """Whether ``user`` may change ``program``, given the ids of every cohort of it.

    Admins edit every program. A penyelenggara (program manager) edits a program only when every
    cohort of it is one they coordinate, or, before any cohort uses it, when they created it: its
    predicate bands decide the results of all its cohorts, so an edit must never reach a cohort
    someone else runs (opening a cohort of a program gives no right to edit it). A program shared by
    several coordinators' cohorts is edited by an admin.
    """
    if user.is_admin:
        return True
    if not user.is_manager:
        return False
    if not cohort_ids:
        return program.created_by_id is not None and program.created_by_id == user.id
    return cohort_ids <= cohort_ids_with(user, Role.COORDINATOR)


@rules.rule("program.edit")
def _edit_program(user: Any, program: Any) -> bool:
    cohort_ids = set(db.session.scalars(select(Cohort.id).where(Cohort.program_id == program.id)))
    return may_edit_program(user, program, cohort_ids)


@rules.rule("programs.view")
def _view_programs(user: Any, obj: Any) -> bool:
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.COORDINATOR, Role.INSTRUCTOR))


@rules.rule("cohort.view")
def _view_cohort(user: Any, cohort: Cohort) -> bool:
    return bool(user.is_admin or roles_in(user, cohort))


@rules.rule("cohort.teach")
def _teach_cohort(user: Any, cohort: Cohort) -> bool:
    """Instructors and coordinators see the cohort's people and their work."""
    return bool(user.is_admin or roles_in(user, cohort) & {Role.INSTRUCTOR, Role.COORDINATOR})


@rules.rule("cohort.manage")
def _manage_cohort(user: Any, cohort: Cohort) -> bool:
    """Coordinators run the cohort: its status, staff and roster (also while closed, to reopen)."""
    return bool(user.is_admin or Role.COORDINATOR in roles_in(user, cohort))


@rules.rule("cohort.edit")
def _edit_cohort(user: Any, cohort: Cohort) -> bool:
    """Changing a cohort or its people: a closed cohort is read-only for everyone."""
    return cohort.status != CohortStatus.CLOSED and _manage_cohort(user, cohort)


@rules.rule("participant.any")
def _participant_any(user: Any, obj: Any) -> bool:
    """Someone who takes part in at least one cohort."""
    return bool(cohort_ids_with(user, Role.PARTICIPANT))


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
