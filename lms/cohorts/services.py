"""Programs, cohorts and memberships. Services flush, never commit; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from lms.cohorts.models import Cohort, CohortStatus, Membership, Program, Role
from lms.core.errors import Conflict, DomainError
from lms.core.predicates import DEFAULT_BANDS, Band
from lms.users import services as users
from lms.users.models import ParticipantProfile, User

STATUS_LABELS = {
    CohortStatus.PLANNED: _l("Planned"),
    CohortStatus.RUNNING: _l("Running"),
    CohortStatus.CLOSED: _l("Closed"),
}
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
    session: Session, program: Program | None, *, code: str, name: str, description: str = "",
    bands: list[Band] | None = None, actor: User | None = None,
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
    session: Session, cohort: Cohort | None, *, program: Program, actor: User | None, name: str, year: int,
    start_date: date | None, end_date: date | None, location: str = "",
    status: CohortStatus = CohortStatus.PLANNED,
) -> Cohort:
    """Create or update a cohort; the creator becomes its coordinator.

    The end date may not come before the start, and a program has one cohort of a name per year.
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
    cohort.start_date, cohort.end_date, cohort.status = start_date, end_date, CohortStatus(status)
    session.flush()
    if created and actor is not None:
        add_member(session, cohort, actor, Role.COORDINATOR)
    return cohort


def set_status(session: Session, cohort: Cohort, status: CohortStatus) -> None:
    cohort.status = CohortStatus(status)
    session.flush()


def ensure_editable(cohort: Cohort) -> None:
    if cohort.status == CohortStatus.CLOSED:
        raise Conflict(_l("This cohort is closed and read-only. Reopen it to make changes."))


# -- memberships ---------------------------------------------------------------------------------

def add_member(session: Session, cohort: Cohort, user: User, role: Role) -> Membership:
    """Give ``user`` a role in the cohort. A participant cannot also be staff of the same cohort."""
    ensure_editable(cohort)
    role = Role(role)
    existing = {
        Role(r) for r in session.scalars(
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


def remove_member(session: Session, membership: Membership) -> None:
    """End a membership; the last program manager of a cohort cannot be removed."""
    ensure_editable(membership.cohort)
    if membership.role == Role.COORDINATOR:
        others = session.scalar(
            select(func.count()).select_from(Membership).where(
                Membership.cohort_id == membership.cohort_id,
                Membership.role == Role.COORDINATOR,
                Membership.id != membership.id,
            )
        )
        if not others:
            raise Conflict(_l("A cohort needs at least one program manager: add another one first."))
    session.delete(membership)
    session.flush()


def add_staff_by_email(session: Session, cohort: Cohort, email: str, role: Role) -> Membership:
    if Role(role) == Role.PARTICIPANT:
        raise DomainError(_l("Add participants through enrolment or a roster import."), field="role")
    user = users.find_by_email(session, email)
    if user is None:
        raise DomainError(_l("No account has this email. An administrator can create it first."), field="email")
    if not user.active:
        raise DomainError(_l("This account is deactivated."), field="email")
    return add_member(session, cohort, user, role)


def enrol_participant(
    session: Session, cohort: Cohort, *, email: str, name: str, nip: str, instansi: str = "",
    unit: str = "", jabatan: str = "", golongan: str | None = None,
) -> Membership:
    """Enrol one person: found by NIP, else by email, else created; never duplicated."""
    ensure_editable(cohort)
    from lms.core.civil_service import NipError, validate_nip

    try:
        clean_nip = validate_nip(nip)
    except NipError as exc:
        raise DomainError(exc.args[0], field="nip") from None
    by_nip = session.scalar(select(User).join(ParticipantProfile).where(ParticipantProfile.nip == clean_nip))
    by_email = users.find_by_email(session, email)
    if by_nip is not None and by_email is not None and by_nip.id != by_email.id:
        raise Conflict(_l("This NIP and this email belong to two different people."), field="email")
    user = by_nip or by_email
    if user is not None and user.profile is not None and user.profile.nip != clean_nip:
        raise Conflict(_l("This email belongs to a person with another NIP."), field="email")
    if user is None:
        user = users.create_user(session, email=email, name=name)
    users.save_profile(session, user, nip=clean_nip, instansi=instansi, unit=unit, jabatan=jabatan, golongan=golongan)
    return add_member(session, cohort, user, Role.PARTICIPANT)


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


def participants(cohort: Cohort, query: str = "") -> Select[tuple[Membership]]:
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
    return list(session.scalars(
        select(Membership)
        .where(Membership.cohort_id == cohort.id, Membership.role != Role.PARTICIPANT)
        .options(joinedload(Membership.user))
        .order_by(Membership.role, Membership.id)
    ))
