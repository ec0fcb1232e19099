"""Hosts, field visits and groups. Services flush, never commit; the caller owns the transaction."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from lms.cohorts.models import Cohort, Membership, Role
from lms.cohorts.services import ensure_editable
from lms.core.emails import clean_email
from lms.core.errors import Conflict, DomainError
from lms.core.pagination import Page, paginate
from lms.core.timezones import to_utc
from lms.users.models import ParticipantProfile, User
from plugins.benchmarking import followups, notifications, settings
from plugins.benchmarking.models import (
    FieldVisit,
    GroupMember,
    GroupReport,
    Host,
    HostKind,
    Lokus,
    Practice,
    VisitGroup,
)
from plugins.benchmarking.queries import participants_of

HOST_KIND_LABELS = {
    HostKind.CITY: _l("City government"),
    HostKind.REGENCY: _l("Regency government"),
    HostKind.PROVINCE: _l("Provincial government"),
    HostKind.MINISTRY: _l("Ministry"),
    HostKind.AGENCY: _l("Government agency"),
    HostKind.STATE_ENTERPRISE: _l("State-owned enterprise"),
    HostKind.OTHER: _l("Other"),
}

HOST_FIELDS = (
    "name",
    "kind",
    "region",
    "address",
    "website",
    "recognition",
    "contact_name",
    "contact_email",
    "contact_phone",
)


# -- hosts ---------------------------------------------------------------------------------------


def search_hosts(query: str = "", archived: bool = False) -> Select[Host]:
    stmt = select(Host).where(Host.archived.is_(archived)).order_by(func.lower(Host.name))
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Host.name).like(like),
                func.lower(Host.region).like(like),
                func.lower(Host.recognition).like(like),
            )
        )
    return stmt


def save_host(session: Session, host: Host | None, *, actor: User | None = None, **fields: str) -> Host:
    """Create or update a host; names are unique (compared case-insensitively).

    The ``actor`` who adds a host is recorded: they may edit it until a visit uses it.
    """
    name = (fields.get("name") or "").strip()
    if not name:
        raise DomainError(_l("Enter the host's name."), field="name")
    clash = session.scalar(select(Host).where(func.lower(Host.name) == name.lower()))
    if clash is not None and (host is None or clash.id != host.id):
        raise Conflict(_l("A host with this name is already in the catalogue."), field="name")
    website = (fields.get("website") or "").strip()
    if website and not website.startswith(("http://", "https://")):
        raise DomainError(_l("The website must start with http:// or https://."), field="website")
    if (fields.get("contact_email") or "").strip():
        fields["contact_email"] = clean_email(fields["contact_email"], field="contact_email")
    if host is None:
        host = Host(name=name, created_by_id=actor.id if actor is not None else None)
        session.add(host)
    for key in HOST_FIELDS:
        if key in fields:
            value = fields[key]
            setattr(host, key, HostKind(value) if key == "kind" else (value or "").strip())
    session.flush()
    return host


def visit_counts(session: Session, host_ids: list[int]) -> dict[int, int]:
    if not host_ids:
        return {}
    rows = session.execute(
        select(FieldVisit.host_id, func.count()).where(FieldVisit.host_id.in_(host_ids)).group_by(FieldVisit.host_id)
    )
    return dict(rows.all())


def set_archived(session: Session, host: Host, archived: bool) -> None:
    host.archived = archived
    session.flush()


def delete_host(session: Session, host: Host) -> None:
    """Delete a host no visit uses; one that a visit uses must be archived instead."""
    used = visit_counts(session, [host.id]).get(host.id, 0)
    if used:
        raise Conflict(
            _l("This host is used by %(n)s field visit(s) and cannot be deleted; archive it instead.", n=used)
        )
    session.delete(host)
    session.flush()


# -- visits --------------------------------------------------------------------------------------


def save_visit(
    session: Session,
    visit: FieldVisit | None,
    *,
    cohort: Cohort,
    host: Host,
    theme: str,
    start_date: date,
    end_date: date,
    location: str = "",
    briefing: str = "",
    guiding_questions: str = "",
    allow_withdraw: bool = True,
    due_date: date | None = None,
    min_practices: int | None = None,
    plan_graded: bool | None = None,
    followup_months: str | None = None,
) -> FieldVisit:
    """Schedule or change a visit; it may not end before it starts, nor use an archived host anew.

    ``due_date`` is when the practices are due (none: two weeks after the visit); ``min_practices``
    and ``plan_graded`` left at None keep the visit's, or on a new visit take the program's settings.
    A new visit goes to one lokus, its host; more are added on the visit's page.
    """
    ensure_editable(cohort)
    if not theme.strip():
        raise DomainError(_l("Enter the visit's theme."), field="theme")
    if start_date and end_date and end_date < start_date:
        raise DomainError(_l("The visit ends before it starts."), field="end_date")
    if due_date is not None and end_date and due_date < end_date:
        raise DomainError(_l("The practices cannot be due before the visit ends."), field="due_date")
    if min_practices is not None and not 1 <= min_practices <= settings.MAX_MIN_PRACTICES:
        raise DomainError(
            _l("The minimum number of practices lies between 1 and %(n)s.", n=settings.MAX_MIN_PRACTICES),
            field="min_practices",
        )
    checkpoints = followups.parse_months(followup_months) if followup_months is not None else None
    if host.archived and (visit is None or visit.host_id != host.id):
        raise DomainError(_l("This host is archived; choose another or restore it first."), field="host_id")
    before = None
    if visit is None:
        visit = FieldVisit(cohort=cohort)
        session.add(visit)
    else:
        before = notifications.visit_state(visit)
    visit.host = host
    visit.theme, visit.start_date, visit.end_date = theme.strip(), start_date, end_date
    visit.location, visit.briefing = location.strip(), briefing.strip()
    visit.guiding_questions = "\n".join(line.strip() for line in guiding_questions.splitlines() if line.strip())
    visit.allow_withdraw = allow_withdraw
    visit.due_date = due_date
    defaults = settings.of_program(session, cohort.program_id)
    if min_practices is not None or before is None:
        visit.min_practices = min_practices if min_practices is not None else defaults.min_practices
    if plan_graded is not None or before is None:
        visit.plan_graded = plan_graded if plan_graded is not None else defaults.plan_graded
    if checkpoints is not None or before is None:
        visit.followup_months = ",".join(str(m) for m in checkpoints or followups.DEFAULT_MONTHS)
    session.flush()
    if before is None:
        session.add(
            Lokus(
                visit_id=visit.id,
                host_id=host.id,
                position=0,
                name=host.name,
                visit_date=start_date,
                address=visit.location or host.address,
                contact_name=host.contact_name,
                contact_phone=host.contact_phone,
                chosen_for=host.recognition,
            )
        )
        session.flush()
    else:
        notifications.visit_changed(session, visit, before, datetime.now(UTC))
        practices_due_changed(session, visit)
    return visit


def practices_due_changed(session: Session, visit: FieldVisit) -> None:
    """Move the practice assessment's due time (and its cut-off, a week later) to the visit's due date."""
    if visit.assessment is None:
        return
    due = visit_due_at(visit)
    if visit.assessment.due_at != due:
        visit.assessment.due_at, visit.assessment.cutoff_at = due, due + timedelta(days=7)
        session.flush()


def visit_due_at(visit: FieldVisit) -> datetime:
    """When the visit's practices are due: its due date (or two weeks after the visit) at 23:59 local time."""
    return to_utc(datetime.combine(visit.practices_due_on, time(23, 59)))


def delete_visit(session: Session, visit: FieldVisit) -> None:
    """Delete a visit nobody logged work for yet; practices and reports keep it."""

    ensure_editable(visit.cohort)
    used = session.scalar(select(Practice.id).where(Practice.visit_id == visit.id).limit(1)) or session.scalar(
        select(GroupReport.id)
        .join(VisitGroup, VisitGroup.id == GroupReport.group_id)
        .where(VisitGroup.visit_id == visit.id)
        .limit(1)
    )
    if used:
        raise Conflict(_l("Participants have logged work for this visit; it cannot be deleted."))
    session.delete(visit)
    session.flush()


def cohort_visits(session: Session, cohort_id: int) -> list[FieldVisit]:
    return list(
        session.scalars(
            select(FieldVisit)
            .where(FieldVisit.cohort_id == cohort_id)
            .options(selectinload(FieldVisit.groups).selectinload(VisitGroup.members))
            .order_by(FieldVisit.start_date)
        )
    )


# -- groups --------------------------------------------------------------------------------------


def split_groups(session: Session, visit: FieldVisit, count: int) -> list[VisitGroup]:
    """Replace the visit's groups with ``count`` groups of near-equal size that mix agencies.

    Participants are ordered by agency and dealt round-robin, so people of one instansi spread over
    the groups; sizes differ by at most one. The first member of each group becomes its leader.
    """

    ensure_editable(visit.cohort)
    if session.scalar(
        select(GroupReport.id)
        .join(VisitGroup, VisitGroup.id == GroupReport.group_id)
        .where(VisitGroup.visit_id == visit.id)
        .limit(1)
    ):
        raise Conflict(_l("Groups have started their reports; adjust the groups by hand instead of splitting again."))
    people = participants_of(session, visit.cohort_id)
    if not people:
        raise DomainError(_l("The cohort has no participants to split."))
    if not 1 <= count <= len(people):
        raise DomainError(_l("Choose between 1 and %(n)s groups.", n=len(people)), field="count")
    for group in list(visit.groups):
        session.delete(group)
    session.flush()
    by_agency: dict[str, list[User]] = defaultdict(list)
    for person in people:
        by_agency[(person.profile.instansi if person.profile else "") or ""].append(person)
    ordered = [p for agency in sorted(by_agency, key=lambda a: (-len(by_agency[a]), a)) for p in by_agency[agency]]
    places = list(
        session.scalars(select(Lokus.id).where(Lokus.visit_id == visit.id).order_by(Lokus.position, Lokus.id))
    )  # the groups go to the lokus in turn
    groups = [
        VisitGroup(
            visit=visit,
            name=str(_l("Group %(n)s", n=i + 1)),
            position=i,
            lokus_id=places[i % len(places)] if places else None,
        )
        for i in range(count)
    ]
    session.add_all(groups)
    session.flush()
    for index, person in enumerate(ordered):
        group = groups[index % count]
        session.add(GroupMember(group=group, visit_id=visit.id, user=person))
        if group.leader_id is None:
            group.leader_id = person.id
    session.flush()
    return groups


def assign_groups(
    session: Session,
    visit: FieldVisit,
    members: dict[int, int | None],
    leaders: dict[int, int | None],
) -> None:
    """Apply a hand-made arrangement in one go: ``members`` maps participant → group (or None),
    ``leaders`` maps group → leader. A leader outside their group, an unknown group or a person who is
    not a participant of the cohort is refused, and nothing is changed.
    """
    ensure_editable(visit.cohort)
    groups = {g.id: g for g in visit.groups}
    participant_ids = {u.id for u in participants_of(session, visit.cohort_id)}
    for user_id, group_id in members.items():
        if user_id not in participant_ids:
            raise DomainError(_l("Only participants of this cohort can be in a group."))
        if group_id is not None and group_id not in groups:
            raise DomainError(_l("Unknown group."))
    for group_id, leader_id in leaders.items():
        if group_id not in groups:
            raise DomainError(_l("Unknown group."))
        if leader_id is not None and members.get(leader_id) != group_id:
            raise DomainError(_l("The leader of %(group)s must be one of its members.", group=groups[group_id].name))
    existing = {m.user_id: m for g in groups.values() for m in g.members}
    for user_id, group_id in members.items():
        current = existing.get(user_id)
        if group_id is None:
            if current is not None:
                session.delete(current)
        elif current is None:
            session.add(GroupMember(group_id=group_id, visit_id=visit.id, user_id=user_id))
        elif current.group_id != group_id:
            current.group_id = group_id
    for group_id, leader_id in leaders.items():
        groups[group_id].leader_id = leader_id
    session.flush()


def move_to_group(session: Session, cohort: Cohort, user_ids: list[int], group_id: int) -> int:
    """Move participants of ``cohort`` into one group of a visit (out of any other group of that
    visit; a leader who leaves their group leaves it without a leader). Refused, with nothing
    changed, for a group of another cohort or anyone who is not a participant."""
    group = session.get(VisitGroup, group_id)
    if group is None or group.visit.cohort_id != cohort.id:
        raise DomainError(_l("Unknown group."))
    moving = set(user_ids)
    visit = group.visit
    leaders: dict[int, int | None] = {g.id: None for g in visit.groups if g.id != group.id and g.leader_id in moving}
    assign_groups(session, visit, dict.fromkeys(moving, group.id), leaders)
    return len(moving)


CARD_MEMBERS = 10  # members listed on a group's card; the rest are in the people list, filtered by group


def group_cards(
    session: Session, visit: FieldVisit, page: int, per_page: int
) -> tuple[Page, dict[int, int], dict[int, list[User]]]:
    """One page of the visit's groups with each group's size and first members (leader first).

    Four queries whatever the cohort size: the page of groups (count and rows), the sizes, and at
    most :data:`CARD_MEMBERS` members per group through a window function.
    """
    groups = paginate(
        session,
        select(VisitGroup).where(VisitGroup.visit_id == visit.id).order_by(VisitGroup.position, VisitGroup.id),
        page,
        per_page,
    )
    ids = [g.id for g in groups.items]
    if not ids:
        return groups, {}, {}
    sizes = dict(
        session.execute(
            select(GroupMember.group_id, func.count())
            .where(GroupMember.group_id.in_(ids))
            .group_by(GroupMember.group_id)
        ).all()
    )
    ranked = (
        select(
            GroupMember.group_id,
            GroupMember.user_id,
            func.row_number()
            .over(
                partition_by=GroupMember.group_id,
                order_by=[
                    case((GroupMember.user_id == VisitGroup.leader_id, 0), else_=1),
                    func.lower(User.name),
                    GroupMember.user_id,
                ],
            )
            .label("n"),
        )
        .join(VisitGroup, VisitGroup.id == GroupMember.group_id)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.group_id, User)
        .join(User, User.id == ranked.c.user_id)
        .where(ranked.c.n <= CARD_MEMBERS)
        .order_by(ranked.c.group_id, ranked.c.n)
        .options(selectinload(User.profile))
    ).all()
    members: dict[int, list[User]] = {}
    for group_id, user in rows:
        members.setdefault(group_id, []).append(user)
    return groups, sizes, members


def people_of_visit(visit: FieldVisit, query: str = "", group: str = "") -> Select[User, GroupMember]:
    """The cohort's participants with their group in this visit, by name, for the hand adjustment.

    ``query`` matches name, NIP or agency; ``group`` is a group id, ``"none"`` (no group) or empty.
    Rows are ``(User, GroupMember | None)``: one page of them is one query.
    """
    stmt = (
        select(User, GroupMember)
        .join(
            Membership,
            (Membership.user_id == User.id)
            & (Membership.cohort_id == visit.cohort_id)
            & (Membership.role == Role.PARTICIPANT),
        )
        .outerjoin(GroupMember, (GroupMember.user_id == User.id) & (GroupMember.visit_id == visit.id))
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
        .options(selectinload(User.profile))
        .order_by(func.lower(User.name), User.id)
    )
    words = query.strip().lower()
    if words:
        stmt = stmt.where(
            or_(
                func.lower(User.name).contains(words, autoescape=True),
                ParticipantProfile.nip.contains(words, autoescape=True),
                func.lower(ParticipantProfile.instansi).contains(words, autoescape=True),
            )
        )
    if group == "none":
        stmt = stmt.where(GroupMember.id.is_(None))
    elif group.isdigit():
        stmt = stmt.where(GroupMember.group_id == int(group))
    return stmt


def group_overview(session: Session, visit: FieldVisit) -> tuple[int, int, list[tuple[int, str, int | None]]]:
    """The cohort's number of participants, how many have no group in this visit, and every group's
    id, name and leader (for the "move to" choice and the people list), in two queries."""
    people, unassigned = session.execute(
        select(func.count(), func.count(case((GroupMember.id.is_(None), 1))))
        .select_from(Membership)
        .outerjoin(GroupMember, (GroupMember.user_id == Membership.user_id) & (GroupMember.visit_id == visit.id))
        .where(Membership.cohort_id == visit.cohort_id, Membership.role == Role.PARTICIPANT)
    ).one()
    names = [
        (gid, name, leader)
        for gid, name, leader in session.execute(
            select(VisitGroup.id, VisitGroup.name, VisitGroup.leader_id)
            .where(VisitGroup.visit_id == visit.id)
            .order_by(VisitGroup.position, VisitGroup.id)
        )
    ]
    return people, unassigned, names


def move_members(session: Session, visit: FieldVisit, user_ids: list[int], group_id: int | None) -> int:
    """Put the chosen participants in one group of the visit (or in none), all or nothing.

    Anyone who is not a participant of the cohort, or a group of another visit, is refused and
    nothing changes. A leader who leaves their group leaves it without a leader. Returns how many
    people moved.
    """
    ensure_editable(visit.cohort)
    chosen = set(user_ids)
    if not chosen:
        raise DomainError(_l("Choose at least one participant."))
    if (
        group_id is not None
        and session.scalar(select(VisitGroup.id).where(VisitGroup.id == group_id, VisitGroup.visit_id == visit.id))
        is None
    ):
        raise DomainError(_l("Unknown group."))
    allowed = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.cohort_id == visit.cohort_id,
                Membership.role == Role.PARTICIPANT,
                Membership.user_id.in_(chosen),
            )
        )
    )
    if allowed != chosen:
        raise DomainError(_l("Only participants of this cohort can be in a group."))
    current = {
        m.user_id: m
        for m in session.scalars(
            select(GroupMember).where(GroupMember.visit_id == visit.id, GroupMember.user_id.in_(chosen))
        )
    }
    left = [m.group_id for m in current.values() if m.group_id != group_id]
    if left:
        for group in session.scalars(
            select(VisitGroup).where(VisitGroup.id.in_(left), VisitGroup.leader_id.in_(chosen))
        ):
            group.leader_id = None
    moved = 0
    for user_id in sorted(chosen):
        member = current.get(user_id)
        if group_id is None:
            if member is not None:
                session.delete(member)
                moved += 1
        elif member is None:
            session.add(GroupMember(group_id=group_id, visit_id=visit.id, user_id=user_id))
            moved += 1
        elif member.group_id != group_id:
            member.group_id = group_id
            moved += 1
    session.flush()
    return moved


def make_leader(session: Session, visit: FieldVisit, user_id: int) -> VisitGroup:
    """Make a member the leader of their group in this visit; someone in no group is refused."""
    ensure_editable(visit.cohort)
    member = session.scalar(select(GroupMember).where(GroupMember.visit_id == visit.id, GroupMember.user_id == user_id))
    if member is None:
        raise DomainError(_l("Put the participant in a group first; a leader must be one of its members."))
    member.group.leader_id = user_id
    session.flush()
    return member.group


def add_member(session: Session, group: VisitGroup, user: User) -> GroupMember:
    """Put a participant in a group; one already in another group of the visit is refused."""
    ensure_editable(group.visit.cohort)
    taken = session.scalar(
        select(GroupMember).where(GroupMember.visit_id == group.visit_id, GroupMember.user_id == user.id)
    )
    if taken is not None:
        raise Conflict(_l("%(name)s is already in a group of this visit.", name=user.name))
    member = GroupMember(group=group, visit_id=group.visit_id, user=user)
    session.add(member)
    session.flush()
    return member


def set_leader(session: Session, group: VisitGroup, user_id: int | None) -> None:
    if user_id is not None and user_id not in {m.user_id for m in group.members}:
        raise DomainError(_l("The leader of %(group)s must be one of its members.", group=group.name))
    group.leader_id = user_id
    session.flush()


def upcoming_for(session: Session, user: User, today: date) -> list[tuple[FieldVisit, VisitGroup | None]]:
    """The participant's visits that have not ended, soonest first, with their group (two queries)."""
    visits = list(
        session.scalars(
            select(FieldVisit)
            .join(Membership, (Membership.cohort_id == FieldVisit.cohort_id) & (Membership.user_id == user.id))
            .where(Membership.role == Role.PARTICIPANT, FieldVisit.end_date >= today)
            .order_by(FieldVisit.start_date)
        )
    )
    if not visits:
        return []
    memberships = session.scalars(
        select(GroupMember)
        .where(GroupMember.user_id == user.id, GroupMember.visit_id.in_([v.id for v in visits]))
        .options(
            selectinload(GroupMember.group).selectinload(VisitGroup.members).selectinload(GroupMember.user),
            selectinload(GroupMember.group).selectinload(VisitGroup.leader),
        )
    ).all()
    group_of = {m.visit_id: m.group for m in memberships}
    return [(visit, group_of.get(visit.id)) for visit in visits]


def visits_of_participant(session: Session, user: User) -> list[tuple[FieldVisit, VisitGroup | None]]:
    return upcoming_for(session, user, date.min)


def profiles_by_user(session: Session, user_ids: list[int]) -> dict[int, ParticipantProfile]:
    if not user_ids:
        return {}
    return {
        p.user_id: p
        for p in session.scalars(select(ParticipantProfile).where(ParticipantProfile.user_id.in_(user_ids)))
    }
