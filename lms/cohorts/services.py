"""Programs, cohorts and memberships. Services flush, never commit; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from lms.assessments.models import Assessment, Submission
from lms.cohorts.models import Cohort, CohortStatus, Membership, Program, Role
from lms.core.civil_service import NipError, validate_nip
from lms.core.emails import email_key
from lms.core.errors import Conflict, DomainError
from lms.core.predicates import DEFAULT_BANDS, Band
from lms.core.scores import half_up
from lms.db import changed_rows
from lms.users import services as users
from lms.users.models import ParticipantProfile, User

STATUS_LABELS = {
    CohortStatus.PLANNED: _l("Planned"),
    CohortStatus.RUNNING: _l("Running"),
    CohortStatus.FINISHED: _l("Finished"),
    CohortStatus.CLOSED: _l("Closed"),
}
# The choice, in the cohort forms, of letting the status follow the dates.
FOLLOW_DATES = "auto"
ROLE_LABELS = {
    Role.PARTICIPANT: _l("Participant"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.COORDINATOR: _l("Program manager"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(CohortStatus(status), status))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(Role(role), role))


# -- programs ------------------------------------------------------------------------------------


def save_program(
    session: Session,
    program: Program | None,
    *,
    code: str,
    name: str,
    description: str = "",
    bands: list[Band] | None = None,
    actor: User | None = None,
    attendance_minimum: Decimal | None = None,
    show_rank: bool = False,
) -> Program:
    """Create (``program`` None) or update a program; codes are unique, upper-cased.

    The ``actor`` who creates a program is recorded: they may edit it until a cohort uses it.
    """
    code = code.strip().upper()
    if not code or not name.strip():
        raise DomainError(_l("Code and name are required."), field="code" if not code else "name")
    clash = session.scalar(select(Program).where(func.upper(Program.code) == code))
    if clash is not None and (program is None or clash.id != program.id):
        raise Conflict(_l("Another program already uses the code %(code)s.", code=code), field="code")
    if program is None:
        program = Program(code=code, name=name.strip(), created_by_id=actor.id if actor is not None else None)
        session.add(program)
    program.code, program.name, program.description = code, name.strip(), description.strip()
    program.predicate_bands = list(bands or DEFAULT_BANDS)
    program.attendance_minimum = None if attendance_minimum is None else half_up(attendance_minimum)
    program.show_rank = bool(show_rank)
    session.flush()
    return program


def visible_programs(session: Session, user: User, cohort_ids: Iterable[int]) -> list[Program]:
    """All programs for admins and managers; for other staff, the programs of their cohorts."""
    stmt = select(Program).order_by(Program.code)
    if not (user.is_admin or user.is_manager):
        ids = list(cohort_ids)
        stmt = stmt.where(Program.id.in_(select(Cohort.program_id).where(Cohort.id.in_(ids))))
    return list(session.scalars(stmt))


# -- cohorts -------------------------------------------------------------------------------------


def save_cohort(
    session: Session,
    cohort: Cohort | None,
    *,
    program: Program,
    actor: User | None,
    name: str,
    year: int,
    start_date: date | None,
    end_date: date | None,
    location: str = "",
    status: CohortStatus | None = None,
    today: date | None = None,
) -> Cohort:
    """Create or update a cohort; the creator becomes its coordinator.

    The end date may not come before the start, and a program has one cohort of a name per year.
    ``status`` None lets the status follow the dates (as of ``today``); a status is set by hand.
    """
    name = name.strip()
    if not name:
        raise DomainError(_l("Enter the cohort's name, e.g. Angkatan XII."), field="name")
    if start_date and end_date and end_date < start_date:
        raise DomainError(_l("The end date is before the start date."), field="end_date")
    clash = session.scalar(
        select(Cohort).where(Cohort.program_id == program.id, Cohort.name == name, Cohort.year == year)
    )
    if clash is not None and (cohort is None or clash.id != cohort.id):
        raise Conflict(_l("This program already has a cohort with that name in %(year)s.", year=year), field="name")
    created = cohort is None
    if cohort is None:
        cohort = Cohort(program=program)
        session.add(cohort)
    cohort.name, cohort.year, cohort.location = name, year, location.strip()
    cohort.start_date, cohort.end_date = start_date, end_date
    set_status(session, cohort, status, today)
    if created and actor is not None:
        add_member(session, cohort, actor, Role.COORDINATOR)
    return cohort


def set_status(session: Session, cohort: Cohort, status: CohortStatus | None, today: date | None = None) -> None:
    """Set the status by hand, or with None let it follow the cohort's dates as of ``today``."""
    cohort.status_by_hand = status is not None
    if status is None:
        cohort.status = status_from_dates(cohort.start_date, cohort.end_date, today or date.today(), cohort.status)
    else:
        cohort.status = CohortStatus(status)
    session.flush()


def status_from_dates(
    start: date | None, end: date | None, today: date, current: CohortStatus | None = None
) -> CohortStatus:
    """Planned before the start date, running from it, finished after the end date; without a start
    date the cohort stays as it is (planned when new). Never closed: closing is a coordinator's act."""
    if start is None:
        return current if current is not None and current != CohortStatus.CLOSED else CohortStatus.PLANNED
    if today < start:
        return CohortStatus.PLANNED
    if end is not None and today > end:
        return CohortStatus.FINISHED
    return CohortStatus.RUNNING


def follow_dates(session: Session, today: date) -> int:
    """Bring every cohort whose status follows its dates up to ``today`` (three UPDATEs whatever the
    number of cohorts; run hourly by the job queue and by the demo). Returns how many changed."""
    automatic = (Cohort.status_by_hand.is_(False), Cohort.start_date.is_not(None))
    running = (Cohort.start_date <= today) & (Cohort.end_date.is_(None) | (Cohort.end_date >= today))
    changed = 0
    for status, when in (
        (CohortStatus.PLANNED, Cohort.start_date > today),
        (CohortStatus.RUNNING, running),
        (CohortStatus.FINISHED, Cohort.end_date < today),
    ):
        changed += changed_rows(
            session,
            update(Cohort)
            .where(*automatic, when, Cohort.status != status)
            .values(status=status)
            .execution_options(synchronize_session="fetch"),
        )
    return changed


def ensure_editable(cohort: Cohort) -> None:
    if cohort.status == CohortStatus.CLOSED:
        raise Conflict(_l("This cohort is closed and read-only. Reopen it to make changes."))


# -- memberships ---------------------------------------------------------------------------------


def add_member(session: Session, cohort: Cohort, user: User, role: Role) -> Membership:
    """Give ``user`` a role in the cohort. A participant cannot also be staff of the same cohort."""
    ensure_editable(cohort)
    role = Role(role)
    existing = {
        Role(r)
        for r in session.scalars(
            select(Membership.role).where(Membership.cohort_id == cohort.id, Membership.user_id == user.id)
        )
    }
    if role in existing:
        raise Conflict(_l("%(name)s already has this role in the cohort.", name=user.name))
    if role == Role.PARTICIPANT and existing:
        raise Conflict(_l("%(name)s is staff of this cohort and cannot also be a participant.", name=user.name))
    if role != Role.PARTICIPANT and Role.PARTICIPANT in existing:
        raise Conflict(_l("%(name)s is a participant of this cohort and cannot also be staff.", name=user.name))
    membership = Membership(cohort=cohort, user=user, role=role)
    session.add(membership)
    session.flush()
    return membership


def participant_memberships(session: Session, cohort: Cohort, user_ids: Iterable[int]) -> list[Membership]:
    """The cohort's participants among ``user_ids``, by name; ids of anyone else are ignored, so a
    ticked list from a form never reaches people of another cohort."""
    ids = [i for i in user_ids if isinstance(i, int)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT, Membership.user_id.in_(ids))
            .options(joinedload(Membership.user))
            .order_by(User.name, User.id)
        )
    )


def remove_members(session: Session, memberships: Iterable[Membership]) -> int:
    """End several memberships at once (all or none: a refusal rolls the request back)."""
    count = 0
    for membership in memberships:
        remove_member(session, membership)
        count += 1
    return count


def remove_member(session: Session, membership: Membership) -> None:
    """End a membership; the last program manager of a cohort cannot be removed."""
    ensure_editable(membership.cohort)
    if membership.role == Role.COORDINATOR:
        others = session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.cohort_id == membership.cohort_id,
                Membership.role == Role.COORDINATOR,
                Membership.id != membership.id,
            )
        )
        if not others:
            raise Conflict(_l("A cohort needs at least one program manager: add another one first."))
    session.delete(membership)
    session.flush()


# Said instead of any detail when a NIP or email matches an account the actor may not see: it names
# neither the field nor the person, so enrolment cannot be used to look people up.
NOT_ENROLLABLE = _l("This NIP or email cannot be used to enrol someone as typed. Check both, or ask an administrator.")
STAFF_NOT_PARTICIPANT = _l(
    "This person is staff (an administrator, program manager or instructor) and cannot be "
    "enrolled as a participant; ask an administrator."
)


@dataclass(frozen=True)
class Match:
    """Whom a typed NIP and email would enrol: an account (``user_id``) or a new one (None)."""

    user_id: int | None = None
    known: bool = False  # the actor may already see this person (shown as "exists, will be linked")
    error: Any = None  # why this NIP/email cannot be enrolled by this actor


def trusted(actor: User | None) -> bool:
    """Admins, and the system itself (CLI, demo data: no actor), may see and edit every account."""
    return actor is None or bool(actor.is_admin)


def known_people(session: Session, actor: User | None, user_ids: Iterable[int]) -> set[int]:
    """Of ``user_ids``, the people ``actor`` may already see: members of a cohort the actor teaches
    or coordinates (rule ``user.view``); everyone for admins and the system. One query."""
    ids = list(user_ids)
    if trusted(actor) or not ids:
        return set(ids)
    assert actor is not None
    taught = select(Membership.cohort_id).where(Membership.user_id == actor.id, Membership.role != Role.PARTICIPANT)
    return set(
        session.scalars(
            select(Membership.user_id).where(Membership.user_id.in_(ids), Membership.cohort_id.in_(taught)).distinct()
        )
    )


def staff_accounts(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Of ``user_ids``, the staff accounts: admins, program managers, and anyone who is instructor or
    coordinator of any cohort. One query."""
    ids = list(user_ids)
    if not ids:
        return set()
    teaching = select(Membership.user_id).where(Membership.role != Role.PARTICIPANT)
    return set(
        session.scalars(
            select(User.id).where(User.id.in_(ids), or_(User.is_admin, User.is_manager, User.id.in_(teaching)))
        )
    )


def match_participant(
    actor: User | None,
    *,
    nip: str,
    email: str,
    by_nip: tuple[int, str] | None,
    by_email: tuple[int, str | None] | None,
    known: set[int],
    staff: set[int],
) -> Match:
    """Decide whom a typed NIP and email enrol, for ``actor``; the one rule enrolment and roster share.

    ``by_nip`` is (user id, email) of the account with this NIP; ``by_email`` (user id, NIP or None)
    of the account with this email. An existing account is matched on its NIP and never changed by
    a non-admin. For people the actor may not see, every refusal is :data:`NOT_ENROLLABLE`, and an
    account is linked only when the typed email is the account's own (the actor knows both already).
    """
    see_all = trusted(actor)

    def refuse(specific: Any, *ids: int) -> Match:
        visible = see_all or all(i in known for i in ids)
        return Match(error=specific if visible else NOT_ENROLLABLE)

    if by_nip is not None and by_email is not None and by_nip[0] != by_email[0]:
        return refuse(_l("The email belongs to another person than the NIP."), by_nip[0], by_email[0])
    if by_nip is None and by_email is None:
        return Match()
    user_id = by_nip[0] if by_nip is not None else by_email[0]  # type: ignore[index]
    if by_nip is None and by_email is not None and by_email[1] is not None and by_email[1] != nip:
        return refuse(_l("The email belongs to a person with another NIP."), user_id)
    if see_all:
        return Match(user_id=user_id, known=True)
    is_known = user_id in known
    if user_id in staff:
        return refuse(STAFF_NOT_PARTICIPANT, user_id)
    if by_nip is None:
        # An account without a NIP: giving it one would change a profile the actor does not own.
        return refuse(_l("This account has no NIP yet: an administrator can add it, then enrol the person."), user_id)
    if not is_known and email_key(by_nip[1]) != email_key(email):
        return Match(error=NOT_ENROLLABLE)
    return Match(user_id=user_id, known=is_known)


class ConfirmPerson(DomainError):
    """The NIP belongs to someone the actor knows: show who, and enrol only once confirmed."""

    status = 200

    def __init__(self, person: User) -> None:
        super().__init__(
            _l(
                "This NIP belongs to %(name)s (%(email)s), who already takes part in your cohorts. "
                "Enrol this person? Their name, email and profile stay as they are.",
                name=person.name,
                email=person.email,
            )
        )
        self.person = person


def enrol_participant(
    session: Session,
    cohort: Cohort,
    *,
    email: str,
    name: str,
    nip: str,
    instansi: str = "",
    unit: str = "",
    jabatan: str = "",
    golongan: str | None = None,
    actor: User | None = None,
    confirm_nip: str | None = None,
) -> Membership:
    """Enrol one person: found by NIP (see :func:`match_participant`), else created; never duplicated.

    An existing person is linked as they are: only admins (and the system, ``actor`` None) update
    their profile. When ``actor`` may see the person, they must confirm first: the call raises
    :class:`ConfirmPerson` unless ``confirm_nip`` is this NIP.
    """
    ensure_editable(cohort)

    try:
        clean_nip = validate_nip(nip)
    except NipError as exc:
        raise DomainError(exc.args[0], field="nip") from None
    found = session.scalar(select(User).join(ParticipantProfile).where(ParticipantProfile.nip == clean_nip))
    other = users.find_by_email(session, email)
    ids = {u.id for u in (found, other) if u is not None}
    match = match_participant(
        actor,
        nip=clean_nip,
        email=email,
        by_nip=(found.id, found.email) if found is not None else None,
        by_email=(other.id, other.profile.nip if other.profile else None) if other is not None else None,
        known=known_people(session, actor, ids),
        staff=staff_accounts(session, ids),
    )
    if match.error is not None:
        raise Conflict(match.error)
    if match.user_id is None:
        created = users.create_user(session, email=email, name=name)
        users.save_profile(
            session, created, nip=clean_nip, instansi=instansi, unit=unit, jabatan=jabatan, golongan=golongan
        )
        return add_member(session, cohort, created, Role.PARTICIPANT)
    user = session.get(User, match.user_id)
    assert user is not None
    if trusted(actor):
        users.save_profile(
            session, user, nip=clean_nip, instansi=instansi, unit=unit, jabatan=jabatan, golongan=golongan
        )
    membership = add_member(session, cohort, user, Role.PARTICIPANT)  # "already enrolled" comes first
    if actor is not None and match.known and confirm_nip != clean_nip:
        raise ConfirmPerson(user)  # the caller rolls back: nothing is saved until confirmed
    return membership


def counts_by_cohort(session: Session, cohort_ids: Iterable[int]) -> dict[int, dict[Role, int]]:
    """Members per role for many cohorts in one query."""
    ids = list(cohort_ids)
    counts: dict[int, dict[Role, int]] = {cid: {role: 0 for role in Role} for cid in ids}
    if not ids:
        return counts
    rows = session.execute(
        select(Membership.cohort_id, Membership.role, func.count())
        .where(Membership.cohort_id.in_(ids))
        .group_by(Membership.cohort_id, Membership.role)
    )
    for cohort_id, role, n in rows:
        counts[cohort_id][Role(role)] = n
    return counts


def participant_count(session: Session, cohort_id: int) -> int:
    """How many peserta the cohort has (one COUNT)."""
    return counts_by_cohort(session, [cohort_id])[cohort_id][Role.PARTICIPANT]


def participants(cohort: Cohort, query: str = "") -> Select[Membership]:
    """The cohort's participants with their profiles, searchable by name, email, NIP or agency."""
    stmt = (
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
        .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
        .options(joinedload(Membership.user).selectinload(User.profile))
        .order_by(func.lower(User.name), User.id)
    )
    if query:
        like = f"%{query.strip().lower()}%"
        digits = "".join(ch for ch in query if ch.isdigit())
        conditions = [
            func.lower(User.name).like(like),
            func.lower(User.email).like(like),
            func.lower(ParticipantProfile.instansi).like(like),
        ]
        if len(digits) >= 4:
            conditions.append(ParticipantProfile.nip.like(f"%{digits}%"))
        stmt = stmt.where(or_(*conditions))
    return stmt


def staff(session: Session, cohort: Cohort) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.cohort_id == cohort.id, Membership.role != Role.PARTICIPANT)
            .options(joinedload(Membership.user))
            .order_by(Membership.role, Membership.id)
        )
    )


def delete_cohort(session: Session, cohort: Cohort) -> None:
    """Delete a cohort with all its work in three set-based statements, whatever its size.

    Grades keep their rubric, and assessments theirs, with ``ON DELETE RESTRICT`` (checked at once,
    not at the end of the statement): cascading from the cohort, PostgreSQL may reach the rubrics
    before the grades or assessments that point to them. So the work goes first, in order — the
    submissions of the cohort's assessments (grades, criterion rows, revisions and plugin rows such
    as practices follow by ``ON DELETE CASCADE``), then the assessments, then the cohort
    (memberships, rubrics, plugin rows such as field visits). The people stay: they are accounts,
    not the cohort's. Flushes; the caller commits.
    """
    assessments = select(Assessment.id).where(Assessment.cohort_id == cohort.id).scalar_subquery()
    options = {"synchronize_session": False}
    session.flush()
    session.execute(delete(Submission).where(Submission.assessment_id.in_(assessments)), execution_options=options)
    session.execute(delete(Assessment).where(Assessment.cohort_id == cohort.id), execution_options=options)
    session.execute(delete(Cohort).where(Cohort.id == cohort.id), execution_options=options)
    session.expunge(cohort)
    session.expire_all()  # rows of the cohort the session may still hold are gone
