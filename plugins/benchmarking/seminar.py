"""The seminar: groups present their reports in scheduled sessions, scored by a panel of staff.

A session has a time, a place (a room or a meeting link), the groups presenting in order and a
panel. Each panel member scores each group of their session, 0–100; a group's presentation score
is the mean of its panel's scores, and exists only once every panel member of the session has
scored it (a missing score is never 0). The group score then weighs the group report and the
presentation with the visit's weights (:func:`plugins.benchmarking.reports.member_scores`).

Services flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from lms.cohorts.models import Membership, Role
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.core.scores import exact
from lms.users.models import User
from plugins.benchmarking.models import (
    FieldVisit,
    PanelMember,
    PanelScore,
    SeminarSession,
    SeminarSlot,
)

HUNDRED = Decimal(100)


def staff_ids(session: Session, cohort_id: int) -> set[int]:
    """The cohort's widyaiswara and coordinators: who may sit on a panel."""
    return set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.cohort_id == cohort_id, Membership.role.in_([Role.INSTRUCTOR, Role.COORDINATOR])
            )
        )
    )


def sessions_of(session: Session, visit_id: int) -> list[SeminarSession]:
    """The visit's sessions by time, with their groups in order and their panel (three queries)."""
    return list(
        session.scalars(
            select(SeminarSession)
            .where(SeminarSession.visit_id == visit_id)
            .options(
                selectinload(SeminarSession.slots).selectinload(SeminarSlot.group),
                selectinload(SeminarSession.panel).selectinload(PanelMember.user),
            )
            .order_by(SeminarSession.starts_at, SeminarSession.id)
        )
    )


def save_session(
    session: Session,
    seminar: SeminarSession | None,
    visit: FieldVisit,
    *,
    title: str,
    starts_at: datetime,
    place: str,
    group_ids: Sequence[int],
    panel_ids: Sequence[int],
) -> SeminarSession:
    """Schedule (or change) a session: its groups in the order given, its panel.

    Groups must be the visit's and not presenting in another session of it; panel members must be
    staff of the cohort (a peserta never scores). A panel member who already scored keeps their
    scores; one taken off the panel loses theirs for this session's groups.
    """
    ensure_editable(visit.cohort)
    if not title.strip():
        raise DomainError(_l("Give the session a title."), field="title")
    if starts_at is None:
        raise DomainError(_l("Give the session a date and time."), field="starts_at")
    groups = {g.id for g in visit.groups}
    if len(set(group_ids)) != len(group_ids) or set(group_ids) - groups:
        raise DomainError(_l("Choose groups of this visit, each once."), field="group_ids")
    if not group_ids:
        raise DomainError(_l("Choose the groups that present in this session."), field="group_ids")
    if set(panel_ids) - staff_ids(session, visit.cohort_id):
        raise DomainError(_l("Panel members are staff of this cohort."), field="panel_ids")
    if not panel_ids:
        raise DomainError(_l("Choose at least one panel member."), field="panel_ids")
    taken = set(
        session.scalars(
            select(SeminarSlot.group_id).where(
                SeminarSlot.visit_id == visit.id,
                SeminarSlot.group_id.in_(list(group_ids)),
                *([SeminarSlot.session_id != seminar.id] if seminar is not None else []),
            )
        )
    )
    if taken:
        names = ", ".join(g.name for g in visit.groups if g.id in taken)
        raise Conflict(_l("Already presenting in another session: %(groups)s.", groups=names), field="group_ids")
    if seminar is None:
        seminar = SeminarSession(visit_id=visit.id, visit=visit)
        session.add(seminar)
    seminar.title, seminar.starts_at, seminar.place = title.strip(), starts_at, place.strip()
    session.flush()
    before_groups = {s.group_id for s in seminar.slots}
    seminar.slots = [SeminarSlot(visit_id=visit.id, group_id=gid, position=i) for i, gid in enumerate(group_ids)]
    before_panel = {p.user_id for p in seminar.panel}
    kept = [p for p in seminar.panel if p.user_id in set(panel_ids)]
    seminar.panel = kept + [PanelMember(user_id=uid) for uid in panel_ids if uid not in before_panel]
    session.flush()
    gone_panel = before_panel - set(panel_ids)
    gone_groups = before_groups - set(group_ids)
    if gone_panel or gone_groups:
        session.execute(
            delete(PanelScore).where(
                PanelScore.session_id == seminar.id,
                (PanelScore.panelist_id.in_(gone_panel)) | (PanelScore.group_id.in_(gone_groups)),
            )
        )
    session.flush()
    return seminar


def is_panelist(session: Session, seminar_id: int, user_id: int) -> bool:
    return (
        session.scalar(
            select(PanelMember.id).where(PanelMember.session_id == seminar_id, PanelMember.user_id == user_id)
        )
        is not None
    )


def sessions_of_panelist(session: Session, user_id: int) -> list[SeminarSession]:
    """The sessions ``user_id`` sits on the panel of, by time (only theirs)."""
    return list(
        session.scalars(
            select(SeminarSession)
            .join(PanelMember, PanelMember.session_id == SeminarSession.id)
            .where(PanelMember.user_id == user_id)
            .options(
                selectinload(SeminarSession.slots).selectinload(SeminarSlot.group),
                selectinload(SeminarSession.visit).selectinload(FieldVisit.host),
            )
            .order_by(SeminarSession.starts_at, SeminarSession.id)
        )
    )


def scores_by(session: Session, seminar_id: int, panelist_id: int) -> dict[int, PanelScore]:
    """One panel member's scores in a session, by group id."""
    return {
        s.group_id: s
        for s in session.scalars(
            select(PanelScore).where(PanelScore.session_id == seminar_id, PanelScore.panelist_id == panelist_id)
        )
    }


@dataclass(frozen=True)
class ScoreInput:
    group_id: int
    score: str  # as typed: "85", "85,5", "" (not scored yet)
    comment: str = ""
    version: int | None = None  # the version the page showed, for an existing score


def parse_score(text: str) -> Decimal | None:
    """A score as typed (a comma or a point for decimals) → Decimal with at most two places, 0–100."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(_l("A score is a number from 0 to 100.")) from None
    if not value.is_finite() or not Decimal(0) <= value <= HUNDRED or value != value.quantize(Decimal("0.01")):
        raise DomainError(_l("A score is a number from 0 to 100, with at most two decimals."))
    return value


def score_groups(
    session: Session, seminar: SeminarSession, panelist: User, inputs: Sequence[ScoreInput], now: datetime
) -> int:
    """Save a panel member's scores of the groups of their session, all or nothing; returns how many
    changed. A group outside the session, a score out of range or a stale page is refused."""
    ensure_editable(seminar.visit.cohort)
    if not is_panelist(session, seminar.id, panelist.id):
        raise DomainError(_l("Only the session's panel scores its groups."), status=403)
    groups = {s.group_id for s in seminar.slots}
    existing = scores_by(session, seminar.id, panelist.id)
    changed = 0
    for item in inputs:
        if item.group_id not in groups:
            raise DomainError(_l("This group does not present in this session."), status=404)
        try:
            value = parse_score(item.score)
        except DomainError as exc:
            raise DomainError(exc.message, field=f"score-{item.group_id}") from None
        row = existing.get(item.group_id)
        if row is not None and item.version is not None and item.version != row.version:
            raise Conflict(
                _l("Your scores were saved from another page since this one was opened; reload it and score again.")
            )
        if value is None:
            if row is not None:
                session.delete(row)
                changed += 1
            continue
        if row is None:
            session.add(
                PanelScore(
                    session_id=seminar.id,
                    group_id=item.group_id,
                    panelist_id=panelist.id,
                    score=value,
                    comment=item.comment.strip(),
                    scored_at=now,
                )
            )
            changed += 1
        elif row.score != value or row.comment != item.comment.strip():
            row.score, row.comment, row.scored_at = value, item.comment.strip(), now
            changed += 1
    session.flush()
    return changed


def presentation_scores(session: Session, visit_ids: Sequence[int]) -> dict[int, Fraction]:
    """Per group of these visits: the exact mean of its panel's scores, for groups every panel member
    of their session has scored (two queries). Unrounded: the group score rounds once."""
    if not visit_ids:
        return {}
    panels: dict[int, set[int]] = {}
    group_session: dict[int, int] = {}
    for session_id, user_id in session.execute(
        select(PanelMember.session_id, PanelMember.user_id)
        .join(SeminarSession, SeminarSession.id == PanelMember.session_id)
        .where(SeminarSession.visit_id.in_(list(visit_ids)))
    ):
        panels.setdefault(session_id, set()).add(user_id)
    for session_id, group_id in session.execute(
        select(SeminarSlot.session_id, SeminarSlot.group_id).where(SeminarSlot.visit_id.in_(list(visit_ids)))
    ):
        group_session[group_id] = session_id
    given: dict[int, dict[int, Decimal]] = {}
    for group_id, panelist_id, score in session.execute(
        select(PanelScore.group_id, PanelScore.panelist_id, PanelScore.score)
        .join(
            SeminarSlot,
            (SeminarSlot.group_id == PanelScore.group_id) & (SeminarSlot.session_id == PanelScore.session_id),
        )
        .where(SeminarSlot.visit_id.in_(list(visit_ids)))
    ):
        given.setdefault(group_id, {})[panelist_id] = score
    out: dict[int, Fraction] = {}
    for group_id, session_id in group_session.items():
        panel = panels.get(session_id, set())
        scores = given.get(group_id, {})
        if panel and panel <= set(scores):
            out[group_id] = sum((exact(scores[p]) for p in panel), Fraction(0)) / len(panel)
    return out


def slot_of_group(session: Session, group_id: int) -> SeminarSlot | None:
    """When and where a group presents (its session, with the session's other groups in order)."""
    return session.scalar(
        select(SeminarSlot)
        .where(SeminarSlot.group_id == group_id)
        .options(selectinload(SeminarSlot.session).selectinload(SeminarSession.slots).selectinload(SeminarSlot.group))
    )


def scoring_progress(session: Session, visit_id: int) -> dict[int, int]:
    """Per group of the visit: how many panel scores it has (one query)."""
    return dict(
        session.execute(
            select(PanelScore.group_id, func.count())
            .join(
                SeminarSlot,
                (SeminarSlot.group_id == PanelScore.group_id) & (SeminarSlot.session_id == PanelScore.session_id),
            )
            .where(SeminarSlot.visit_id == visit_id)
            .group_by(PanelScore.group_id)
        ).all()
    )
