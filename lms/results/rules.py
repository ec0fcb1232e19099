"""Who may see a cohort's results (a participant their own), and who may change its final result:
its definition, the work tagged to it, and the penyelenggara's disciplinary decisions."""

from __future__ import annotations

from typing import Any

from lms import db
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import roles_in
from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("results.view")
def _view_results(user: Any, cohort: Cohort) -> bool:
    """The cohort's result table, its charts and exports: its instructors and coordinators, admins."""
    return can(user, "cohort.teach", cohort)


@rules.rule("results.own")
def _own_results(user: Any, cohort: Cohort) -> bool:
    """A participant's own results sheet in a cohort (shown once a grade of theirs is released)."""
    return Role.PARTICIPANT in roles_in(user, cohort)


@rules.rule("results.decision.edit")
def _edit_decision(user: Any, decision: Any) -> bool:
    """Withdrawing a disciplinary decision: whoever runs its cohort (coordinators, admins), while open."""
    cohort = db.session.get(Cohort, decision.cohort_id)
    return cohort is not None and can(user, "cohort.edit", cohort)


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
