"""Who may see and keep attendance: the cohort's staff; the timetable is the coordinators'."""

from __future__ import annotations

from typing import Any

from lms.cohorts.models import Role
from lms.cohorts.rules import roles_in
from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("attendance.view")
def _view_attendance(user: Any, cohort: Any) -> bool:
    """The timetable, the totals and the teaching hours: the cohort's widyaiswara and coordinators."""
    return can(user, "cohort.teach", cohort)


@rules.rule("attendance.plan")
def _plan_sessions(user: Any, cohort: Any) -> bool:
    """Adding sessions to an open cohort: its coordinators."""
    return can(user, "cohort.edit", cohort)


@rules.rule("attendance.session.edit")
def _edit_session(user: Any, class_session: Any) -> bool:
    return can(user, "cohort.edit", class_session.cohort)


@rules.rule("attendance.session.record")
def _record_session(user: Any, class_session: Any) -> bool:
    """Taking attendance: the cohort's widyaiswara and coordinators, while the cohort is open."""
    return not class_session.cohort.is_closed and can(user, "cohort.teach", class_session.cohort)


@rules.rule("attendance.own")
def _own_attendance(user: Any, cohort: Any) -> bool:
    """A peserta's own attendance in a cohort they take part in."""
    return Role.PARTICIPANT in roles_in(user, cohort)


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
