"""Mentors confirm implementation: the peserta's superior, invited by the peserta or the
penyelenggara, answers through a signed, expiring link (the invitation links' mechanism,
lms.invitations.services.sign/unsign) that opens only that peserta's reports of one follow-up round.

A link names the mentor, the round and the mentor's current ``link_nonce``: inviting again makes
every older link worthless; once the round is closed (after its due date) the link is refused (410).
Each answer is recorded with its mentor, time, verdict, comment and round, and the peserta is told.
Services flush, never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.cohorts.models import Cohort, Membership, Role
from lms.core.civil_service import NipError, normalize_nip, validate_nip
from lms.core.emails import clean_email
from lms.core.errors import Conflict, DomainError
from lms.core.numbers import format_date
from lms.core.urls import path_for
from lms.invitations.services import LinkRefused, sign, unsign
from lms.mail.services import absolute_url, queue_mail
from lms.notifications.services import notify
from lms.users.models import User
from plugins.benchmarking import settings
from plugins.benchmarking.models import (
    Attachment,
    Followup,
    FollowupRound,
    Mentor,
    MentorReview,
    MentorVerdict,
    Practice,
)

LINK_PURPOSE = "benchmarking.mentor"
LINK_DAYS = 60  # a link older than this is refused even while its round is open
# One notification kind per answer, so each says in the peserta's language what the mentor answered.
ANSWER_KINDS = {verdict: f"benchmarking.mentor_{verdict.value}" for verdict in MentorVerdict}

VERDICT_LABELS = {
    MentorVerdict.CONFIRMED: _l("confirmed"),
    MentorVerdict.DISPUTED: _l("disputed"),
    MentorVerdict.MORE_EVIDENCE: _l("asks for more evidence"),
}


def is_closed(round_: FollowupRound, today: date) -> bool:
    return round_.due_on is not None and today > round_.due_on


def participant_of(session: Session, round_: FollowupRound, user_id: int) -> User:
    """The peserta ``user_id`` of the round's cohort; 404 for anyone else (a form cannot name
    someone of another cohort)."""
    user = session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, Membership.cohort_id == round_.cohort_id, Membership.role == Role.PARTICIPANT)
    )
    if user is None:
        raise DomainError(_l("This person is not a participant of this cohort."), status=404)
    return user


def invite(
    session: Session,
    round_: FollowupRound,
    participant_id: int,
    actor: User,
    *,
    name: str,
    nip: str,
    position: str,
    email: str,
    today: date,
    now: datetime,
) -> Mentor:
    """Record (or update) the peserta's mentor and e-mail them a fresh link to this round; older
    links of this mentor stop working."""
    participant = participant_of(session, round_, participant_id)
    if is_closed(round_, today):
        raise Conflict(_l("This follow-up round is closed: a mentor can no longer answer in it."))
    if not name.strip():
        raise DomainError(_l("Give the mentor's name."), field="name")
    address = clean_email(email, field="email")
    if address == (participant.email or "").lower():
        raise DomainError(_l("Your mentor is someone else: give your superior's e-mail address."), field="email")
    clean_nip = ""
    if normalize_nip(nip):
        try:
            clean_nip = validate_nip(nip)
        except NipError as error:
            raise DomainError(error.args[0], field="nip") from None
    mentor = session.scalar(select(Mentor).where(Mentor.participant_id == participant.id, Mentor.email == address))
    if mentor is None:
        mentor = Mentor(participant_id=participant.id, email=address)
        session.add(mentor)
    mentor.name, mentor.nip, mentor.position = name.strip(), clean_nip, position.strip()
    mentor.link_nonce = secrets.token_hex(16)
    mentor.invited_by_id, mentor.invited_at = actor.id, now
    session.flush()
    cohort = session.get(Cohort, round_.cohort_id)
    assert cohort is not None  # the round's foreign key
    locale = current_app.config["DEFAULT_LOCALE"]  # a mentor has no account, hence no language of their own
    with force_locale(locale):
        due = format_date(round_.due_on) if round_.due_on else ""
    queue_mail(
        session,
        to=mentor.email,
        template="benchmarking_mentor",
        locale=locale,
        purpose=LINK_PURPOSE,
        subject=_l("%(name)s asks you to confirm what they implemented", name=participant.name),
        context={
            "name": mentor.name,
            "participant": participant.name,
            "program": cohort.program.name,
            "cohort": cohort.title,
            "round": round_.title,
            "activity": settings.activity_name(session, cohort),
            "due": due,
            "link": absolute_url("benchmarking_practices.mentor", token=link_for(mentor, round_)),
        },
    )
    return mentor


def link_for(mentor: Mentor, round_: FollowupRound) -> str:
    return sign(LINK_PURPOSE, {"m": mentor.id, "r": round_.id, "n": mentor.link_nonce})


def open_link(session: Session, token: str, today: date) -> tuple[Mentor, FollowupRound]:
    """The mentor and round of a valid link; :class:`LinkRefused` (410) when it is expired, forged,
    replaced by a newer invitation, or its round is closed."""
    data = unsign(
        LINK_PURPOSE,
        token,
        timedelta(days=LINK_DAYS),
        expired=_l("This link has expired. Ask the participant for a new one."),
        invalid=_l("This link is not valid."),
    )
    mentor = session.get(Mentor, data.get("m")) if isinstance(data.get("m"), int) else None
    round_ = session.get(FollowupRound, data.get("r")) if isinstance(data.get("r"), int) else None
    if mentor is None or round_ is None or data.get("n") != mentor.link_nonce:
        raise LinkRefused(_l("This link has been replaced by a newer invitation, or is not valid."), expired=False)
    if is_closed(round_, today):
        assert round_.due_on is not None
        raise LinkRefused(
            _l(
                "The follow-up round %(round)s closed on %(day)s: its answers can no longer be given.",
                round=round_.title,
                day=format_date(round_.due_on),
            ),
            expired=True,
        )
    return mentor, round_


def reports_for(session: Session, mentor: Mentor, round_: FollowupRound) -> list[Followup]:
    """The mentor's peserta's reports in this round, and nothing of anyone else."""
    return list(
        session.scalars(
            select(Followup)
            .join(Practice, Practice.id == Followup.practice_id)
            .where(Followup.round_id == round_.id, Practice.participant_id == mentor.participant_id)
            .options(joinedload(Followup.practice))
            .order_by(Practice.id)
        )
    )


def answer(
    session: Session,
    mentor: Mentor,
    round_: FollowupRound,
    followup_id: int,
    *,
    verdict: str,
    comment: str,
    now: datetime,
) -> MentorReview:
    """Record the mentor's answer on one report; one answer per version of the report."""
    followup = session.get(Followup, followup_id)
    if followup is None or followup.round_id != round_.id or followup.practice.participant_id != mentor.participant_id:
        raise DomainError(_l("There is no such report."), status=404)
    if verdict not in {v.value for v in MentorVerdict}:
        raise DomainError(_l("Choose your answer."), field="verdict")
    if verdict != MentorVerdict.CONFIRMED and not comment.strip():
        raise DomainError(_l("Say what you see differently, or which evidence is missing."), field="comment")
    if session.scalar(
        select(MentorReview.id).where(
            MentorReview.mentor_id == mentor.id,
            MentorReview.followup_id == followup.id,
            MentorReview.reported_at == followup.reported_at,
        )
    ):
        raise Conflict(_l("You have answered on this report already. A corrected report can be answered again."))
    review = MentorReview(
        mentor_id=mentor.id,
        round_id=round_.id,
        followup_id=followup.id,
        reported_at=followup.reported_at,
        verdict=MentorVerdict(verdict),
        comment=comment.strip(),
        at=now,
    )
    session.add(review)
    session.flush()
    notify(
        session,
        [mentor.participant_id],
        ANSWER_KINDS[review.verdict],
        {"mentor": mentor.name, "practice": followup.practice.title, "round": round_.title, "comment": review.comment},
        link=path_for("benchmarking_practices.report", round_id=round_.id),
        now=now,
    )
    return review


def latest_reviews(session: Session, followup_ids: Iterable[int]) -> dict[int, MentorReview]:
    """Each report's latest mentor answer, in one query."""
    ids = list(followup_ids)
    if not ids:
        return {}
    latest: dict[int, MentorReview] = {}
    for review in session.scalars(
        select(MentorReview)
        .where(MentorReview.followup_id.in_(ids))
        .options(joinedload(MentorReview.mentor))
        .order_by(MentorReview.at, MentorReview.id)
    ):
        latest[review.followup_id] = review
    return latest


def answers_of(session: Session, mentor: Mentor, followup_ids: Iterable[int]) -> dict[int, MentorReview]:
    """The mentor's own latest answer on each of these reports."""
    ids = list(followup_ids)
    if not ids:
        return {}
    return {
        review.followup_id: review
        for review in session.scalars(
            select(MentorReview)
            .where(MentorReview.mentor_id == mentor.id, MentorReview.followup_id.in_(ids))
            .order_by(MentorReview.at, MentorReview.id)
        )
    }


def mentors_of(session: Session, participant_id: int) -> list[Mentor]:
    return list(session.scalars(select(Mentor).where(Mentor.participant_id == participant_id).order_by(Mentor.id)))


def files_of(session: Session, followup_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """The evidence files of these reports, by report, in one query."""
    ids = list(followup_ids)
    out: dict[int, list[Attachment]] = {i: [] for i in ids}
    if not ids:
        return out
    for attachment in session.scalars(
        select(Attachment).where(Attachment.followup_id.in_(ids)).order_by(Attachment.id)
    ):
        assert attachment.followup_id is not None  # the query's condition
        out[attachment.followup_id].append(attachment)
    return out


def file_for(session: Session, mentor: Mentor, round_: FollowupRound, attachment_id: int) -> Attachment | None:
    """An evidence file the mentor's link may open: one of their peserta's reports in this round;
    None for anything else (another peserta's, another round's, a practice's own file)."""
    return session.scalar(
        select(Attachment)
        .join(Followup, Followup.id == Attachment.followup_id)
        .join(Practice, Practice.id == Followup.practice_id)
        .where(
            Attachment.id == attachment_id,
            Followup.round_id == round_.id,
            Practice.participant_id == mentor.participant_id,
        )
    )
