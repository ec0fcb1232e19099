"""The grading form is built from the rubric at request time (one radio group per criterion), so it
is parsed by hand here rather than declared as a WTForms class."""

from __future__ import annotations

from typing import Any

from lms.core.forms import int_or_none
from lms.grading.services import GradeInput
from lms.rubrics.models import Rubric


def parse_grade_form(form: Any, rubric: Rubric | None) -> tuple[GradeInput, int | None]:
    """The grader's choices and the grade version the page showed (None for a new grade)."""
    levels: dict[int, int | None] = {}
    comments: dict[int, str] = {}
    if rubric is not None:
        for criterion in rubric.criteria:
            raw = form.get(f"level-{criterion.id}", "")
            levels[criterion.id] = int_or_none(raw)
            comments[criterion.id] = form.get(f"comment-{criterion.id}", "")[:5000]
    raw_version = form.get("version", "")
    version = int_or_none(raw_version)
    data = GradeInput(
        levels=levels,
        comments=comments,
        feedback=form.get("feedback", "")[:50000],
        finalize=form.get("action") == "finalize",
        reason=form.get("reason", "")[:2000],
    )
    return data, version
