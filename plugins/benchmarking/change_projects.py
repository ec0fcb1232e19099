"""A practice carried into the peserta's *aksi perubahan* (change project): a structured record —
its title, the stage the project has reached and the mentor who approves it — instead of a free-text
link, so that staff, mentors and the implementation figures read the same thing. Services flush,
never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.core.errors import DomainError
from lms.users.models import User
from plugins.benchmarking.models import ChangeProjectLink, ChangeProjectStage, Mentor, Practice

STAGE_LABELS = {
    ChangeProjectStage.PLANNED: _l("Designed, approved by the mentor"),
    ChangeProjectStage.SHORT_TERM: _l("Short-term milestone"),
    ChangeProjectStage.MEDIUM_TERM: _l("Medium-term milestone"),
    ChangeProjectStage.LONG_TERM: _l("Long-term milestone"),
    ChangeProjectStage.DONE: _l("Completed"),
}


def save(
    session: Session,
    practice: Practice,
    actor: User,
    *,
    title: str,
    stage: str,
    mentor_id: int | None,
    now: datetime,
) -> ChangeProjectLink:
    """Link (or re-link) the author's practice to their aksi perubahan; the mentor, when named, is
    one of the author's own mentors."""
    if practice.participant_id != actor.id:
        raise DomainError(_l("Only the practice's author links it to their aksi perubahan."), status=403)
    if not title.strip():
        raise DomainError(_l("Give the title of your aksi perubahan."), field="title")
    if stage not in {s.value for s in ChangeProjectStage}:
        raise DomainError(_l("Choose the stage your aksi perubahan has reached."), field="stage")
    if (
        mentor_id is not None
        and session.scalar(
            select(Mentor.id).where(Mentor.id == mentor_id, Mentor.participant_id == practice.participant_id)
        )
        is None
    ):
        raise DomainError(_l("Choose one of your mentors."), field="mentor_id")
    link = session.scalar(select(ChangeProjectLink).where(ChangeProjectLink.practice_id == practice.id))
    if link is None:
        link = ChangeProjectLink(practice_id=practice.id)
        session.add(link)
    link.title, link.stage, link.mentor_id, link.updated_at = (
        title.strip()[:300],
        ChangeProjectStage(stage),
        mentor_id,
        now,
    )
    session.flush()
    return link


def links_of(session: Session, practice_ids: Iterable[int]) -> dict[int, ChangeProjectLink]:
    """Each practice's aksi perubahan record with its mentor, in one query."""
    ids = list(practice_ids)
    if not ids:
        return {}
    return {
        link.practice_id: link
        for link in session.scalars(
            select(ChangeProjectLink)
            .where(ChangeProjectLink.practice_id.in_(ids))
            .options(joinedload(ChangeProjectLink.mentor))
        )
    }
