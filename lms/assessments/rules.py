"""Who may see, manage and submit to an assessment, and own a submission."""

from __future__ import annotations

from typing import Any

from lms.cohorts.models import Role
from lms.cohorts.rules import roles_in
from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("assessment.view")
def _view_assessment(user: Any, assessment: Any) -> bool:
    return can(user, "cohort.view", assessment.cohort)


@rules.rule("assessment.manage")
def _manage_assessment(user: Any, assessment: Any) -> bool:
    return can(user, "cohort.edit", assessment.cohort)


@rules.rule("assessment.teach")
def _teach_assessment(user: Any, assessment: Any) -> bool:
    """Progress, release and the grading of an assessment: its cohort's instructors and coordinators."""
    return can(user, "cohort.teach", assessment.cohort)


@rules.rule("assessment.audit")
def _audit_assessment(user: Any, assessment: Any) -> bool:
    """The grade audit trail: coordinators (and admins)."""
    return can(user, "cohort.manage", assessment.cohort)


@rules.rule("assessment.submit")
def _submit_assessment(user: Any, assessment: Any) -> bool:
    """Writing and submitting: participants of the cohort only (never staff, never admins)."""
    return Role.PARTICIPANT in roles_in(user, assessment.cohort_id)


@rules.rule("submission.own")
def _own_submission(user: Any, submission: Any) -> bool:
    return submission.participant_id == user.id


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
