"""Certificates: the program's template, numbering without gaps or duplicates, issuing to the peserta
who passed, revoking, and what the public verification page may show.

Numbers come from a counter row per cohort, locked while numbers are given out (``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite a write to the row takes the database's write lock first). The
certificates and the counter are written in the same transaction, so a failure gives back its
numbers and a second issuer waits, then continues after the last number given.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from lms.attendance.models import ClassSession
from lms.certificates.models import (
    DEFAULT_PATTERN,
    Certificate,
    CertificateCounter,
    CertificateEvent,
    CertificateTemplate,
)
from lms.cohorts.models import Cohort, Program
from lms.core.civil_service import NipError, validate_nip
from lms.core.errors import Conflict, DomainError
from lms.core.logging import security_on_commit
from lms.db import changed_rows, utcnow
from lms.mail.services import absolute_url
from lms.users.models import User

LULUS = "lulus"
BATCH = 20  # certificates numbered per transaction: short locks, visible progress
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 10
PLACEHOLDERS = ("seq", "angkatan", "year", "program")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ROMAN_OR_NUMBER = re.compile(r"^(?:angkatan|batch|kelas)\s+", re.IGNORECASE)


class OutcomeLike(Protocol):
    """What issuing reads of a peserta's outcome (``lms.results.outcomes.Outcome``)."""

    @property
    def status(self) -> str: ...

    @property
    def predikat(self) -> str | None: ...


# -- the template --------------------------------------------------------------------------------


def template_for(session: Session, program: Program) -> CertificateTemplate | None:
    return session.get(CertificateTemplate, program.id)


def check_pattern(pattern: str) -> str:
    """A number pattern with ``{seq}`` and only known placeholders; plain text around them."""
    pattern = pattern.strip()
    if not pattern:
        raise DomainError(_l("Give a number pattern."), field="number_pattern")
    unknown = [name for name in _PLACEHOLDER.findall(pattern) if name not in PLACEHOLDERS]
    if unknown:
        raise DomainError(
            _l("Unknown placeholder {%(name)s}: use {seq}, {angkatan}, {year} and {program}.", name=unknown[0][:20]),
            field="number_pattern",
        )
    if "{seq}" not in pattern:
        raise DomainError(_l("The pattern needs {seq}, the running number."), field="number_pattern")
    if _PLACEHOLDER.sub("", pattern).count("{") or _PLACEHOLDER.sub("", pattern).count("}"):
        raise DomainError(_l("Braces are for placeholders only."), field="number_pattern")
    return pattern


def save_template(
    session: Session,
    program: Program,
    *,
    letterhead: str,
    number_pattern: str,
    signer_name: str,
    signer_nip: str,
    signer_position: str,
    place: str,
) -> CertificateTemplate:
    """Create or change ``program``'s template. Certificates already issued keep their numbers."""
    pattern = check_pattern(number_pattern)
    nip = ""
    if signer_nip.strip():
        try:
            nip = validate_nip(signer_nip)
        except NipError as error:
            raise DomainError(error.args[0], field="signer_nip") from None
    if not signer_name.strip():
        raise DomainError(_l("Give the signing official's name."), field="signer_name")
    template = template_for(session, program)
    if template is None:
        template = CertificateTemplate(program_id=program.id)
        session.add(template)
    template.letterhead = "\n".join(line.strip() for line in letterhead.strip().splitlines())[:2000]
    template.number_pattern, template.signer_name, template.signer_nip = pattern, signer_name.strip(), nip
    template.signer_position, template.place = signer_position.strip(), place.strip()
    session.flush()
    return template


def angkatan_label(cohort: Cohort) -> str:
    """The angkatan as numbers show it: "Angkatan XII" → "XII"."""
    return _ROMAN_OR_NUMBER.sub("", cohort.name.strip()) or cohort.name.strip()


def format_number(pattern: str, seq: int, cohort: Cohort) -> str:
    values = {
        "seq": f"{seq:03d}",
        "angkatan": angkatan_label(cohort),
        "year": str(cohort.year),
        "program": cohort.program.code,
    }
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)


# -- codes ---------------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """A code as typed or scanned ("k7qx-m3pa 9t" → "K7QXM3PA9T"), or None if it cannot be one."""
    text = re.sub(r"[\s-]", "", raw or "").upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def show_code(code: str) -> str:
    """Grouped for reading: "K7QXM-3PA9T"."""
    return f"{code[:5]}-{code[5:]}"


# -- issuing -------------------------------------------------------------------------------------


def _counter(session: Session, cohort: Cohort) -> CertificateCounter:
    """The cohort's counter row, locked until the transaction ends."""
    if session.get(CertificateCounter, cohort.id) is None:
        try:
            with session.begin_nested():
                session.add(CertificateCounter(cohort_id=cohort.id, last_seq=0))
        except IntegrityError:
            pass  # another issuer created it first: lock theirs
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(CertificateCounter).where(CertificateCounter.cohort_id == cohort.id).with_for_update()
    else:
        # SQLite has no row locks: a write takes the database's write lock, held until the commit.
        session.execute(
            update(CertificateCounter)
            .where(CertificateCounter.cohort_id == cohort.id)
            .values(last_seq=CertificateCounter.last_seq)
        )
        stmt = select(CertificateCounter).where(CertificateCounter.cohort_id == cohort.id)
    counter = session.scalars(stmt.execution_options(populate_existing=True)).one()
    return counter


def cohort_jp(session: Session, cohort: Cohort) -> int:
    """The JP of the cohort's timetable, as the certificate states it."""
    return int(
        session.scalar(select(func.coalesce(func.sum(ClassSession.jp), 0)).where(ClassSession.cohort_id == cohort.id))
        or 0
    )


def waiting(session: Session, cohort: Cohort, outcomes: Mapping[int, OutcomeLike]) -> list[int]:
    """Ids of the peserta who passed and have no certificate yet, in a stable order."""
    have = set(session.scalars(select(Certificate.participant_id).where(Certificate.cohort_id == cohort.id)))
    return sorted(uid for uid, outcome in outcomes.items() if outcome.status == LULUS and uid not in have)


def issue_batch(
    session: Session,
    cohort: Cohort,
    actor_id: int | None,
    outcomes: Mapping[int, OutcomeLike],
    *,
    today: date,
    limit: int = BATCH,
) -> list[Certificate]:
    """Number and record up to ``limit`` certificates for peserta who passed and have none yet.

    The caller commits; until then the cohort's counter stays locked.
    """
    template = template_for(session, cohort.program)
    if template is None:
        raise DomainError(_l("Set up the certificate of program %(code)s first.", code=cohort.program.code))
    counter = _counter(session, cohort)
    chosen = waiting(session, cohort, outcomes)[:limit]  # read after the lock: another issuer's are seen
    if not chosen:
        return []
    people = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_(chosen)).options(selectinload(User.profile)))
    }
    jp = cohort_jp(session, cohort)
    issued: list[Certificate] = []
    for uid in chosen:
        person = people.get(uid)
        if person is None:
            continue
        counter.last_seq += 1
        profile = person.profile
        certificate = Certificate(
            cohort_id=cohort.id,
            participant_id=uid,
            seq=counter.last_seq,
            number=format_number(template.number_pattern or DEFAULT_PATTERN, counter.last_seq, cohort)[:120],
            code=new_code(),
            name=person.name,
            nip=profile.nip if profile else "",
            instansi=profile.instansi if profile else "",
            predikat=(outcomes[uid].predikat or "")[:100],
            jp=jp,
            program_name=cohort.program.name,
            angkatan=f"{cohort.name} {cohort.year}",
            start_date=cohort.start_date,
            end_date=cohort.end_date,
            issued_on=today,
            issued_by_id=actor_id,
        )
        session.add(certificate)
        issued.append(certificate)
    session.flush()
    for certificate in issued:
        session.add(CertificateEvent(certificate_id=certificate.id, action="issued", actor_id=actor_id))
    session.flush()
    return issued


def issue_all(
    session: Session,
    cohort: Cohort,
    actor_id: int | None,
    outcomes: Mapping[int, OutcomeLike],
    *,
    today: date,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> int:
    """Issue every missing certificate of ``cohort``, committing after each batch; the number issued."""
    total = len(waiting(session, cohort, outcomes))
    session.commit()  # the read above must not hold a snapshot across the batches' locks
    done = 0
    while True:
        issued = issue_batch(session, cohort, actor_id, outcomes, today=today, limit=batch)
        session.commit()
        if not issued:
            return done
        done += len(issued)
        if progress is not None:
            progress(done, max(total, done))


def revoke(session: Session, certificate: Certificate, actor: User, reason: str) -> Certificate:
    """Revoke a certificate, with the reason; it stays on the verification page as revoked."""
    reason = reason.strip()
    if len(reason) < 5:
        raise DomainError(_l("Say why the certificate is revoked (at least 5 characters)."), field="reason")
    changed = changed_rows(
        session,
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=actor.id, revoke_reason=reason[:500])
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise Conflict(_l("This certificate is already revoked."))
    session.add(
        CertificateEvent(certificate_id=certificate.id, action="revoked", actor_id=actor.id, reason=reason[:500])
    )
    session.flush()
    session.refresh(certificate)
    security_on_commit(session, "certificate_revoked", certificate_id=certificate.id, cohort_id=certificate.cohort_id)
    return certificate


# -- reading -------------------------------------------------------------------------------------


def by_code(session: Session, raw: str) -> Certificate | None:
    code = normalise_code(raw)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def cohort_certificates(session: Session, cohort: Cohort) -> list[Certificate]:
    return list(
        session.scalars(select(Certificate).where(Certificate.cohort_id == cohort.id).order_by(Certificate.seq))
    )


def issued_by_participant(session: Session, cohort: Cohort) -> dict[int, Certificate]:
    """The cohort's valid (not revoked) certificates by peserta id, in one query: for the results
    table, its exports and the API (``{"number", "verify_url"}``)."""
    return {
        c.participant_id: c
        for c in session.scalars(
            select(Certificate).where(Certificate.cohort_id == cohort.id, Certificate.revoked_at.is_(None))
        )
    }


def certificate_of(session: Session, cohort: Cohort, person: User) -> Certificate | None:
    return session.scalar(
        select(Certificate).where(Certificate.cohort_id == cohort.id, Certificate.participant_id == person.id)
    )


def verify_url(certificate: Certificate) -> str:
    """The public verification address (``LMS_BASE_URL`` + ``/verify/<code>``), printed as the QR code."""
    return absolute_url("certificates.verify", code=certificate.code)


def events(session: Session, certificate: Certificate) -> list[CertificateEvent]:
    return list(
        session.scalars(
            select(CertificateEvent)
            .where(CertificateEvent.certificate_id == certificate.id)
            .order_by(CertificateEvent.id)
        )
    )


@dataclass(frozen=True)
class PublicView:
    """Everything the verification page may show (not the reason of a revocation, no NIP, no score)."""

    name: str
    program: str
    angkatan: str
    issued_on: date
    number: str
    valid: bool
    revoked_on: date | None


def public_view(certificate: Certificate) -> PublicView:
    revoked = certificate.revoked_at
    return PublicView(
        name=certificate.name,
        program=certificate.program_name,
        angkatan=certificate.angkatan,
        issued_on=certificate.issued_on,
        number=certificate.number,
        valid=revoked is None,
        revoked_on=revoked.date() if revoked else None,
    )


__all__ = [
    "OutcomeLike",
    "PublicView",
    "by_code",
    "check_pattern",
    "format_number",
    "issue_all",
    "issue_batch",
    "issued_by_participant",
    "new_code",
    "normalise_code",
    "public_view",
    "revoke",
    "save_template",
    "verify_url",
    "waiting",
]
