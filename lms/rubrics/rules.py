"""Who may read and change the rubric library and a cohort's rubrics."""

from __future__ import annotations

from typing import Any

from lms import db
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with
from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


def _rubric_cohort(rubric: Any) -> Cohort | None:
    if rubric.cohort_id is None:
        return None
    return db.session.get(Cohort, rubric.cohort_id)


@rules.rule("rubrics.library")
def _rubric_library(user: Any, obj: Any) -> bool:
    """The template library: program managers, admins and staff of any cohort."""
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))


@rules.rule("rubrics.library.edit")
def _edit_library(user: Any, obj: Any) -> bool:
    """Templates are curated by program managers, admins and coordinators."""
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.COORDINATOR))


@rules.rule("rubric.view")
def _view_rubric(user: Any, rubric: Any) -> bool:
    """A template: the library's readers. A cohort's rubric: anyone in the cohort (participants see
    the rubric before they submit)."""
    cohort = _rubric_cohort(rubric)
    if cohort is None:
        return _rubric_library(user, None)
    return can(user, "cohort.view", cohort)


@rules.rule("rubric.edit")
def _edit_rubric(user: Any, rubric: Any) -> bool:
    """A cohort's rubric: whoever runs the cohort. A library template: admins and program managers,
    and the coordinator who wrote it (another cohort's coordinator copies it instead of changing it)."""
    cohort = _rubric_cohort(rubric)
    if cohort is None:
        if user.is_admin or user.is_manager:
            return True
        return rubric.created_by_id == user.id and _edit_library(user, None)
    return can(user, "cohort.edit", cohort)


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
