"""From observers' entries to one score per peserta per sheet.

Per criterion, the observers' scores are combined by the sheet's rule (mean, median, lowest,
highest); the sheet score is Σ wᵢ·cᵢ ÷ Σ wᵢ over its criteria (a plain mean when every weight is 0).
A peserta's score exists only when at least ``observers_required`` observers scored every criterion;
until then it is None (pending), never 0. Computed exactly; whoever shows it rounds once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.core.scores import exact
from lms.scoresheets.models import Combination, ScoreSheet, SheetEntry


def combine(rule: Combination | str, values: Sequence[Fraction]) -> Fraction:
    """The observers' scores of one criterion as one, by ``rule``."""
    ordered = sorted(values)
    if rule == Combination.LOWEST:
        return ordered[0]
    if rule == Combination.HIGHEST:
        return ordered[-1]
    if rule == Combination.MEDIAN:
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return sum(ordered, Fraction(0)) / len(ordered)


def score_of(sheet: ScoreSheet, entries: dict[int, dict[int, Decimal | None]]) -> Fraction | None:
    """One peserta's sheet score from ``entries`` (criterion id → observer id → score)."""
    if not sheet.criteria:
        return None
    observers: set[int] | None = None
    for criterion in sheet.criteria:
        scored = {o for o, v in entries.get(criterion.id, {}).items() if v is not None}
        observers = scored if observers is None else observers & scored
    if observers is None or len(observers) < max(sheet.observers_required, 1):
        return None
    combined: list[tuple[Fraction, Fraction]] = []
    for criterion in sheet.criteria:
        values = [exact(v) for o, v in entries.get(criterion.id, {}).items() if v is not None]
        combined.append((exact(criterion.weight), combine(sheet.combination, values)))
    total = sum((w for w, _c in combined), Fraction(0))
    if total <= 0:
        return sum((c for _w, c in combined), Fraction(0)) / len(combined)
    return sum((w * c for w, c in combined), Fraction(0)) / total


def entries_by_participant(
    session: Session, sheet_ids: list[int], people: set[int]
) -> dict[int, dict[int, dict[int, dict[int, Decimal | None]]]]:
    """Sheet id → participant id → criterion id → observer id → score (one query)."""
    out: dict[int, dict[int, dict[int, dict[int, Decimal | None]]]] = {}
    if not sheet_ids:
        return out
    for sid, pid, cid, oid, score in session.execute(
        select(
            SheetEntry.sheet_id,
            SheetEntry.participant_id,
            SheetEntry.criterion_id,
            SheetEntry.observer_id,
            SheetEntry.score,
        ).where(SheetEntry.sheet_id.in_(sheet_ids))
    ):
        if pid in people:
            out.setdefault(sid, {}).setdefault(pid, {}).setdefault(cid, {})[oid] = score
    return out


def sheet_scores(
    session: Session, sheets: Iterable[ScoreSheet], people: set[int]
) -> dict[int, dict[int, Fraction | None]]:
    """Sheet id → participant id → exact sheet score (None: pending), for every peserta given."""
    items = list(sheets)
    entries = entries_by_participant(session, [s.id for s in items], people)
    return {s.id: {pid: score_of(s, entries.get(s.id, {}).get(pid, {})) for pid in people} for s in items}
