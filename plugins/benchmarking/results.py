"""The plugin's part of a cohort's results: columns (practices per stage, implemented, visit and group
scores), batched for every participant at once in a fixed number of queries; the cohort's totals
(the adoption funnel) from aggregate queries; the visit groups as a filter."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import Cohort
from lms.core.numbers import format_date
from lms.core.scores import half_up, mean
from lms.grading.models import Grade, GradeStatus
from lms.grading.services import exact_aggregate
from lms.plugins.types import (
    PackedValues,
    ResultColumn,
    ResultFilter,
    ResultInput,
    ResultSheet,
    ResultSource,
    ResultTotal,
    packed_ids,
)
from lms.users.models import ParticipantProfile, User
from plugins.benchmarking import individual, practices, reports, settings
from plugins.benchmarking.models import (
    IMPLEMENTED_STATUSES,
    FieldVisit,
    Followup,
    FollowupRound,
    GroupMember,
    GroupReport,
    Host,
    PanelMember,
    PanelScore,
    Practice,
    ProgramSettings,
    ScoreAdjustment,
    SeminarSession,
    SeminarSlot,
    Stage,
    VisitGroup,
)

STAGE_KEYS = ("identified", "adopted", "adapted", "implemented")
STAGE_LABELS = {
    "identified": _l("Practices identified"),
    "adopted": _l("Practices adopted"),
    "adapted": _l("Practices adapted"),
    "implemented": _l("Practices implemented"),
}
PAGE_LIMIT = 500  # participant ids read as a list (a page); above that, the whole cohort is read
SHEET_BATCH = 250  # rows per fetch of the practices sheet's server-side cursor (~500 bytes a row)
COLUMN_BATCH = 500  # rows per fetch of the columns' cursors (stage counts, grades): ~50 KB each


def stage_counts(cohort_id: int, participant_ids: list[int] | None = None) -> Select[int, int, int, int, int]:
    """Per participant of the cohort's visits (of ``participant_ids`` only, if given: a page reads
    its own rows' practices and follow-ups, not the cohort's): submitted practices identified (all),
    adopted, adapted and implemented (newest follow-up), one aggregate query."""
    kept = [FieldVisit.cohort_id == cohort_id, Submission.state == SubmissionState.SUBMITTED]
    if participant_ids is not None:
        kept.append(Practice.participant_id.in_(participant_ids))
    submitted = (
        select(Practice.id)
        .join(Submission, Submission.id == Practice.submission_id)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .where(*kept)
    )
    latest = practices.latest_statuses(submitted)
    # The practices joined once (not ``id IN (submitted)``, which read each practice twice).
    return (
        select(
            Practice.participant_id,
            func.count(Practice.id),
            func.count(case((Practice.stage == Stage.ADOPTED, 1))),
            func.count(case((Practice.stage == Stage.ADAPTED, 1))),
            func.count(case((latest.c.status.in_(IMPLEMENTED_STATUSES), 1))),
        )
        .join(Submission, Submission.id == Practice.submission_id)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .outerjoin(latest, latest.c.practice_id == Practice.id)
        .where(*kept)
        .group_by(Practice.participant_id)
    )


def totals(session: Session, cohort_id: int) -> list[ResultTotal]:
    """The cohort's adoption funnel for the results page: each count summed over every participant,
    and how many have more than 0 (one aggregate query over :func:`stage_counts`)."""
    per_person = stage_counts(cohort_id).subquery()
    numbers = list(per_person.c)[1:]
    row = session.execute(
        select(
            *(func.coalesce(func.sum(c), 0) for c in numbers), *(func.count(case((c > 0, 1))) for c in numbers)
        ).select_from(per_person)
    ).one()
    return [
        ResultTotal(f"benchmarking_{key}", STAGE_LABELS[key], Decimal(row[i]), row[len(numbers) + i], order=60 + i)
        for i, key in enumerate(STAGE_KEYS)
    ]


def group_filter(session: Session, cohort_id: int) -> list[ResultFilter]:
    """Filter the results by a visit's group (kelompok): every group of the cohort's visits."""
    groups = session.execute(
        select(VisitGroup.id, VisitGroup.name, Host.name)
        .join(FieldVisit, FieldVisit.id == VisitGroup.visit_id)
        .join(Host, Host.id == FieldVisit.host_id)
        .where(FieldVisit.cohort_id == cohort_id)
        .order_by(FieldVisit.start_date, FieldVisit.id, VisitGroup.position, VisitGroup.id)
    ).all()
    if not groups:
        return []
    several = len({host for _g, _n, host in groups}) > 1
    return [
        ResultFilter(
            "benchmarking_group",
            _l("Group"),
            [(str(gid), f"{host} · {name}" if several else name) for gid, name, host in groups],
            lambda value: select(GroupMember.user_id).where(GroupMember.group_id == int(value)),
        )
    ]


GROUP_REPORT = "benchmarking.group_report"
INDIVIDUAL_REPORT = "benchmarking.individual_report"

SOURCES = [
    ResultSource(GROUP_REPORT, _l("Field visit: group report score")),
    ResultSource(INDIVIDUAL_REPORT, _l("Field visit: individual score (practices)")),
]


def individual_assessment_id(visit: FieldVisit) -> int | None:
    """The assessment that carries a visit's individual score, by its report mode."""
    if visit.report_mode == individual.ONE_REPORT:
        return visit.individual_assessment_id
    return visit.assessment_id


def columns(session: Session, cohort_id: int, participant_ids: list[int]) -> list[ResultColumn]:
    """The plugin's result columns for ``participant_ids``: practices per stage, the visit score and
    a group-report score per visit, in a fixed number of queries.

    The values are :class:`PackedValues` (8 bytes a cell, not a dict entry and a ``Decimal``), and
    every query is read from a server-side cursor a batch at a time: for a whole cohort (an export)
    nothing is held per peserta but the cells themselves, ~60 bytes each across the columns.
    """
    ids = packed_ids(participant_ids)
    page = list(ids) if len(ids) <= PAGE_LIMIT else None  # a page: read its own rows only
    visits = list(session.scalars(select(FieldVisit).where(FieldVisit.cohort_id == cohort_id)))
    visit_ids = [v.id for v in visits]
    activity = settings.activity_name(session, visits[0]) if visits else settings.DEFAULTS.activity_name
    counts = [PackedValues(ids, fill=0) for _key in STAGE_KEYS]
    for user_id, *numbers in session.execute(stage_counts(cohort_id, page).execution_options(yield_per=COLUMN_BATCH)):
        i = counts[0].index(user_id)
        if i is not None:
            for column, n in zip(counts, numbers, strict=True):
                column.put(i, n)
    visit_scores = PackedValues(ids, kind="score")
    # Where each visit's individual score is graded: its practices, or its one individual report.
    assessment_ids = [a for v in visits if (a := individual_assessment_id(v))]
    if assessment_ids:
        by_assessment = {a.id: a for a in session.scalars(select(Assessment).where(Assessment.id.in_(assessment_ids)))}
        # By peserta from a server-side cursor: one peserta's grades at a time, not the cohort's.
        graded = session.connection().execute(
            select(Submission.assessment_id, Submission.participant_id, Grade.score)
            .join(Grade, Grade.submission_id == Submission.id)
            .where(
                Submission.assessment_id.in_(assessment_ids),
                Grade.status == GradeStatus.RELEASED,
                Grade.score.is_not(None),
                *([Submission.participant_id.in_(page)] if page is not None else []),
            )
            .order_by(Submission.participant_id)
            .execution_options(yield_per=COLUMN_BATCH)
        )
        for user_id, rows in groupby(graded, key=itemgetter(1)):
            i = visit_scores.index(user_id)
            if i is None:
                continue
            per_assessment: dict[int, list[Decimal]] = defaultdict(list)
            for assessment_id, _user, score in rows:
                if score is not None:  # (filtered in the query; the column is nullable)
                    per_assessment[assessment_id].append(score)
            # Exact per visit, rounded once after the mean over visits.
            exact_values = [
                v for a, s in per_assessment.items() if (v := exact_aggregate(by_assessment[a], s)) is not None
            ]
            value = exact_values[0] if len(exact_values) == 1 else mean(exact_values)  # one visit: its own mean
            visit_scores.put(i, None if value is None else half_up(value))
    # One group-report column per visit, in the order of the visits (a participant has a group in
    # each): a single column would show whichever visit's score came last.
    ordered = sorted(visits, key=lambda v: (v.start_date, v.id))
    group_scores = {visit.id: PackedValues(ids, kind="score") for visit in ordered}
    for visit_id, user_id, score in reports.member_score_rows(session, visit_ids, page):
        i = visit_scores.index(user_id)
        if i is not None:
            group_scores[visit_id].put(i, score)
    hosts = Counter(v.host_id for v in ordered)
    group_columns = [
        ResultColumn(
            f"benchmarking_group_score_{visit.id}",
            _l(
                "Group report score: %(visit)s",
                visit=visit.host.name
                if hosts[visit.host_id] == 1
                else f"{visit.host.name} ({format_date(visit.start_date)})",
            ),
            group_scores[visit.id],
            kind="score",
            order=65 + position,
            source=GROUP_REPORT,
        )
        for position, visit in enumerate(ordered)
    ]
    return [
        *(
            ResultColumn(f"benchmarking_{key}", STAGE_LABELS[key], counts[i], order=60 + i)
            for i, key in enumerate(STAGE_KEYS)
        ),
        ResultColumn(
            "benchmarking_visit_score",
            _l("%(activity)s score", activity=activity),
            visit_scores,
            kind="score",
            order=64,
            source=INDIVIDUAL_REPORT,
        ),
        *group_columns,
    ]


def practices_sheet(session: Session, cohort_id: int, participants: Any) -> ResultSheet | None:
    """Every submitted practice of the cohort's visits by the peserta ``participants`` (a SQL
    select of ids) selects: who, what, stage, plan, latest implementation status and the released
    score (never an unreleased one).

    One query, run when the export starts reading the rows and read from a server-side cursor a
    batch at a time (``yield_per``): the rows are handed over as they come, never held (15,000
    practices in a national cohort). Labels are translated once per sheet, visit dates formatted
    once per visit. No sheet for a cohort without a field visit.
    """
    if session.scalar(select(FieldVisit.id).where(FieldVisit.cohort_id == cohort_id).limit(1)) is None:
        return None
    submitted = (
        select(Practice.id)
        .join(Submission, Submission.id == Practice.submission_id)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .where(FieldVisit.cohort_id == cohort_id, Submission.state == SubmissionState.SUBMITTED)
    )
    latest = practices.latest_statuses(submitted)
    stmt = (
        select(
            ParticipantProfile.nip,
            User.name,
            Host.name,
            FieldVisit.start_date,
            Practice.title,
            Practice.category,
            Practice.stage,
            Practice.target_unit,
            latest.c.status,
            latest.c.confirmed_at,
            Grade.score,
        )
        .join(Submission, Submission.id == Practice.submission_id)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .join(Host, Host.id == FieldVisit.host_id)
        .join(User, User.id == Practice.participant_id)
        .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
        .outerjoin(latest, latest.c.practice_id == Practice.id)
        .outerjoin(Grade, (Grade.submission_id == Submission.id) & (Grade.status == GradeStatus.RELEASED))
        .where(
            FieldVisit.cohort_id == cohort_id,
            Submission.state == SubmissionState.SUBMITTED,
            Practice.participant_id.in_(participants),
        )
        .order_by(User.name, Practice.id)
        .execution_options(yield_per=SHEET_BATCH)
    )

    def cells() -> Iterator[list[Any]]:
        categories = {k: str(v) for k, v in practices.CATEGORY_LABELS.items()}
        stages = {k: str(v) for k, v in practices.STAGE_LABELS.items()}
        statuses = {k: str(v) for k, v in practices.STATUS_LABELS.items()}
        dates: dict[Any, str] = {}
        # Core execution on the statement (see lms.results.details.criterion_rows): plain rows.
        for (
            nip,
            name,
            host,
            visit_date,
            title,
            category,
            stage,
            target,
            status,
            confirmed,
            score,
        ) in session.connection().execute(stmt):
            shown = dates.get(visit_date)
            if shown is None:
                shown = dates[visit_date] = format_date(visit_date)
            yield [
                nip or "",
                name,
                host,
                shown,
                title,
                categories[category],
                stages[stage],
                target,
                statuses[status] if status is not None else "",
                "✓" if status is not None and confirmed is not None else "",
                float(score) if score is not None else None,
            ]

    return ResultSheet(
        name=_l("practices"),
        order=10,
        headers=[
            (_l("NIP"), "text"),
            (_l("Name"), "text"),
            (_l("Host"), "text"),
            (_l("Visit date"), "text"),
            (_l("Practice"), "text"),
            (_l("Category"), "text"),
            (_l("Stage"), "text"),
            (_l("Target unit"), "text"),
            (_l("Implementation"), "text"),
            (_l("Confirmed"), "text"),
            (_l("Score"), "score"),
        ],
        rows=cells(),
    )


def _affected(session: Session, rows: Sequence[Any]) -> list[tuple[int, int | None]]:
    """(cohort, peserta) pairs whose group-report or visit score the changed rows move (a fixed
    number of queries per flush): group members and adjustments, groups, reports, visits, and the
    grades of group reports (a report's grade is every member's score)."""
    conn = session.connection()
    visit_people: list[tuple[int, int | None]] = []
    group_people: list[tuple[int, int | None]] = []
    submissions: set[int] = set()
    sessions: set[int] = set()
    out: list[tuple[int, int | None]] = []
    for row in rows:
        if isinstance(row, FieldVisit):
            out.append((row.cohort_id, None))
        elif isinstance(row, GroupMember):
            visit_people.append((row.visit_id, row.user_id))
        elif isinstance(row, VisitGroup):
            visit_people.append((row.visit_id, None))
        elif isinstance(row, ScoreAdjustment):
            group_people.append((row.group_id, row.user_id))
        elif isinstance(row, GroupReport | PanelScore):  # a panel's score moves its group's members
            group_people.append((row.group_id, None))
        elif isinstance(row, SeminarSession | SeminarSlot):
            visit_people.append((row.visit_id, None))
        elif isinstance(row, PanelMember):  # who is on the panel: the presentation score's mean
            sessions.add(row.session_id)
        elif isinstance(row, Grade) and row.submission_id is not None:
            submissions.add(row.submission_id)
    if submissions:
        for group_id, user_id in conn.execute(
            select(GroupReport.group_id, GroupMember.user_id)
            .join(GroupMember, GroupMember.group_id == GroupReport.group_id)
            .where(GroupReport.submission_id.in_(sorted(submissions)))
        ):
            group_people.append((group_id, user_id))
    if sessions:
        visit_people += [
            (visit_id, None)
            for (visit_id,) in conn.execute(
                select(SeminarSession.visit_id).where(SeminarSession.id.in_(sorted(sessions)))
            )
        ]
    if group_people:
        visit_of = dict(
            conn.execute(
                select(VisitGroup.id, VisitGroup.visit_id).where(
                    VisitGroup.id.in_(sorted({g for g, _u in group_people}))
                )
            ).all()
        )
        visit_people += [(visit_of[g], u) for g, u in group_people if g in visit_of]
    if visit_people:
        cohort_of = dict(
            conn.execute(
                select(FieldVisit.id, FieldVisit.cohort_id).where(
                    FieldVisit.id.in_(sorted({v for v, _u in visit_people}))
                )
            ).all()
        )
        out += [(cohort_of[v], u) for v, u in visit_people if v in cohort_of]
    return out


def _shown(session: Session, rows: Sequence[Any]) -> list[tuple[int, int | None]]:
    """(cohort, None) for the cohorts whose results show the changed rows without a score moving:
    the practice counts and implemented column (submitted practices, their follow-ups and rounds),
    a host's name (the group-report columns and the group filter), the activity's name."""
    conn = session.connection()
    cohorts: set[int] = {r.cohort_id for r in rows if isinstance(r, FollowupRound)}
    practices = [r for r in rows if isinstance(r, Practice)]
    practice_ids = {r.practice_id for r in rows if isinstance(r, Followup)} - {p.id for p in practices}
    visits: set[int] = set()
    if practices:
        # A draft's practices count nowhere (its submission moves the results when it is sent).
        submitted = set(
            conn.scalars(
                select(Submission.id).where(
                    Submission.id.in_(sorted({p.submission_id for p in practices})),
                    Submission.state == SubmissionState.SUBMITTED,
                )
            )
        )
        visits |= {p.visit_id for p in practices if p.submission_id in submitted}
    if practice_ids:
        visits |= set(conn.scalars(select(Practice.visit_id).where(Practice.id.in_(sorted(practice_ids)))))
    hosts = {r.id for r in rows if isinstance(r, Host)}
    if visits or hosts:
        cohorts |= set(
            conn.scalars(
                select(FieldVisit.cohort_id)
                .where(FieldVisit.id.in_(sorted(visits)) | FieldVisit.host_id.in_(sorted(hosts)))
                .distinct()
            )
        )
    programs = {r.program_id for r in rows if isinstance(r, ProgramSettings)}
    if programs:
        cohorts |= set(conn.scalars(select(Cohort.id).where(Cohort.program_id.in_(sorted(programs)))))
    return [(c, None) for c in sorted(cohorts)]


# What moves the plugin's result scores (lms_result_inputs): the core refreshes the stored results
# of the (cohort, peserta) pairs these answer; the scores themselves still come through the columns.
# What the results only show (practices, follow-ups, names) moves no score: ``recompute=False``.
RESULT_INPUTS = [
    # Only the columns these show: a draft practice's autosave or a publication flag is no change.
    *(
        ResultInput(model, _shown, recompute=False, columns=columns)
        for model, columns in (
            (Practice, ("stage", "visit_id", "participant_id", "submission_id")),
            (Followup, ("status", "round_id", "practice_id", "reported_at")),
            (FollowupRound, ("opens_on", "cohort_id")),
            (Host, ("name",)),
            (ProgramSettings, ("activity_name",)),
        )
    ),
    *(
        ResultInput(model, _affected)
        for model in (
            FieldVisit,
            VisitGroup,
            GroupMember,
            ScoreAdjustment,
            GroupReport,
            Grade,
            SeminarSession,
            SeminarSlot,
            PanelMember,
            PanelScore,
        )
    ),
]
