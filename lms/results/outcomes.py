"""Each peserta's outcome in a cohort: lulus, tidak lulus (with reasons) or ditunda.

The one entry point other packages use (certificates are issued to "lulus" only). The rules are
in :mod:`lms.results.components`; this reads them off the cohort's result table so that the
screen, the exports, the API and the certificates can never disagree.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort
from lms.results.components import (
    DITUNDA,
    LULUS,
    STATUSES,
    TIDAK_LULUS,
    ComponentScore,
    Outcome,
    scheme_for,
)
from lms.results.models import ResultScheme
from lms.results.table import build_table

__all__ = [
    "DITUNDA",
    "LULUS",
    "STATUSES",
    "TIDAK_LULUS",
    "ComponentScore",
    "Outcome",
    "cohort_outcomes",
    "definition_of",
]


def cohort_outcomes(session: Session, cohort: Cohort) -> dict[int, Outcome]:
    """Participant (user) id → :class:`Outcome` for every peserta of ``cohort``.

    ``Outcome.status`` is "lulus", "tidak_lulus" or "ditunda"; ``reasons`` (a list of texts in the
    current language) say why it is not lulus; ``final_score`` is a two-place Decimal rounded once,
    half-up (None while a component lacks a score); ``predikat`` comes from the program's bands.
    Needs an app context (plugins contribute component scores).
    """
    table = build_table(session, cohort)
    return {row.participant_id: row.outcome for row in table.rows if row.outcome is not None}


def definition_of(session: Session, cohort: Cohort) -> ResultScheme | None:
    """The result definition version ``cohort`` uses (None: no definition, one implicit component)."""
    return scheme_for(session, cohort)
