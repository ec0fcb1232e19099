"""Services for a program's result definition: saving versions, pinning and re-applying them on
cohorts (audited), tagging a cohort's work with components, and disciplinary decisions.

Changing weights never reaches a cohort silently: a saved definition is a new version; a started
cohort keeps the version it had; moving a cohort to another version is a re-apply, recorded with
who, when and, once any score exists, a required reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission
from lms.cohorts.models import Cohort, Membership, Program, Role
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.core.logging import security_on_commit
from lms.db import utcnow
from lms.grading.models import Grade, GradeStatus
from lms.results.components import latest_scheme, pinned, scheme_for
from lms.results.models import (
    WORK_SOURCE,
    CohortScheme,
    DisciplinaryDecision,
    ResultComponent,
    ResultScheme,
    SchemeEvent,
    WorkComponent,
)
from lms.scoresheets.models import ScoreSheet, SheetEntry
from lms.users.models import User

KEY_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ComponentData:
    key: str
    name: str
    weight: Decimal
    minimum: Decimal | None = None
    source: str = WORK_SOURCE


def _score_range(value: Decimal | None, field: str, what: str) -> None:
    if value is not None and (not value.is_finite() or not Decimal(0) <= value <= HUNDRED):
        raise DomainError(_l("%(what)s must lie between 0 and 100.", what=what), field=field)


def validate(components: Sequence[ComponentData], sources: set[str], pass_minimum: Decimal | None) -> None:
    """Weights sum to exactly 100, keys are unique short codes, sources exist, minimums within 0–100."""
    if not components:
        raise DomainError(_l("A result needs at least one component."), field="components")
    keys: set[str] = set()
    for number, c in enumerate(components, start=1):
        if not KEY_PATTERN.match(c.key):
            raise DomainError(
                _l("Component %(n)s: the code uses a–z, 0–9 and _ only (at most 40).", n=number), field="components"
            )
        if c.key in keys:
            raise DomainError(
                _l("Component %(n)s: the code %(key)s is used twice.", n=number, key=c.key), field="components"
            )
        keys.add(c.key)
        if not c.name.strip():
            raise DomainError(_l("Component %(n)s has no name.", n=number), field="components")
        if not c.weight.is_finite() or c.weight <= 0 or c.weight > HUNDRED:
            raise DomainError(
                _l("Component %(n)s: the weight must be more than 0 and at most 100.", n=number), field="components"
            )
        _score_range(c.minimum, "components", str(_l("Component %(n)s: the minimum", n=number)))
        if c.source != WORK_SOURCE and c.source not in sources:
            raise DomainError(_l("Component %(n)s: unknown source.", n=number), field="components")
    total = sum((c.weight for c in components), Decimal(0))
    if total != HUNDRED:
        raise DomainError(
            _l("The weights add up to %(total)s; they must add up to 100.", total=total), field="components"
        )
    _score_range(pass_minimum, "pass_minimum", str(_l("The minimum final score")))


def save_definition(
    session: Session,
    program: Program,
    components: Sequence[ComponentData],
    actor: User | None,
    now: datetime,
    *,
    sources: set[str],
    pass_minimum: Decimal | None = None,
    note: str = "",
    base_version: int | None = None,
) -> ResultScheme:
    """Save a new version of ``program``'s result definition.

    Started cohorts that followed the previous version keep it (they are pinned to it first);
    planned ones follow the new version. ``base_version`` is the version the editor showed: if
    someone saved another meanwhile, :class:`Conflict`.
    """
    validate(components, sources, pass_minimum)
    # One writer at a time per program: the version numbers and the pins below stay consistent.
    session.execute(select(Program.id).where(Program.id == program.id).with_for_update())
    previous = latest_scheme(session, program.id)
    if (previous.version if previous else 0) != (base_version or 0):
        raise Conflict(
            _l(
                "Someone saved this program's result definition while you were editing it. "
                "Reload the page to see their version."
            )
        )
    if previous is not None:
        for cohort in session.scalars(select(Cohort).where(Cohort.program_id == program.id)):
            if pinned(session, cohort) is None and (cohort.status != "planned" or scores_exist(session, cohort)):
                _pin(session, cohort, previous, actor, "pin", "", now)
    scheme = ResultScheme(
        program_id=program.id,
        version=(previous.version + 1) if previous else 1,
        pass_minimum=pass_minimum,
        note=note.strip(),
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    scheme.components = [
        ResultComponent(position=i, key=c.key, name=c.name.strip(), weight=c.weight, minimum=c.minimum, source=c.source)
        for i, c in enumerate(components)
    ]
    session.add(scheme)
    session.flush()
    return scheme


def _pin(
    session: Session,
    cohort: Cohort,
    scheme: ResultScheme,
    actor: User | None,
    action: str,
    reason: str,
    now: datetime,
    graded: int = 0,
) -> None:
    pin = pinned(session, cohort)
    before = pin.scheme_id if pin else None
    if pin is None:
        session.add(CohortScheme(cohort_id=cohort.id, scheme_id=scheme.id))
    else:
        pin.scheme_id = scheme.id
        pin.scheme = scheme
    session.add(
        SchemeEvent(
            cohort_id=cohort.id,
            from_scheme_id=before,
            to_scheme_id=scheme.id,
            actor_id=actor.id if actor else None,
            action=action,
            graded=graded,
            reason=reason.strip(),
            at=now,
        )
    )
    session.flush()


def scores_exist(session: Session, cohort: Cohort) -> int:
    """How many released grades and staff-entered scores the cohort has (two counts)."""
    grades = (
        session.scalar(
            select(func.count(Grade.id))
            .join(Submission, Submission.id == Grade.submission_id)
            .join(Assessment, Assessment.id == Submission.assessment_id)
            .where(Assessment.cohort_id == cohort.id, Grade.status == GradeStatus.RELEASED)
        )
        or 0
    )
    entries = (
        session.scalar(
            select(func.count(SheetEntry.id))
            .join(ScoreSheet, ScoreSheet.id == SheetEntry.sheet_id)
            .where(ScoreSheet.cohort_id == cohort.id, SheetEntry.score.is_not(None))
        )
        or 0
    )
    return grades + entries


def reapply(
    session: Session,
    cohort: Cohort,
    scheme: ResultScheme,
    actor: User,
    reason: str,
    now: datetime,
    base_scheme_id: int | None,
) -> None:
    """Move ``cohort`` to ``scheme`` (a version of its program's definition), audited.

    Once any score exists the weights change people's results: a reason is required and recorded
    with the number of scores. ``base_scheme_id`` is the version the page showed (a conflict otherwise).
    """
    ensure_editable(cohort)
    if scheme.program_id != cohort.program_id:
        raise DomainError(_l("This definition belongs to another program."), status=404)
    pin = pinned(session, cohort)
    current = pin.scheme_id if pin else None
    if base_scheme_id is not None and current is not None and current != base_scheme_id:
        raise Conflict(_l("Someone changed this cohort's result definition meanwhile; reload the page."))
    if current == scheme.id:
        raise DomainError(_l("The cohort already uses this version."), field="scheme_id")
    graded = scores_exist(session, cohort)
    if graded and not reason.strip():
        raise DomainError(_l("Scores exist already: say why the cohort's result definition changes."), field="reason")
    _pin(session, cohort, scheme, actor, "reapply", reason, now, graded)
    security_on_commit(
        session,
        "results.definition_reapplied",
        cohort_id=cohort.id,
        from_scheme_id=current,
        to_scheme_id=scheme.id,
        actor_id=actor.id,
        graded=graded,
    )


def events(session: Session, cohort: Cohort) -> list[SchemeEvent]:
    return list(
        session.scalars(
            select(SchemeEvent)
            .where(SchemeEvent.cohort_id == cohort.id)
            .order_by(SchemeEvent.at.desc(), SchemeEvent.id.desc())
        )
    )


def versions(session: Session, program: Program) -> list[ResultScheme]:
    return list(
        session.scalars(
            select(ResultScheme).where(ResultScheme.program_id == program.id).order_by(ResultScheme.version.desc())
        )
    )


# -- tagging work ----------------------------------------------------------------------------------


def work_tags(session: Session, cohort: Cohort) -> dict[int, str]:
    """Assessment id → component key for the cohort's tagged assessments (one query)."""
    return dict(
        session.execute(
            select(WorkComponent.assessment_id, WorkComponent.component_key)
            .join(Assessment, Assessment.id == WorkComponent.assessment_id)
            .where(Assessment.cohort_id == cohort.id)
        ).all()
    )


def tag_work(
    session: Session,
    cohort: Cohort,
    tags: dict[int, str],
    keys: set[str],
    actor: User | None = None,
    now: datetime | None = None,
    reason: str = "",
) -> int:
    """Set which component each of the cohort's assessments counts towards ("" for none); returns
    how many changed. Once scores exist a change moves results, so it is recorded (who, what, why)."""
    ensure_editable(cohort)
    mine = dict(session.execute(select(Assessment.id, Assessment.title).where(Assessment.cohort_id == cohort.id)).all())
    if set(tags) - set(mine):
        raise DomainError(_l("An assessment does not belong to this cohort."), status=404)
    for key in tags.values():
        if key and key not in keys:
            raise DomainError(_l("Unknown component %(key)s.", key=key))
    existing = (
        {
            w.assessment_id: w
            for w in session.scalars(select(WorkComponent).where(WorkComponent.assessment_id.in_(list(tags))))
        }
        if tags
        else {}
    )
    changes: list[str] = []
    for aid, key in tags.items():
        row = existing.get(aid)
        before = row.component_key if row else ""
        if before == key:
            continue
        changes.append(f"{mine[aid]}: {before or '—'} → {key or '—'}")
        if not key:
            session.delete(row)
        elif row is None:
            session.add(WorkComponent(assessment_id=aid, component_key=key))
        else:
            row.component_key = key
    session.flush()
    if changes:
        record_change(session, cohort, actor, "retag", "; ".join(changes), reason, now)
    return len(changes)


def record_change(
    session: Session, cohort: Cohort, actor: User | None, action: str, what: str, reason: str, now: datetime | None
) -> None:
    """Record a change of what counts towards the cohort's result, once any score exists (before
    that nothing moves). The definition history on the cohort's final-result page lists it."""
    graded = scores_exist(session, cohort)
    if not graded:
        return
    scheme = scheme_for(session, cohort)
    if scheme is None:
        return
    text = what if not reason.strip() else f"{what} ({reason.strip()})"
    session.add(
        SchemeEvent(
            cohort_id=cohort.id,
            from_scheme_id=scheme.id,
            to_scheme_id=scheme.id,
            actor_id=actor.id if actor else None,
            action=action,
            graded=graded,
            reason=text[:4000],
            at=now or utcnow(),
        )
    )
    session.flush()


# -- disciplinary decisions ------------------------------------------------------------------------


def _participant_ids(session: Session, cohort: Cohort) -> set[int]:
    return set(
        session.scalars(
            select(Membership.user_id).where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
        )
    )


def record_decision(
    session: Session, cohort: Cohort, participant_id: int, reason: str, actor: User, now: datetime
) -> DisciplinaryDecision:
    """A penyelenggara's disciplinary decision: the peserta does not pass, for the reason given."""
    ensure_editable(cohort)
    if participant_id not in _participant_ids(session, cohort):
        raise DomainError(_l("Choose a peserta of this cohort."), field="participant_id")
    if not reason.strip():
        raise DomainError(_l("Write the decision and its grounds."), field="reason")
    row = DisciplinaryDecision(
        cohort_id=cohort.id,
        participant_id=participant_id,
        reason=reason.strip()[:2000],
        decided_by_id=actor.id,
        decided_at=now,
    )
    session.add(row)
    session.flush()
    security_on_commit(session, "results.decision_recorded", cohort_id=cohort.id, decision_id=row.id, actor_id=actor.id)
    return row


def withdraw_decision(
    session: Session, decision: DisciplinaryDecision, reason: str, actor: User, now: datetime
) -> None:
    """Withdraw a decision (kept, with who, when and why)."""
    cohort = session.get(Cohort, decision.cohort_id)
    if cohort is not None:
        ensure_editable(cohort)
    if decision.withdrawn_at is not None:
        raise Conflict(_l("This decision was already withdrawn."))
    if not reason.strip():
        raise DomainError(_l("Say why the decision is withdrawn."), field="reason")
    decision.withdrawn_at = now
    decision.withdrawn_by_id = actor.id
    decision.withdrawn_reason = reason.strip()[:2000]
    session.flush()
    security_on_commit(
        session, "results.decision_withdrawn", cohort_id=decision.cohort_id, decision_id=decision.id, actor_id=actor.id
    )


def decisions(session: Session, cohort: Cohort) -> list[DisciplinaryDecision]:
    return list(
        session.scalars(
            select(DisciplinaryDecision)
            .where(DisciplinaryDecision.cohort_id == cohort.id)
            .order_by(DisciplinaryDecision.decided_at.desc(), DisciplinaryDecision.id.desc())
        )
    )
