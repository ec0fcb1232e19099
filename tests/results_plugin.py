"""A plugin for the result tests: batched result columns and an extra XLSX sheet ("practices").

Loaded like tests/tiny_plugin.py, through a monkeypatched entry point named ``resultsdemo``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint
from sqlalchemy import func, select

from lms import db
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Membership, Role
from lms.plugins import hookimpl
from lms.plugins.types import ResultColumn, ResultTotal
from lms.plugins.types import ResultSheet as ExtraSheet

# Every call's participant ids, so that tests can see the hook is called once for everyone.
calls: list[list[int]] = []
# Columns a test adds (a malformed one, to see the core refuse it).
EXTRA: list[ResultColumn] = []
MOTTOS = [None, '=HYPERLINK("http://x","y")', "@SUM(A1)", "-1", "+1"]

bp = Blueprint("resultsdemo", __name__)


def practices_sheet(session: Any, cohort: Any, participants: Any) -> ExtraSheet:
    stmt = (
        select(Submission.participant_id, Submission.attempt, Submission.state)
        .where(Submission.participant_id.in_(participants))
        .order_by(Submission.id)
        .execution_options(yield_per=100)
    )

    def rows() -> Any:  # the query runs when the export reads the sheet, as the hook asks
        for pid, attempt, state in session.connection().execute(stmt):
            yield [pid, attempt, "=1+1" if attempt == 1 else str(state)]

    return ExtraSheet(
        name="practices",
        headers=[("Participant", "number"), ("Attempt", "number"), ("Title", "text")],
        rows=rows(),
    )


@hookimpl
def lms_result_sheets(cohort: Any, participants: Any) -> list[ExtraSheet]:
    return [practices_sheet(db.session, cohort, participants)]


@hookimpl
def lms_blueprints() -> list[Blueprint]:
    return [bp]


@hookimpl
def lms_result_totals(cohort: Any) -> list[ResultTotal]:
    """The "Submitted works" column summed over the cohort in one aggregate query."""
    per_person = (
        select(Submission.participant_id, func.count().label("n"))
        .join(
            Membership,
            (Membership.user_id == Submission.participant_id)
            & (Membership.cohort_id == cohort.id)
            & (Membership.role == Role.PARTICIPANT),
        )
        .where(Submission.state == SubmissionState.SUBMITTED)
        .group_by(Submission.participant_id)
        .subquery()
    )
    total, people = db.session.execute(
        select(func.coalesce(func.sum(per_person.c.n), 0), func.count()).select_from(per_person)
    ).one()
    return [ResultTotal("submitted", "Submitted works", Decimal(total), people, order=1)]


@hookimpl
def lms_result_columns(cohort: Any, participant_ids: list[int]) -> list[ResultColumn]:
    ids = sorted(participant_ids)
    calls.append(ids)
    counts = dict(
        db.session.execute(
            select(Submission.participant_id, func.count())
            .where(Submission.participant_id.in_(ids), Submission.state == SubmissionState.SUBMITTED)
            .group_by(Submission.participant_id)
        ).all()
    )
    visits = [Decimal("77.5"), Decimal("60")]
    return [
        ResultColumn("submitted", "Submitted works", {pid: counts.get(pid, 0) for pid in ids}, order=1),
        ResultColumn(
            "motto", "Motto", {pid: MOTTOS[i % len(MOTTOS)] for i, pid in enumerate(ids)}, kind="text", order=2
        ),
        ResultColumn(
            "visit",
            "Visit score",
            {pid: visits[i] if i < len(visits) else None for i, pid in enumerate(ids)},
            kind="score",
            order=3,
        ),
        *EXTRA,
    ]
