"""Did it work? Per host, across years and cohorts: practices identified, adopted, adapted,
implemented at home, sustained at 12 months and confirmed by a mentor; which practices travel and
which are never implemented. The page, the CSV export and ``GET /api/v1/hosts/{id}/implementation``
all read :func:`by_cohort`, so they show the same numbers.

What is counted (each a number of practices, never of reports):

- identified: every submitted practice logged at the host (whatever its stage);
- adopted / adapted: submitted practices at that stage (together: "taken home");
- implemented: taken home, with a report in any round saying implemented or sustained;
- sustained: taken home, with a report in a round of 12 months or more (``FollowupRound.months``)
  saying implemented or sustained: still running a year on;
- confirmed_by_mentor: implemented, and a mentor confirmed that very report (its current version).

Rates divide by the practices taken home, rounded once, half up, to one decimal. Counts come from
one aggregate query whatever the number of cohorts and practices.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort, Program
from lms.core.scores import half_up
from lms.users.models import ParticipantProfile
from plugins.benchmarking.followups import SUSTAINED_AFTER
from plugins.benchmarking.models import (
    IMPLEMENTED_STATUSES,
    FieldVisit,
    Followup,
    FollowupRound,
    GroupMember,
    Lokus,
    MentorReview,
    MentorVerdict,
    Practice,
    Stage,
    VisitGroup,
)

COUNTS = ("identified", "adopted", "adapted", "implemented", "sustained", "confirmed_by_mentor")


def rate(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal, half up; None when there is nothing to divide."""
    if not whole:
        return None
    return half_up(Decimal(part) * 100 / Decimal(whole), 1)


@dataclass(frozen=True)
class CohortImplementation:
    cohort_id: int
    cohort_title: str
    year: int
    identified: int
    adopted: int
    adapted: int
    implemented: int
    sustained: int
    confirmed_by_mentor: int

    @property
    def taken_home(self) -> int:
        return self.adopted + self.adapted

    @property
    def implemented_rate(self) -> Decimal | None:
        return rate(self.implemented, self.taken_home)

    @property
    def sustained_rate(self) -> Decimal | None:
        return rate(self.sustained, self.taken_home)

    @property
    def confirmed_rate(self) -> Decimal | None:
        return rate(self.confirmed_by_mentor, self.taken_home)

    def counts(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in COUNTS}


def per_practice() -> Any:
    """A subquery: for each practice with a report, whether it was ever implemented, whether it was
    still implemented at a round of 12 months or more, and whether a mentor confirmed an
    implemented report (the version they saw is the current one)."""
    implemented = Followup.status.in_(IMPLEMENTED_STATUSES)
    return (
        select(
            Followup.practice_id.label("practice_id"),
            func.max(case((implemented, 1), else_=0)).label("implemented"),
            func.max(case((and_(implemented, FollowupRound.months >= SUSTAINED_AFTER), 1), else_=0)).label("sustained"),
            func.max(case((and_(implemented, MentorReview.id.is_not(None)), 1), else_=0)).label("confirmed"),
        )
        .join(FollowupRound, FollowupRound.id == Followup.round_id)
        .outerjoin(
            MentorReview,
            and_(
                MentorReview.followup_id == Followup.id,
                MentorReview.reported_at == Followup.reported_at,
                MentorReview.verdict == MentorVerdict.CONFIRMED,
            ),
        )
        .group_by(Followup.practice_id)
        .subquery()
    )


def by_cohort(session: Session, host_id: int, cohort_ids: Collection[int] | None = None) -> list[CohortImplementation]:
    """The host's cohorts (only ``cohort_ids`` when given), oldest first, with their counts: one query."""
    done = per_practice()
    taken = Practice.stage != Stage.IDENTIFIED

    def total(column: Any) -> Any:
        return func.coalesce(func.sum(case((taken, func.coalesce(column, 0)), else_=0)), 0)

    stmt = (
        select(
            Cohort.id,
            Program.code,
            Cohort.name,
            Cohort.year,
            func.count(Practice.id),
            func.count(case((Practice.stage == Stage.ADOPTED, 1))),
            func.count(case((Practice.stage == Stage.ADAPTED, 1))),
            total(done.c.implemented),
            total(done.c.sustained),
            total(done.c.confirmed),
        )
        .select_from(Practice)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .join(Submission, Submission.id == Practice.submission_id)
        .join(Cohort, Cohort.id == FieldVisit.cohort_id)
        .join(Program, Program.id == Cohort.program_id)
        .outerjoin(done, done.c.practice_id == Practice.id)
        .where(FieldVisit.host_id == host_id, Submission.state == SubmissionState.SUBMITTED)
        .group_by(Cohort.id, Program.code, Cohort.name, Cohort.year)
        .order_by(Cohort.year, Cohort.id)
    )
    if cohort_ids is not None:
        stmt = stmt.where(Cohort.id.in_(list(cohort_ids) or [-1]))
    return [
        CohortImplementation(
            cohort_id=cid,
            cohort_title=f"{code} {name} {year}",
            year=year,
            identified=int(identified),
            adopted=int(adopted),
            adapted=int(adapted),
            implemented=int(implemented),
            sustained=int(sustained),
            confirmed_by_mentor=int(confirmed),
        )
        for cid, code, name, year, identified, adopted, adapted, implemented, sustained, confirmed in session.execute(
            stmt
        )
    ]


def overall(rows: list[CohortImplementation]) -> CohortImplementation:
    """The sum over cohorts (for the page's first line and the CSV's last)."""
    return CohortImplementation(
        cohort_id=0,
        cohort_title="",
        year=0,
        **{key: sum(getattr(r, key) for r in rows) for key in COUNTS},
    )


@dataclass(frozen=True)
class TravellingPractice:
    title: str
    cohorts: int  # how many cohorts took it home
    agencies: int  # how many instansi took it home
    taken_home: int
    implemented: int
    sustained: int

    @property
    def implemented_rate(self) -> Decimal | None:
        return rate(self.implemented, self.taken_home)


def travelling(session: Session, host_id: int, cohort_ids: Collection[int] | None = None) -> list[TravellingPractice]:
    """The host's practices by title that were taken home, most agencies first: which travel, and how
    often they were implemented and sustained.

    Only published copies are read (as the catalogue's host panel): a practice's title is shown to
    people outside its cohort only when its cohort's coordinator published it. One aggregate query
    grouped by lower-cased title, merged on inner spaces in Python.
    """
    copy = Practice.published_copy
    title = func.coalesce(copy["title"].as_string(), Practice.title)
    stage = func.coalesce(copy["stage"].as_string(), Practice.stage)
    key = func.lower(func.trim(title))
    done = per_practice()
    stmt = (
        select(
            key,
            func.min(title),
            func.count(func.distinct(FieldVisit.cohort_id)),
            func.count(func.distinct(func.nullif(func.lower(func.trim(ParticipantProfile.instansi)), ""))),
            func.count(Practice.id),
            func.coalesce(func.sum(done.c.implemented), 0),
            func.coalesce(func.sum(done.c.sustained), 0),
        )
        .select_from(Practice)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .join(Submission, Submission.id == Practice.submission_id)
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == Practice.participant_id)
        .outerjoin(done, done.c.practice_id == Practice.id)
        .where(
            FieldVisit.host_id == host_id,
            Practice.published.is_(True),
            Submission.state == SubmissionState.SUBMITTED,
            stage != Stage.IDENTIFIED.value,
        )
        .group_by(key)
    )
    if cohort_ids is not None:
        stmt = stmt.where(FieldVisit.cohort_id.in_(list(cohort_ids) or [-1]))
    merged: dict[str, list[Any]] = {}
    for lowered, shown, cohorts, agencies, taken_home, implemented, sustained in session.execute(stmt):
        entry = merged.setdefault(" ".join(lowered.split()), [" ".join(shown.split()), 0, 0, 0, 0, 0])
        for index, value in enumerate((cohorts, agencies, taken_home, implemented, sustained), start=1):
            entry[index] += int(value or 0)
    items = [TravellingPractice(e[0], e[1], e[2], e[3], e[4], e[5]) for e in merged.values()]
    items.sort(key=lambda t: (-t.agencies, -t.taken_home, -t.implemented, t.title.lower()))
    return items


def never_implemented(items: list[TravellingPractice]) -> list[TravellingPractice]:
    """Practices taken home and reported on, none of them ever implemented."""
    return [t for t in items if t.taken_home and not t.implemented]


@dataclass(frozen=True)
class LokusImplementation:
    """One lokus (by name, across the cohorts that went there) and its counts."""

    name: str
    cohorts: int
    identified: int
    adopted: int
    adapted: int
    implemented: int
    sustained: int
    confirmed_by_mentor: int

    @property
    def taken_home(self) -> int:
        return self.adopted + self.adapted

    @property
    def implemented_rate(self) -> Decimal | None:
        return rate(self.implemented, self.taken_home)

    @property
    def sustained_rate(self) -> Decimal | None:
        return rate(self.sustained, self.taken_home)


def by_lokus(session: Session, host_id: int, cohort_ids: Collection[int] | None = None) -> list[LokusImplementation]:
    """The same counts per lokus of the host's visits, across cohorts: a practice belongs to the
    lokus its author's group went to; practices of peserta without a group (or a group without a
    lokus) are counted under an empty name. Lokus of different visits with the same name (case and
    spaces aside) are one. One aggregate query."""
    done = per_practice()
    taken = Practice.stage != Stage.IDENTIFIED
    name = func.coalesce(func.lower(func.trim(Lokus.name)), "")

    def total(column: Any) -> Any:
        return func.coalesce(func.sum(case((taken, func.coalesce(column, 0)), else_=0)), 0)

    stmt = (
        select(
            name,
            func.min(Lokus.name),
            func.count(func.distinct(FieldVisit.cohort_id)),
            func.count(Practice.id),
            func.count(case((Practice.stage == Stage.ADOPTED, 1))),
            func.count(case((Practice.stage == Stage.ADAPTED, 1))),
            total(done.c.implemented),
            total(done.c.sustained),
            total(done.c.confirmed),
        )
        .select_from(Practice)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .join(Submission, Submission.id == Practice.submission_id)
        .outerjoin(
            GroupMember,
            and_(GroupMember.visit_id == Practice.visit_id, GroupMember.user_id == Practice.participant_id),
        )
        .outerjoin(VisitGroup, VisitGroup.id == GroupMember.group_id)
        .outerjoin(Lokus, Lokus.id == VisitGroup.lokus_id)
        .outerjoin(done, done.c.practice_id == Practice.id)
        .where(FieldVisit.host_id == host_id, Submission.state == SubmissionState.SUBMITTED)
        .group_by(name)
    )
    if cohort_ids is not None:
        stmt = stmt.where(FieldVisit.cohort_id.in_(list(cohort_ids) or [-1]))
    merged: dict[str, list[Any]] = {}
    for key, shown, *numbers in session.execute(stmt):
        entry = merged.setdefault(" ".join(key.split()), [" ".join((shown or "").split()), *[0] * len(numbers)])
        for index, value in enumerate(numbers, start=1):
            entry[index] += int(value or 0)
    items = [LokusImplementation(*entry) for entry in merged.values()]
    items.sort(key=lambda r: (not r.name, -r.identified, r.name.lower()))
    return items
