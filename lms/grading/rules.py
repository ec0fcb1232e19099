"""Who may grade: the cohort's staff, for work handed in."""

from __future__ import annotations

from typing import Any

from lms.cohorts.models import Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("submission.grade")
def _grade_submission(user: Any, submission: Any) -> bool:
    """The cohort's staff, for work handed in (a draft is the participant's alone)."""
    return (
        submission.state != "draft"
        and submission.participant_id != user.id
        and can(user, "cohort.teach", submission.assessment.cohort)
    )


@rules.rule("grading.queue")
def _grading_queue(user: Any, obj: Any) -> bool:
    return bool(user.is_admin or cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
