"""Reads of rubrics that pages share (no rules, no writes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.rubrics.models import Criterion, Rubric


def current_rubrics(session: Session, cohort_id: int) -> list[Rubric]:
    """The cohort's rubrics that are not superseded, by title."""
    return list(
        session.scalars(
            select(Rubric).where(Rubric.cohort_id == cohort_id, Rubric.superseded.is_(False)).order_by(Rubric.title)
        )
    )


def with_levels(session: Session, rubric_id: int) -> Rubric | None:
    """The rubric with its criteria and their levels loaded."""
    return session.scalar(
        select(Rubric)
        .where(Rubric.id == rubric_id)
        .options(selectinload(Rubric.criteria).selectinload(Criterion.levels))
    )
