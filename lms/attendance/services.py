"""Attendance: the timetable of a cohort, the attendance sheet of a session, and the totals.

A peserta's attendance is the share of the recorded JP (jam pelajaran) they were *hadir* for: izin,
sakit and alpa all count as absent (the minimum a program sets is about presence, whatever the
reason). Only sessions whose attendance has been recorded count, and for each peserta only the
sessions they have a record for (someone enrolled after a session was recorded is not marked
absent for it).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session, selectinload

from lms.attendance.models import AttendanceRecord, ClassSession, Presence
from lms.cohorts.models import Cohort, Membership, Role
from lms.core.errors import Conflict, DomainError
from lms.core.scores import half_up
from lms.core.spreadsheet import csv_writer, guard
from lms.db import changed_rows, utcnow
from lms.users.models import User

MAX_JP = 20  # a whole training day is at most about 12 JP; more is a typing mistake

PRESENCE_LABELS = {
    Presence.HADIR: _l("Present"),
    Presence.IZIN: _l("Excused"),
    Presence.SAKIT: _l("Sick"),
    Presence.ALPA: _l("Absent"),
}
# One letter per status on the phone's buttons (H, I, S, A are what attendance lists use).
PRESENCE_SHORT = {Presence.HADIR: "H", Presence.IZIN: "I", Presence.SAKIT: "S", Presence.ALPA: "A"}


@dataclass(frozen=True)
class AttendanceTotal:
    """A peserta's attendance in a cohort: JP attended of JP recorded, and the percentage (two
    places, half-up; None while nothing is recorded for them)."""

    jp_present: int
    jp_total: int
    percent: Decimal | None


@dataclass(frozen=True)
class TeachingHours:
    """What one widyaiswara taught in a cohort."""

    instructor: User
    sessions: int
    jp: int
    sessions_missed: int
    jp_missed: int


# -- the timetable -------------------------------------------------------------------------------


def sessions(session: Session, cohort: Cohort) -> list[ClassSession]:
    """The cohort's sessions in the order they happen."""
    return list(
        session.scalars(
            select(ClassSession)
            .where(ClassSession.cohort_id == cohort.id)
            .order_by(ClassSession.day, ClassSession.starts_at, ClassSession.id)
        )
    )


def instructors(session: Session, cohort: Cohort) -> list[User]:
    """The cohort's widyaiswara (its instructors), by name: who may be set on a session."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort.id, Membership.role == Role.INSTRUCTOR)
            .order_by(func.lower(User.name), User.id)
        )
    )


def save_session(
    session: Session,
    cohort: Cohort,
    class_session: ClassSession | None,
    *,
    day: date,
    starts_at: time,
    ends_at: time,
    jp: int,
    topic: str,
    instructor_id: int | None,
) -> ClassSession:
    """Create (``class_session`` None) or change a session of ``cohort``."""
    if ends_at <= starts_at:
        raise DomainError(_l("The session must end after it starts."), field="ends_at")
    if not 1 <= jp <= MAX_JP:
        raise DomainError(_l("A session has between 1 and %(max)s JP.", max=MAX_JP), field="jp")
    topic = topic.strip()
    if not topic:
        raise DomainError(_l("Give the session's topic."), field="topic")
    if instructor_id is not None and instructor_id not in {u.id for u in instructors(session, cohort)}:
        raise DomainError(_l("Choose a widyaiswara of this cohort."), field="instructor_id")
    if class_session is None:
        class_session = ClassSession(cohort_id=cohort.id, version=0, instructor_present=True)
        session.add(class_session)
    class_session.day, class_session.starts_at, class_session.ends_at = day, starts_at, ends_at
    class_session.jp, class_session.topic, class_session.instructor_id = jp, topic[:200], instructor_id
    session.flush()
    return class_session


def delete_session(session: Session, class_session: ClassSession) -> None:
    """Remove a session and its attendance (it leaves every total)."""
    session.delete(class_session)
    session.flush()


# -- the attendance sheet ------------------------------------------------------------------------


def participants(session: Session, cohort: Cohort) -> list[User]:
    """The cohort's peserta by name, with their profiles."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
            .options(selectinload(User.profile))
            .order_by(func.lower(User.name), User.id)
        )
    )


def sheet(session: Session, class_session: ClassSession, people: Iterable[User]) -> list[tuple[User, Presence]]:
    """Each peserta with their recorded status; *hadir* for anyone not recorded yet (the default a
    recorder changes only for those who are not there)."""
    recorded = {
        person_id: status
        for person_id, status in session.execute(
            select(AttendanceRecord.participant_id, AttendanceRecord.status).where(
                AttendanceRecord.session_id == class_session.id
            )
        )
    }
    return [(person, Presence(recorded.get(person.id, Presence.HADIR))) for person in people]


def record(
    session: Session,
    class_session: ClassSession,
    actor: User,
    *,
    version: int,
    statuses: Mapping[int, Presence],
    instructor_present: bool,
) -> ClassSession:
    """Save the attendance of every peserta of the session's cohort in one go.

    ``version`` is the sheet's version the recorder saw: if someone saved in between, nothing is
    saved and :class:`Conflict` (409) says so. Peserta missing from ``statuses`` are *hadir*.
    """
    cohort_people = {p.id for p in participants(session, class_session.cohort)}
    strangers = set(statuses) - cohort_people
    if strangers:
        raise DomainError(_l("The list contains people who are not peserta of this cohort; reload the page."))
    # Claim the sheet first: one of two recorders saving at once moves the version on, the other
    # finds it moved (PostgreSQL's row lock, SQLite's write lock) and saves nothing.
    claimed = changed_rows(
        session,
        update(ClassSession)
        .where(ClassSession.id == class_session.id, ClassSession.version == version)
        .values(
            version=ClassSession.version + 1,
            recorded_at=utcnow(),
            recorded_by_id=actor.id,
            instructor_present=instructor_present,
        )
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        raise Conflict(
            _l(
                "Someone else saved this attendance list while you were filling it in; yours was not "
                "saved. Check the list as it is now and save again."
            )
        )
    existing = {
        r.participant_id: r
        for r in session.scalars(select(AttendanceRecord).where(AttendanceRecord.session_id == class_session.id))
    }
    for person_id in sorted(cohort_people):
        status = statuses.get(person_id, Presence.HADIR)
        row = existing.get(person_id)
        if row is None:
            session.add(AttendanceRecord(session_id=class_session.id, participant_id=person_id, status=status))
        elif row.status != status:
            row.status = status
    session.flush()
    session.refresh(class_session)
    return class_session


def own_sheet(session: Session, cohort: Cohort, person: User) -> list[tuple[ClassSession, Presence | None]]:
    """Every session of ``cohort`` with ``person``'s status (None: not recorded for them)."""
    recorded = {
        session_id: status
        for session_id, status in session.execute(
            select(AttendanceRecord.session_id, AttendanceRecord.status)
            .join(ClassSession, ClassSession.id == AttendanceRecord.session_id)
            .where(ClassSession.cohort_id == cohort.id, AttendanceRecord.participant_id == person.id)
        )
    }
    return [(s, Presence(recorded[s.id]) if s.id in recorded else None) for s in sessions(session, cohort)]


# -- totals --------------------------------------------------------------------------------------


def percent(present: int, total: int) -> Decimal | None:
    if total <= 0:
        return None
    return half_up(Fraction(present * 100, total))


def attendance_totals(session: Session, cohort: Cohort) -> dict[int, AttendanceTotal]:
    """Every peserta of ``cohort`` (by user id) with their attendance, in two queries."""
    people = session.scalars(
        select(Membership.user_id).where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
    ).all()
    sums = {
        row[0]: (int(row[1] or 0), int(row[2] or 0))
        for row in session.execute(
            select(
                AttendanceRecord.participant_id,
                func.sum(case((AttendanceRecord.status == Presence.HADIR, ClassSession.jp), else_=0)),
                func.sum(ClassSession.jp),
            )
            .join(ClassSession, ClassSession.id == AttendanceRecord.session_id)
            .where(ClassSession.cohort_id == cohort.id, ClassSession.recorded_at.is_not(None))
            .group_by(AttendanceRecord.participant_id)
        )
    }
    totals: dict[int, AttendanceTotal] = {}
    for user_id in people:
        present, total = sums.get(user_id, (0, 0))
        totals[user_id] = AttendanceTotal(jp_present=present, jp_total=total, percent=percent(present, total))
    return totals


def below_minimum(total: AttendanceTotal, minimum: Decimal | None) -> bool:
    """Whether an attendance falls under a program's minimum (never while nothing is recorded)."""
    return minimum is not None and total.percent is not None and total.percent < minimum


def teaching_hours(session: Session, cohort: Cohort) -> list[TeachingHours]:
    """Per widyaiswara of the cohort's sessions: sessions and JP taught, and those they missed."""
    rows = session.execute(
        select(
            ClassSession.instructor_id,
            func.sum(case((ClassSession.instructor_present.is_(True), 1), else_=0)),
            func.sum(case((ClassSession.instructor_present.is_(True), ClassSession.jp), else_=0)),
            func.sum(case((ClassSession.instructor_present.is_(True), 0), else_=1)),
            func.sum(case((ClassSession.instructor_present.is_(True), 0), else_=ClassSession.jp)),
        )
        .where(ClassSession.cohort_id == cohort.id, ClassSession.instructor_id.is_not(None))
        .group_by(ClassSession.instructor_id)
    ).all()
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_([r[0] for r in rows])).options(selectinload(User.profile))
        )
    }
    result = [
        TeachingHours(people[r[0]], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
        for r in rows
        if r[0] in people
    ]
    return sorted(result, key=lambda t: (t.instructor.name.lower(), t.instructor.id))


def teaching_hours_csv(session: Session, cohort: Cohort) -> bytes:
    """The widyaiswara's teaching hours as CSV (UTF-8 with BOM, so that Excel reads the names)."""
    out = io.StringIO(newline="")
    writer = csv_writer(out)
    writer.writerow(
        [
            str(_l("Widyaiswara")),
            "NIP",
            str(_l("Sessions taught")),
            str(_l("JP taught")),
            str(_l("Sessions missed")),
            str(_l("JP missed")),
        ]
    )
    for row in teaching_hours(session, cohort):
        profile = row.instructor.profile
        writer.writerow(
            [
                guard(row.instructor.name),
                profile.nip if profile else "",
                row.sessions,
                row.jp,
                row.sessions_missed,
                row.jp_missed,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ = [
    "AttendanceTotal",
    "TeachingHours",
    "attendance_totals",
    "below_minimum",
    "record",
    "save_session",
    "sessions",
    "sheet",
    "teaching_hours",
    "teaching_hours_csv",
]


def sessions_of(cohort: Cohort) -> Select[ClassSession]:
    """The cohort's sessions in timetable order, as a statement to paginate."""
    return (
        select(ClassSession)
        .where(ClassSession.cohort_id == cohort.id)
        .order_by(ClassSession.day, ClassSession.starts_at, ClassSession.id)
    )
