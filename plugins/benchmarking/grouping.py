"""Forming a visit's groups by rule or from a file, previewed before anything is replaced.

A rule (:data:`RULES`) turns the cohort's peserta into a :class:`Proposal`: named groups with their
members. The penyelenggara sees it, then confirms; :func:`apply` replaces the visit's groups with it
(refused once a group has started its plan or report) and sends the groups to the lokus in turn.
A proposal has a fingerprint: the confirmation carries the one previewed, and a proposal that came
out differently since (a peserta added, a theme changed) is refused rather than applied unseen.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.cohorts.roster import RosterFileError, read_table
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.users.models import User
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.models import (
    FieldVisit,
    GroupMember,
    GroupPlan,
    GroupReport,
    Interest,
    Lokus,
    VisitGroup,
)
from plugins.benchmarking.queries import participants_of

RULES = {
    "round_robin": _l("Round-robin: balanced sizes, mixing agencies"),
    "instansi": _l("By agency (instansi): colleagues together"),
    "jabatan": _l("By position (jabatan)"),
    "theme": _l("By the theme each peserta chose"),
}
MAX_IMPORT_ROWS = 5000


@dataclass
class ProposedGroup:
    name: str
    member_ids: list[int] = field(default_factory=list)
    lokus_id: int | None = None


@dataclass
class Proposal:
    groups: list[ProposedGroup]
    unassigned: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        # Who goes with whom and where; not the names, which a rule writes in the reader's language.
        text = "|".join(f"{g.lokus_id}:{','.join(map(str, g.member_ids))}" for g in self.groups)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _group_name(n: int) -> str:
    return str(_l("Group %(n)s", n=n))


def _keyed(people: list[User], key: Callable[[User], str], count: int) -> list[list[User]]:
    """People who share a key stay together; the clusters, largest first, go to the smallest group."""
    clusters: dict[str, list[User]] = defaultdict(list)
    for person in people:
        clusters[key(person)].append(person)
    groups: list[list[User]] = [[] for _ in range(count)]
    for name in sorted(clusters, key=lambda k: (-len(clusters[k]), k)):
        smallest = min(range(count), key=lambda i: (len(groups[i]), i))
        groups[smallest].extend(clusters[name])
    return groups


def _round_robin(people: list[User], count: int) -> list[list[User]]:
    """Dealt in turn after ordering by agency, so one instansi spreads over the groups; sizes differ by one at most."""
    by_agency: dict[str, list[User]] = defaultdict(list)
    for person in people:
        by_agency[_profile(person, "instansi")].append(person)
    ordered = [p for agency in sorted(by_agency, key=lambda a: (-len(by_agency[a]), a)) for p in by_agency[agency]]
    groups: list[list[User]] = [[] for _ in range(count)]
    for index, person in enumerate(ordered):
        groups[index % count].append(person)
    return groups


def _profile(person: User, name: str) -> str:
    return (getattr(person.profile, name, "") or "").strip().lower() if person.profile else ""


def themes_of(session: Session, visit_id: int, user_id: int | None = None) -> dict[int, str]:
    """The themes peserta chose for the visit, by user (only ``user_id``'s when given)."""
    stmt = select(Interest.user_id, Interest.theme).where(Interest.visit_id == visit_id)
    if user_id is not None:
        stmt = stmt.where(Interest.user_id == user_id)
    return {uid: theme for uid, theme in session.execute(stmt)}


def by_rule(session: Session, visit: FieldVisit, rule: str, count: int) -> Proposal:
    """The groups ``rule`` makes of the cohort's peserta, ``count`` of them, sent to the lokus in turn."""
    if rule not in RULES:
        raise DomainError(_l("Choose how to form the groups."), field="rule")
    people = participants_of(session, visit.cohort_id)
    if not people:
        raise DomainError(_l("The cohort has no participants to split."))
    if not 1 <= count <= len(people):
        raise DomainError(_l("Choose between 1 and %(n)s groups.", n=len(people)), field="count")
    if rule == "round_robin":
        made = _round_robin(people, count)
    elif rule == "theme":
        themes = {k: v.strip().lower() for k, v in themes_of(session, visit.id).items()}
        made = _keyed(people, lambda p: themes.get(p.id, ""), count)
    else:
        made = _keyed(people, lambda p: _profile(p, rule), count)
    places = [lk.id for lk in lokus_service.of_visit(session, visit.id)]
    groups = [
        ProposedGroup(
            name=_group_name(i + 1),
            member_ids=[p.id for p in members],
            lokus_id=places[i % len(places)] if places else None,
        )
        for i, members in enumerate(made)
        if members
    ]
    return Proposal(groups=groups)


# -- import ----------------------------------------------------------------------------------------

_HEADERS = {
    "nip": "nip",
    "group": "group",
    "kelompok": "group",
    "group name": "group",
    "nama kelompok": "group",
    "lokus": "lokus",
}


def _norm(text: object) -> str:
    return re.sub(r"[\s_]+", " ", str(text or "")).strip().lower()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def from_file(session: Session, visit: FieldVisit, data: bytes, filename: str) -> Proposal:
    """The groups a CSV or XLSX file names: columns NIP and group (kelompok), optionally lokus.

    Read by the roster's reader (by content, not name; bounded rows). Every problem is listed with
    its row: an unknown NIP or one outside the cohort, a NIP twice, a blank group, an unknown lokus.
    Peserta the file does not name are left without a group (and listed).
    """
    try:
        header, rows = read_table(data, filename, MAX_IMPORT_ROWS)
    except RosterFileError as exc:
        raise DomainError(exc.args[0] if exc.args else _l("The file cannot be read."), field="file") from None
    positions = {_HEADERS[_norm(h)]: i for i, h in enumerate(header) if _norm(h) in _HEADERS}
    if "nip" not in positions or "group" not in positions:
        raise DomainError(_l("The file needs the columns NIP and group (kelompok)."), field="file")
    people = participants_of(session, visit.cohort_id)
    by_nip = {p.profile.nip: p for p in people if p.profile and p.profile.nip}
    places = {lk.name.strip().lower(): lk.id for lk in lokus_service.of_visit(session, visit.id)}
    groups: dict[str, ProposedGroup] = {}
    seen: set[int] = set()
    errors: list[str] = []
    for number, values in rows:

        def value(key: str, cells: list[object] = values) -> str:
            index = positions.get(key)
            return _cell(cells[index]) if index is not None and index < len(cells) else ""

        nip = re.sub(r"\D", "", value("nip").lstrip("'"))
        name = " ".join(value("group").split())[:100]
        person = by_nip.get(nip)
        if len(nip) != 18:
            errors.append(str(_l("Row %(row)s: a NIP has 18 digits.", row=number)))
            continue
        if person is None:
            errors.append(str(_l("Row %(row)s: no peserta of this cohort has NIP %(nip)s.", row=number, nip=nip)))
            continue
        if person.id in seen:
            errors.append(str(_l("Row %(row)s: NIP %(nip)s appears twice.", row=number, nip=nip)))
            continue
        if not name:
            errors.append(str(_l("Row %(row)s: the group is blank.", row=number)))
            continue
        place = value("lokus")
        lokus_id = places.get(place.strip().lower()) if place else None
        if place and lokus_id is None:
            errors.append(str(_l("Row %(row)s: this visit has no lokus named %(name)s.", row=number, name=place[:100])))
            continue
        seen.add(person.id)
        group = groups.setdefault(name.lower(), ProposedGroup(name=name, lokus_id=lokus_id))
        if lokus_id is not None:
            group.lokus_id = lokus_id
        group.member_ids.append(person.id)
    if not groups and not errors:
        errors.append(str(_l("The file names no peserta.")))
    unassigned = [p.id for p in people if p.id not in seen]
    return Proposal(groups=list(groups.values()), unassigned=unassigned, errors=errors)


# -- applying --------------------------------------------------------------------------------------


def _started(session: Session, visit: FieldVisit) -> bool:
    group_ids = select(VisitGroup.id).where(VisitGroup.visit_id == visit.id)
    return bool(
        session.scalar(select(GroupReport.id).where(GroupReport.group_id.in_(group_ids)).limit(1))
        or session.scalar(select(GroupPlan.id).where(GroupPlan.group_id.in_(group_ids)).limit(1))
    )


def apply(session: Session, visit: FieldVisit, proposal: Proposal, fingerprint: str | None = None) -> list[VisitGroup]:
    """Replace the visit's groups with ``proposal`` (the first member of each group leads it).

    Refused, with nothing changed: a proposal with errors, one whose fingerprint is not the one
    previewed, or a visit whose groups have started a plan or report.
    """
    ensure_editable(visit.cohort)
    if proposal.errors:
        raise DomainError(_l("Correct the file first: nothing was changed."))
    if fingerprint is not None and fingerprint != proposal.fingerprint:
        raise Conflict(
            _l("The groups came out differently than in the preview (the cohort changed since). Check the new preview.")
        )
    if _started(session, visit):
        raise Conflict(_l("Groups have started their plans or reports; adjust the groups by hand instead."))
    allowed = {p.id for p in participants_of(session, visit.cohort_id)}
    places = set(session.scalars(select(Lokus.id).where(Lokus.visit_id == visit.id)))
    for group in proposal.groups:
        if set(group.member_ids) - allowed or (group.lokus_id is not None and group.lokus_id not in places):
            raise DomainError(_l("Only participants of this cohort can be in a group."))
    for old in list(visit.groups):
        session.delete(old)
    session.flush()
    made = []
    for position, group in enumerate(proposal.groups):
        row = VisitGroup(
            visit_id=visit.id,
            name=group.name,
            position=position,
            lokus_id=group.lokus_id,
            leader_id=group.member_ids[0] if group.member_ids else None,
        )
        session.add(row)
        made.append(row)
    session.flush()
    session.add_all(
        GroupMember(group_id=row.id, visit_id=visit.id, user_id=user_id)
        for row, group in zip(made, proposal.groups, strict=True)
        for user_id in group.member_ids
    )
    session.flush()
    session.expire(visit, ["groups"])
    return made


def set_theme(session: Session, visit: FieldVisit, user: User, theme: str) -> Interest | None:
    """The peserta's own theme for the visit (blank: none); groups may later be formed by it."""
    ensure_editable(visit.cohort)
    theme = " ".join(theme.split())[:200]
    row = session.scalar(select(Interest).where(Interest.visit_id == visit.id, Interest.user_id == user.id))
    if not theme:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = Interest(visit_id=visit.id, user_id=user.id, theme=theme)
        session.add(row)
    row.theme = theme
    session.flush()
    return row
