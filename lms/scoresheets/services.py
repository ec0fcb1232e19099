"""Score sheets: creating them, and saving an observer's scores from the grid or the XLSX worksheet.

Both paths run through :func:`save_scores`: every cell carries the version it was read at; if any
cell moved on since, nothing is saved and :class:`SheetConflict` lists the cells (the grades'
optimistic locking). Every change is audited per peserta (before, after, who, when).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort, Membership, Role
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.core.logging import security_on_commit
from lms.results.definitions import record_change
from lms.scoresheets.models import (
    Combination,
    ObserverRole,
    ScoreSheet,
    SheetCriterion,
    SheetEntry,
    SheetEvent,
)
from lms.users.models import ParticipantProfile, User

MAX_CRITERIA = 30
TWO = Decimal("0.01")


@dataclass(frozen=True)
class CriterionData:
    title: str
    weight: Decimal = Decimal(1)


@dataclass(frozen=True)
class SheetData:
    title: str
    criteria: Sequence[CriterionData]
    component_key: str = ""
    weight: Decimal = Decimal(1)
    combination: str = Combination.MEAN.value
    observers_required: int = 1


@dataclass(frozen=True)
class CellInput:
    """One cell of an observer's grid: the text typed and the entry version the page showed (0: none)."""

    participant_id: int
    criterion_id: int
    text: str
    base_version: int


class SheetConflict(Conflict):
    """Cells saved by someone else since the grid was read: (participant id, criterion id) pairs."""

    def __init__(self, cells: list[tuple[int, int]]) -> None:
        super().__init__(
            _l(
                "%(n)s score(s) were changed by someone else while you worked. Nothing was saved; "
                "their values are shown now. Check them and save again.",
                n=len(cells),
            )
        )
        self.cells = cells


def parse_score(text: str) -> Decimal | None:
    """``85``, ``85,5`` or ``85.50`` → Decimal; "" → None. Refuses other text, more than two
    decimals, and anything outside 0–100."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise DomainError(_l("“%(text)s” is not a score.", text=text[:20])) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise DomainError(_l("A score lies between 0 and 100 (got %(text)s).", text=text[:20]))
    if value != value.quantize(TWO):
        raise DomainError(_l("A score has at most two decimals (got %(text)s).", text=text[:20]))
    return value.quantize(TWO)


def save_sheet(
    session: Session,
    cohort: Cohort,
    sheet: ScoreSheet | None,
    data: SheetData,
    actor: User | None = None,
    now: datetime | None = None,
) -> ScoreSheet:
    """Create or change a sheet. Criteria that already hold scores keep their ids (matched by position).

    A change of what the sheet contributes (component, weights, rule, observers) moves results once
    scores exist: it is recorded in the cohort's definition history."""
    ensure_editable(cohort)
    title = data.title.strip()
    if not title:
        raise DomainError(_l("Give the sheet a title."), field="title")
    criteria = [c for c in data.criteria if c.title.strip()]
    if not criteria:
        raise DomainError(_l("A sheet needs at least one criterion."), field="criteria")
    if len(criteria) > MAX_CRITERIA:
        raise DomainError(_l("A sheet has at most %(n)s criteria.", n=MAX_CRITERIA), field="criteria")
    for c in criteria:
        if not c.weight.is_finite() or c.weight < 0 or c.weight > 1000:
            raise DomainError(_l("A criterion's weight lies between 0 and 1000."), field="criteria")
    if data.combination not in {c.value for c in Combination}:
        raise DomainError(_l("Choose how the observers' scores are combined."), field="combination")
    if not 1 <= data.observers_required <= 10:
        raise DomainError(_l("Between 1 and 10 observers."), field="observers_required")
    if not data.weight.is_finite() or data.weight < 0 or data.weight > 1000:
        raise DomainError(_l("The weight lies between 0 and 1000."), field="weight")
    before = None
    if sheet is None:
        sheet = ScoreSheet(cohort_id=cohort.id)
        session.add(sheet)
    elif sheet.cohort_id != cohort.id:
        raise DomainError(_l("This sheet belongs to another cohort."), status=404)
    else:
        before = _contribution(sheet)
    sheet.title = title[:200]
    sheet.component_key = data.component_key
    sheet.weight = data.weight
    sheet.combination = Combination(data.combination)
    sheet.observers_required = data.observers_required
    existing = list(sheet.criteria)
    for position, c in enumerate(criteria):
        if position < len(existing):
            existing[position].title, existing[position].weight = c.title.strip()[:200], c.weight
            existing[position].position = position
        else:
            sheet.criteria.append(SheetCriterion(position=position, title=c.title.strip()[:200], weight=c.weight))
    for extra in existing[len(criteria) :]:
        sheet.criteria.remove(extra)
    session.flush()
    after = _contribution(sheet)
    if before is not None and before != after:
        record_change(session, cohort, actor, "sheet", f"{sheet.title}: {before} → {after}", "", now)
    return sheet


def _contribution(sheet: ScoreSheet) -> str:
    """What a sheet adds to the result, as one line for the definition history."""
    weights = ", ".join(f"{c.title} ×{c.weight.normalize() if c.weight is not None else 1}" for c in sheet.criteria)
    return (
        f"{sheet.component_key or '—'} ×{Decimal(sheet.weight).normalize()}, {Combination(sheet.combination).value}, "
        f"{sheet.observers_required} obs., [{weights}]"
    )


def staff(session: Session, cohort: Cohort) -> dict[int, tuple[str, set[Role]]]:
    """The cohort's staff: user id → (name, roles) (one query)."""
    out: dict[int, tuple[str, set[Role]]] = {}
    for uid, name, role in session.execute(
        select(User.id, User.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort.id, Membership.role.in_([Role.INSTRUCTOR, Role.COORDINATOR]))
        .order_by(User.name)
    ):
        out.setdefault(uid, (name, set()))[1].add(Role(role))
    return out


def participants(session: Session, cohort: Cohort) -> list[tuple[int, str, str]]:
    """(id, name, NIP) of the cohort's peserta, by name (one query)."""
    return [
        (uid, name, nip or "")
        for uid, name, nip in session.execute(
            select(User.id, User.name, ParticipantProfile.nip)
            .join(Membership, Membership.user_id == User.id)
            .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
            .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
            .order_by(User.name, User.id)
        )
    ]


def default_role(roles: set[Role]) -> ObserverRole:
    return ObserverRole.PENYELENGGARA if Role.COORDINATOR in roles else ObserverRole.WIDYAISWARA


def check_observer(
    session: Session, cohort: Cohort, actor: User, observer_id: int, role: str, actor_manages: bool
) -> ObserverRole:
    """Observers are the cohort's staff; only a coordinator (or admin) enters scores for another one.
    A penyelenggara's observation needs a coordinator as observer."""
    people = staff(session, cohort)
    if observer_id != actor.id and not actor_manages:
        raise DomainError(_l("You enter your own observations only."), status=403)
    if observer_id not in people:
        raise DomainError(_l("The observer must be staff of this cohort."), field="observer_id")
    try:
        chosen = ObserverRole(role)
    except ValueError:
        raise DomainError(_l("Choose the observer's role."), field="observer_role") from None
    if chosen == ObserverRole.PENYELENGGARA and Role.COORDINATOR not in people[observer_id][1]:
        raise DomainError(_l("Only a coordinator of the cohort observes as penyelenggara."), field="observer_role")
    return chosen


def entries_of(session: Session, sheet: ScoreSheet, observer_id: int) -> dict[tuple[int, int], SheetEntry]:
    """(participant id, criterion id) → the observer's entry (one query)."""
    return {
        (e.participant_id, e.criterion_id): e
        for e in session.scalars(
            select(SheetEntry).where(SheetEntry.sheet_id == sheet.id, SheetEntry.observer_id == observer_id)
        )
    }


def save_scores(
    session: Session,
    sheet: ScoreSheet,
    actor: User,
    observer_id: int,
    role: ObserverRole,
    cells: Sequence[CellInput],
    now: datetime,
    *,
    action: str = "grid",
    reason: str = "",
) -> int:
    """Save an observer's cells in one flush; returns how many changed.

    Every cell is checked first (score text, peserta and criterion of this sheet, version): one bad
    cell refuses the whole save, so nothing is saved half-way.
    """
    cohort = sheet.cohort
    ensure_editable(cohort)
    people = {pid for pid, _n, _nip in participants(session, cohort)}
    criteria = {c.id for c in sheet.criteria}
    # Serialise writers of one sheet: the version checks below cannot be passed by two at once.
    session.refresh(sheet, with_for_update=True)
    current = entries_of(session, sheet, observer_id)
    parsed: list[tuple[CellInput, Decimal | None]] = []
    conflicts: list[tuple[int, int]] = []
    for cell in cells:
        if cell.participant_id not in people or cell.criterion_id not in criteria:
            raise DomainError(_l("A score belongs to someone or something not on this sheet."))
        try:
            value = parse_score(cell.text)
        except DomainError as error:
            raise DomainError(
                _l("Row of %(who)s: %(error)s", who=_name(session, cell.participant_id), error=error.message)
            ) from None
        entry = current.get((cell.participant_id, cell.criterion_id))
        now_version = entry.version if entry else 0
        if now_version != cell.base_version:
            if entry is None or entry.score != value:
                conflicts.append((cell.participant_id, cell.criterion_id))
            continue
        if (entry.score if entry else None) == value and (entry is not None or value is None):
            continue
        parsed.append((cell, value))
    if conflicts:
        raise SheetConflict(conflicts)
    by_person: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for cell, value in parsed:
        entry = current.get((cell.participant_id, cell.criterion_id))
        before, after = by_person.setdefault(cell.participant_id, ({}, {}))
        key = str(cell.criterion_id)
        before[key] = None if entry is None or entry.score is None else str(entry.score)
        after[key] = None if value is None else str(value)
        if entry is None:
            session.add(
                SheetEntry(
                    sheet_id=sheet.id,
                    criterion_id=cell.criterion_id,
                    participant_id=cell.participant_id,
                    observer_id=observer_id,
                    observer_role=role,
                    score=value,
                    updated_at=now,
                    version=1,
                )
            )
        else:
            entry.score, entry.observer_role, entry.updated_at = value, role, now
            entry.version += 1
    for pid, (before, after) in by_person.items():
        session.add(
            SheetEvent(
                sheet_id=sheet.id,
                participant_id=pid,
                observer_id=observer_id,
                actor_id=actor.id,
                action=action,
                at=now,
                before=before,
                after=after,
                reason=reason.strip(),
            )
        )
    session.flush()
    if by_person:
        security_on_commit(
            session,
            "scores.changed",
            sheet_id=sheet.id,
            observer_id=observer_id,
            actor_id=actor.id,
            cells=len(parsed),
            action=action,
        )
    return len(parsed)


def _name(session: Session, user_id: int) -> str:
    return session.scalar(select(User.name).where(User.id == user_id)) or "?"


def sheets_of(session: Session, cohort: Cohort) -> list[ScoreSheet]:
    return list(session.scalars(select(ScoreSheet).where(ScoreSheet.cohort_id == cohort.id).order_by(ScoreSheet.id)))


def history(session: Session, sheet: ScoreSheet, limit: int = 200) -> list[SheetEvent]:
    return list(
        session.scalars(
            select(SheetEvent)
            .where(SheetEvent.sheet_id == sheet.id)
            .order_by(SheetEvent.at.desc(), SheetEvent.id.desc())
            .limit(limit)
        )
    )
