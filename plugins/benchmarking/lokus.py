"""The lokus of a visit: the places (OPD, units, other hosts) its groups go to, each with its date,
address, contact, what it is chosen for and a briefing document. Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.cohorts.services import ensure_editable
from lms.core import storage
from lms.core.errors import Conflict, DomainError
from plugins.benchmarking.evidence import AREA, check_file, clean_name
from plugins.benchmarking.models import FieldVisit, Host, Lokus, VisitGroup

MAX_LOKUS = 30


@dataclass
class LokusFields:
    host_id: int
    name: str
    visit_date: date | None = None
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    chosen_for: str = ""


def _check(session: Session, visit: FieldVisit, fields: LokusFields, lokus: Lokus | None) -> Host:
    if not fields.name.strip():
        raise DomainError(_l("Name the lokus, for example the OPD or unit visited."), field="name")
    host = session.get(Host, fields.host_id)
    if host is None:
        raise DomainError(_l("Choose a host organisation."), field="host_id")
    if host.archived and (lokus is None or lokus.host_id != host.id):
        raise DomainError(_l("This host is archived; choose another or restore it first."), field="host_id")
    if fields.visit_date is not None and not visit.start_date <= fields.visit_date <= visit.end_date:
        raise DomainError(_l("A lokus is visited between the visit's first and last day."), field="visit_date")
    return host


def save(session: Session, visit: FieldVisit, lokus: Lokus | None, fields: LokusFields) -> Lokus:
    """Add a lokus to the visit, or change one of its lokus."""
    ensure_editable(visit.cohort)
    host = _check(session, visit, fields, lokus)
    if lokus is None:
        count = session.scalar(select(func.count()).where(Lokus.visit_id == visit.id)) or 0
        if count >= MAX_LOKUS:
            raise DomainError(_l("A visit has at most %(n)s lokus.", n=MAX_LOKUS))
        lokus = Lokus(visit_id=visit.id, position=count)
        session.add(lokus)
    elif lokus.visit_id != visit.id:
        raise DomainError(_l("Unknown lokus."), status=404)
    lokus.host_id = host.id
    lokus.name = fields.name.strip()
    lokus.visit_date = fields.visit_date
    lokus.address = fields.address.strip()
    lokus.contact_name = fields.contact_name.strip()
    lokus.contact_phone = fields.contact_phone.strip()
    lokus.chosen_for = fields.chosen_for.strip()
    session.flush()
    return lokus


def delete(session: Session, lokus: Lokus) -> str | None:
    """Remove a lokus (its groups keep their members and go to no lokus); a visit keeps at least one.

    Returns the stored briefing's name, for the caller to remove after the commit.
    """
    visit = lokus.visit
    ensure_editable(visit.cohort)
    if (session.scalar(select(func.count()).where(Lokus.visit_id == visit.id)) or 0) <= 1:
        raise Conflict(_l("A visit goes to at least one lokus; change this one instead."))
    stored = lokus.briefing_stored
    session.delete(lokus)
    session.flush()
    return stored


def set_briefing(session: Session, lokus: Lokus, data: bytes, filename: str | None, max_file: int) -> str | None:
    """Store the lokus's briefing document (PDF, office document or photo) in the one upload store.

    Returns the replaced file's stored name, for the caller to remove after the commit.
    """
    ensure_editable(lokus.visit.cohort)
    kind = check_file(data, max_file)
    stored = storage.put(AREA, data)
    old = lokus.briefing_stored
    try:
        lokus.briefing_stored, lokus.briefing_type = stored, kind
        lokus.briefing_name = clean_name(filename, kind)
        session.flush()
    except Exception:
        storage.delete(AREA, stored)
        raise
    return old


def assign(session: Session, visit: FieldVisit, choice: dict[int, int | None]) -> int:
    """Send groups to lokus (``choice``: group id → lokus id or None), all or nothing: a group or a
    lokus of another visit is refused. Returns how many groups changed."""
    ensure_editable(visit.cohort)
    groups = {g.id: g for g in session.scalars(select(VisitGroup).where(VisitGroup.visit_id == visit.id))}
    places = set(session.scalars(select(Lokus.id).where(Lokus.visit_id == visit.id)))
    for group_id, lokus_id in choice.items():
        if group_id not in groups:
            raise DomainError(_l("Unknown group."))
        if lokus_id is not None and lokus_id not in places:
            raise DomainError(_l("Unknown lokus."))
    changed = 0
    for group_id, lokus_id in choice.items():
        if groups[group_id].lokus_id != lokus_id:
            groups[group_id].lokus_id = lokus_id
            changed += 1
    session.flush()
    return changed


def spread(session: Session, visit: FieldVisit, groups: list[VisitGroup]) -> None:
    """Send ``groups`` to the visit's lokus in turn (group 1 to the first lokus, 2 to the second…)."""
    places = list(
        session.scalars(select(Lokus.id).where(Lokus.visit_id == visit.id).order_by(Lokus.position, Lokus.id))
    )
    if not places:
        return
    for index, group in enumerate(groups):
        group.lokus_id = places[index % len(places)]
    session.flush()


def of_visit(session: Session, visit_id: int) -> list[Lokus]:
    return list(session.scalars(select(Lokus).where(Lokus.visit_id == visit_id).order_by(Lokus.position, Lokus.id)))
