"""The practice log: identified → adopted or adapted, graded through the core engine.

Each practice is one attempt (a core submission) at the visit's assessment of kind
``benchmarking.practice``, so it is queued, graded, audited and released like any other work.
Services flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.assessments import services as assessments
from lms.assessments.models import Aggregation, Submission, SubmissionState
from lms.cohorts.models import Membership, Role
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.grading.models import Grade, GradeEvent
from lms.rubrics import services as rubrics
from lms.rubrics.services import CriterionData, LevelData, RubricData
from lms.users.models import User
from plugins.benchmarking import search, settings
from plugins.benchmarking.models import (
    IMPLEMENTED_STATUSES,
    Attachment,
    FieldVisit,
    Followup,
    FollowupRound,
    ImplementationStatus,
    Practice,
    PracticeCategory,
    Stage,
)
from plugins.benchmarking.services import visit_due_at

PRACTICE_KIND = "benchmarking.practice"
REPORT_KIND = "benchmarking.report"
REASONS = ("budget", "regulation", "scale", "culture")

CATEGORY_LABELS = {
    PracticeCategory.SERVICE_INNOVATION: _l("Service innovation"),
    PracticeCategory.DIGITAL_SERVICE: _l("Digital service"),
    PracticeCategory.BUREAUCRACY_REFORM: _l("Bureaucracy reform"),
    PracticeCategory.HUMAN_RESOURCES: _l("Human resources"),
    PracticeCategory.FINANCE: _l("Finance"),
    PracticeCategory.HEALTH: _l("Health"),
    PracticeCategory.OTHER: _l("Other"),
}
STAGE_LABELS = {Stage.IDENTIFIED: _l("Identified"), Stage.ADOPTED: _l("Adopted"), Stage.ADAPTED: _l("Adapted")}
REASON_LABELS = {"budget": _l("budget"), "regulation": _l("regulation"), "scale": _l("scale"), "culture": _l("culture")}
STATUS_LABELS = {
    ImplementationStatus.PLANNED: _l("Planned"),
    ImplementationStatus.IN_PROGRESS: _l("In progress"),
    ImplementationStatus.IMPLEMENTED: _l("Implemented"),
    ImplementationStatus.SUSTAINED: _l("Sustained"),
    ImplementationStatus.DISCONTINUED: _l("Discontinued"),
}


def _levels(*descriptors: Any) -> list[LevelData]:
    labels = (_l("Beginning"), _l("Developing"), _l("Proficient"), _l("Exemplary"))
    return [
        LevelData(label=str(label), points=Decimal(i + 1), descriptor=str(d))
        for i, (label, d) in enumerate(zip(labels, descriptors, strict=True))
    ]


def practice_rubric() -> RubricData:
    """The default rubric for practices, editable like any rubric once copied into a cohort."""
    return RubricData(
        title=str(_l("Benchmarking practice")),
        criteria=[
            CriterionData(
                str(_l("Relevance to the participant's agency")),
                weight=Decimal(2),
                levels=_levels(
                    _l("No link to the agency's problems."),
                    _l("A general link."),
                    _l("A clear link to a named problem."),
                    _l("A clear link, with data on the problem it would solve."),
                ),
            ),
            CriterionData(
                str(_l("Depth of analysis of the host practice")),
                weight=Decimal(2),
                levels=_levels(
                    _l("Describes what was seen."),
                    _l("Explains some reasons it works."),
                    _l("Explains why it works: leadership, rules, budget, culture."),
                    _l("Explains why it works and what it depends on, with the guiding questions answered."),
                ),
            ),
            CriterionData(
                str(_l("Feasibility of the adoption or adaptation plan")),
                weight=Decimal(2),
                levels=_levels(
                    _l("No plan."),
                    _l("A plan without resources or timeline."),
                    _l("A plan with unit, timeline and resources."),
                    _l("A realistic plan with risks and the link to the change project."),
                ),
            ),
            CriterionData(
                str(_l("Evidence")),
                weight=Decimal(1),
                levels=_levels(
                    _l("None."), _l("Some notes."), _l("Photos or documents."), _l("Documents and data from the host.")
                ),
            ),
            CriterionData(
                str(_l("Clarity")),
                weight=Decimal(1),
                levels=_levels(_l("Hard to follow."), _l("Mostly clear."), _l("Clear."), _l("Clear and concise.")),
            ),
        ],
    )


def report_rubric() -> RubricData:
    return RubricData(
        title=str(_l("Benchmarking group report")),
        criteria=[
            CriterionData(
                str(_l("Synthesis of the group's practices")),
                weight=Decimal(2),
                levels=_levels(
                    _l("A list of practices."),
                    _l("Some comparison."),
                    _l("A synthesis across members."),
                    _l("A synthesis with shared lessons and disagreements."),
                ),
            ),
            CriterionData(
                str(_l("Recommendations")),
                weight=Decimal(2),
                levels=_levels(
                    _l("None."), _l("General."), _l("Specific to agencies."), _l("Specific, prioritised and feasible.")
                ),
            ),
            CriterionData(
                str(_l("Presentation")),
                weight=Decimal(1),
                levels=_levels(_l("Hard to follow."), _l("Mostly clear."), _l("Clear."), _l("Clear and engaging.")),
            ),
        ],
    )


def ensure_assessments(session: Session, visit: FieldVisit, actor: User | None) -> FieldVisit:
    """Give the visit its two assessments (practices, group report), each with a default rubric copied
    into the cohort; due two weeks after the visit, cut-off a week later."""
    cohort = visit.cohort
    activity = settings.activity_name(session, visit)
    due = visit_due_at(visit)
    if visit.assessment_id is None:
        rubric = rubrics.create_rubric(session, practice_rubric(), actor=actor, cohort=cohort)
        practice_assessment = assessments.save_assessment(
            session,
            None,
            cohort,
            assessments.AssessmentFields(
                title=str(_l("%(activity)s practices: %(host)s", activity=activity, host=visit.host.name)),
                kind=PRACTICE_KIND,
                instructions=str(
                    _l(
                        "Log at least %(n)s practices you identified at the host, and which you will adopt or adapt.",
                        n=visit.min_practices,
                    )
                ),
                due_at=due,
                cutoff_at=due + timedelta(days=7),
                weight=Decimal(2),
                rubric_id=rubric.id,
                max_submissions=20,
                aggregation=Aggregation.BEST,
                best_n=max(1, visit.min_practices),
            ),
            known_kinds={PRACTICE_KIND},
        )
        visit.assessment_id = practice_assessment.id
    if visit.report_assessment_id is None:
        rubric = rubrics.create_rubric(session, report_rubric(), actor=actor, cohort=cohort)
        report = assessments.save_assessment(
            session,
            None,
            cohort,
            assessments.AssessmentFields(
                title=str(_l("%(activity)s group report: %(host)s", activity=activity, host=visit.host.name)),
                kind=REPORT_KIND,
                # Weight 0: the report's one submission belongs to the leader, so each member's share (with
                # adjustments) reaches the results through the plugin's group-score column instead.
                due_at=due,
                cutoff_at=due + timedelta(days=7),
                weight=Decimal(0),
                rubric_id=rubric.id,
            ),
            known_kinds={REPORT_KIND},
        )
        visit.report_assessment_id = report.id
    session.flush()
    return visit


# -- a practice ----------------------------------------------------------------------------------


@dataclass
class PracticeFields:
    title: str = ""
    category: str = PracticeCategory.SERVICE_INNOVATION.value
    identified: str = ""
    evidence_links: str = ""
    stage: str = Stage.IDENTIFIED.value
    adoption_plan: str = ""
    changes: str = ""
    reasons: tuple[str, ...] = ()
    target_unit: str = ""
    timeline: str = ""
    resources: str = ""
    risks: str = ""
    change_project_link: str = ""
    private_note: str = ""
    success_factors: str = ""
    not_adopted_reason: str = ""
    host_recommendations: str = ""


class PracticeInvalid(DomainError):
    """One or more fields break the stage rules; ``problems`` maps field names to messages."""

    def __init__(self, problems: dict[str, Any]) -> None:
        super().__init__(_l("Please correct the marked fields."), field=next(iter(problems)))
        self.problems = problems


def check(fields_: PracticeFields, *, complete: bool = True) -> None:
    """The stage rules: an adoption says what is replicated and where; an adaptation says what
    changes and why, for which unit and when.

    A draft (``complete=False``) is saved with anything filled in: only what can never be stored
    (an unknown category, stage or reason, a link that is not http/https) is refused; what is
    missing is asked for at submit, so nothing typed is lost to a half-finished form.
    """
    problems: dict[str, Any] = {}
    if fields_.category not in {c.value for c in PracticeCategory}:
        problems["category"] = _l("Choose a category.")
    if fields_.stage not in {s.value for s in Stage}:
        problems["stage"] = _l("Choose a stage.")
    if set(fields_.reasons) - set(REASONS):
        problems["reasons"] = _l("Say why it must change: budget, regulation, scale or culture.")
    if complete:
        if not fields_.title.strip():
            problems["title"] = _l("Give the practice a title.")
        if not fields_.identified.strip():
            problems["identified"] = _l("Describe what the host does and why it works.")
        if fields_.stage == Stage.ADOPTED and not fields_.adoption_plan.strip():
            problems["adoption_plan"] = _l("An adopted practice needs a plan: what will be replicated, and where.")
        if fields_.stage == Stage.ADAPTED:
            if not fields_.changes.strip():
                problems["changes"] = _l("An adapted practice needs to say what changes and why.")
            if not fields_.reasons:
                problems["reasons"] = _l("Say why it must change: budget, regulation, scale or culture.")
            if not fields_.target_unit.strip():
                problems["target_unit"] = _l("Name the unit where it will be applied.")
            if not fields_.timeline.strip():
                problems["timeline"] = _l("Give a timeline.")
    for name in ("evidence_links", "change_project_link"):
        for line in getattr(fields_, name).splitlines():
            if line.strip() and not line.strip().startswith(("http://", "https://")):
                problems[name] = _l("Links must start with http:// or https://.")
    if problems:
        raise PracticeInvalid(problems)


def fields_of(practice: Practice) -> PracticeFields:
    """What a stored practice says, as the form and :func:`check` read it."""
    values: dict[str, Any] = {f.name: getattr(practice, f.name) for f in fields(PracticeFields)}
    values["category"], values["stage"] = practice.category.value, practice.stage.value
    values["reasons"] = tuple(practice.reason_list)
    return PracticeFields(**values)


def _apply(practice: Practice, fields_: PracticeFields, now: datetime) -> None:
    for f in fields(PracticeFields):
        value = getattr(fields_, f.name)
        if f.name == "reasons":
            practice.reasons = ",".join(r for r in REASONS if r in value)
        elif f.name == "category":
            practice.category = PracticeCategory(value)
        elif f.name == "stage":
            practice.stage = Stage(value)
        else:
            setattr(practice, f.name, value.strip())
    if practice.stage != Stage.IDENTIFIED:
        practice.not_adopted_reason = ""  # taken after all: the reason for not taking it no longer holds
    practice.updated_at = now


def create_practice(
    session: Session,
    visit: FieldVisit,
    participant: User,
    fields_: PracticeFields,
    now: datetime,
    form_key: str | None = None,
) -> Practice:
    """Log a new practice as a draft: a new attempt at the visit's practice assessment.

    ``form_key`` is the key of the form rendering it was typed in: when a practice was already made
    from it (a double click, a resent form) that practice is returned and nothing new is stored.
    Two creates at the same moment can still collide on the attempt number or the key; the flush
    then raises ``IntegrityError`` and the caller rolls back and asks :func:`created_from`.
    A draft needs no field filled in (see :func:`check`).
    """
    check(fields_, complete=False)
    if visit.assessment is None:
        raise DomainError(_l("This visit does not take practice logs yet; ask the program manager."), status=409)
    existing = created_from(session, participant, form_key)
    if existing is not None:
        return existing
    submission = assessments.new_attempt(session, visit.assessment, participant, now)
    assessments.save_draft(session, submission, fields_.identified, submission.version, participant, now, reason="save")
    practice = Practice(
        submission_id=submission.id,
        visit_id=visit.id,
        participant_id=participant.id,
        form_key=form_key or None,
        version=1,
    )
    _apply(practice, fields_, now)
    session.add(practice)
    session.flush()
    return practice


def created_from(session: Session, participant: User, form_key: str | None) -> Practice | None:
    """The participant's practice made from the form rendering ``form_key``, if any."""
    if not form_key:
        return None
    return session.scalar(
        select(Practice).where(Practice.form_key == form_key, Practice.participant_id == participant.id)
    )


CREATE_RACE = _l(
    "Another practice was saved at the same moment, so this one was not saved yet. "
    "What you wrote is kept below: save it again."
)


class PracticeConflict(Conflict):
    """The practice was saved from another tab since this form was opened; nothing was written.

    The caller shows the stored version (``practice``) beside what this person typed.
    """

    def __init__(self, practice: Practice) -> None:
        super().__init__(
            _l(
                "This practice was changed in another tab or device since you opened it, so your "
                "changes were not saved. The stored version is shown below and your text is kept in "
                "the form: merge them and save again."
            )
        )
        self.practice = practice


def update_practice(
    session: Session,
    practice: Practice,
    fields_: PracticeFields,
    actor: User,
    now: datetime,
    base_version: int | None = None,
) -> None:
    """Change a draft or returned practice; each change of the text is a revision of its submission.

    ``base_version`` is the practice version the form showed: a save from an older one is refused
    with :class:`PracticeConflict` (optimistic locking, as grades). The versioned UPDATE also
    refuses a save that loses a race at the same instant (``StaleDataError``).
    """
    if practice.participant_id != actor.id:
        raise DomainError(_l("You can only edit your own practices."), status=403)
    check(fields_, complete=False)
    session.refresh(practice, with_for_update=True)  # one writer at a time per practice (PostgreSQL)
    if base_version is not None and base_version != practice.version:
        raise PracticeConflict(practice)
    submission = practice.submission
    assessments.save_draft(session, submission, fields_.identified, submission.version, actor, now, reason="save")
    _apply(practice, fields_, now)
    practice.version += 1
    session.flush()


def submit_practice(
    session: Session, practice: Practice, actor: User, now: datetime, share_consent: bool = False
) -> None:
    """Hand the practice in, recording whether the author agrees that a published copy names them
    and shows their evidence (asked at every submit: the answer of the latest one counts).

    The stage rules a draft may still break are checked here (:class:`PracticeInvalid`).
    Refused (422, nothing changes) while the author has logged fewer practices for the visit than
    its minimum (:func:`check_minimum`).
    """
    if practice.participant_id != actor.id:
        raise DomainError(_l("You can only submit your own work."), status=403)
    check(fields_of(practice))
    check_minimum(session, practice.visit, practice.participant_id)
    assessments.submit(session, practice.submission, actor, now)
    practice.share_consent = share_consent
    if practice.published_copy and not share_consent:  # consent withdrawn: the published copy follows now
        practice.published_copy = practice.published_copy | {"author": None, "evidence_links": "", "attachments": []}
    session.flush()


WITHDRAW_OFF = _l("This visit does not allow taking a submitted practice back; ask the course organiser.")


def withdraw_practice(session: Session, practice: Practice, actor: User, now: datetime) -> None:
    """Take a submitted practice back to draft ("tarik kembali"), where its visit allows it.

    The core's withdrawal locks the submission row, as a grade's save does, and refuses (409) once
    a grade exists or the due time has passed: a grader who starts in the same instant wins or waits.
    """
    if practice.participant_id != actor.id:
        raise DomainError(_l("You can only withdraw your own work."), status=403)
    if not practice.visit.allow_withdraw:
        raise Conflict(WITHDRAW_OFF)
    assessments.withdraw(session, practice.submission, actor, now)


class TooFewPractices(DomainError):
    """Fewer practices logged than the visit's minimum: nothing is handed in."""

    def __init__(self, have: int, need: int) -> None:
        super().__init__(
            _l(
                "This visit asks for at least %(need)s practices and you have logged %(have)s. "
                "Log the others (a draft is enough), then submit.",
                need=need,
                have=have,
            ),
            status=422,
        )
        self.have, self.need = have, need


def check_minimum(session: Session, visit: FieldVisit, participant_id: int) -> None:
    """Refuse with :class:`TooFewPractices` while ``participant_id`` has logged (drafts count) fewer
    practices for ``visit`` than its ``min_practices``; one query."""
    have = session.scalar(
        select(func.count()).where(Practice.visit_id == visit.id, Practice.participant_id == participant_id)
    )
    if (have or 0) < visit.min_practices:
        raise TooFewPractices(have or 0, visit.min_practices)


def delete_practice(session: Session, practice: Practice, actor: User) -> list[str]:
    """Delete a practice no grader has touched; returns the stored files to remove after commit."""
    if practice.participant_id != actor.id:
        raise DomainError(_l("You can only delete your own practices."), status=403)
    ensure_editable(practice.visit.cohort)
    if session.scalar(select(Grade.id).where(Grade.submission_id == practice.submission_id)) is not None:
        raise DomainError(_l("This practice has been graded and cannot be deleted."), status=409)
    if practice.submission.state == SubmissionState.SUBMITTED:
        raise DomainError(_l("This practice is submitted; withdraw it first."), status=409)
    stored = [a.stored_name for a in practice.attachments]
    stored += list(
        session.scalars(
            select(Attachment.stored_name)
            .join(Followup, Attachment.followup_id == Followup.id)
            .where(Followup.practice_id == practice.id)
        )
    )
    session.delete(practice.submission)  # cascades to the practice
    session.flush()
    return stored


def visit_of_assessment(session: Session, assessment_id: int) -> FieldVisit | None:
    return session.scalar(select(FieldVisit).where(FieldVisit.assessment_id == assessment_id))


def practices_of(
    session: Session, visit_id: int, participant_id: int
) -> list[tuple[Practice, Submission, Grade | None]]:
    """The participant's practices for a visit with submission and grade (one query)."""
    rows = session.execute(
        select(Practice, Submission, Grade)
        .join(Submission, Submission.id == Practice.submission_id)
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(Practice.visit_id == visit_id, Practice.participant_id == participant_id)
        .options(selectinload(Practice.attachments))
        .order_by(Practice.id)
    ).all()
    return [(p, s, g) for p, s, g in rows]


def latest_status(session: Session, practice_ids: list[int]) -> dict[int, Followup]:
    """The newest follow-up of each practice (by round opening, then report time), in one query."""
    if not practice_ids:
        return {}
    rows = session.execute(
        select(Followup)
        .join(FollowupRound, FollowupRound.id == Followup.round_id)
        .where(Followup.practice_id.in_(practice_ids))
        .order_by(FollowupRound.opens_on, Followup.reported_at)
    ).scalars()
    out: dict[int, Followup] = {}
    for followup in rows:
        out[followup.practice_id] = followup
    return out


def latest_statuses(practices: Any) -> Any:
    """A subquery of each practice's newest follow-up (``practice_id``, ``status``, ``confirmed_at``), for
    the practices whose ids ``practices`` (a SQL select) returns: the aggregates' counterpart of
    :func:`latest_status`, with the same order (round opening, then report time)."""
    ranked = (
        select(
            Followup.practice_id,
            Followup.status,
            Followup.confirmed_at,
            func.row_number()
            .over(
                partition_by=Followup.practice_id,
                order_by=(FollowupRound.opens_on.desc(), Followup.reported_at.desc(), Followup.id.desc()),
            )
            .label("n"),
        )
        .join(FollowupRound, FollowupRound.id == Followup.round_id)
        .where(Followup.practice_id.in_(practices))
        .subquery()
    )
    return select(ranked.c.practice_id, ranked.c.status, ranked.c.confirmed_at).where(ranked.c.n == 1).subquery()


def funnel(session: Session, visit: FieldVisit) -> dict[str, int]:
    """Submitted practices of the visit: identified (all), adopted, adapted, and implemented at home
    (one aggregate query)."""
    submitted = (
        select(Practice.id)
        .join(Submission, Submission.id == Practice.submission_id)
        .where(Practice.visit_id == visit.id, Submission.state == SubmissionState.SUBMITTED)
    )
    latest = latest_statuses(submitted)
    implemented = and_(Practice.stage != Stage.IDENTIFIED, latest.c.status.in_(IMPLEMENTED_STATUSES))
    identified, adopted, adapted, done = session.execute(
        select(
            func.count(Practice.id),
            func.count(case((Practice.stage == Stage.ADOPTED, 1))),
            func.count(case((Practice.stage == Stage.ADAPTED, 1))),
            func.count(case((implemented, 1))),
        )
        .select_from(Practice)
        .outerjoin(latest, latest.c.practice_id == Practice.id)
        .where(Practice.id.in_(submitted))
    ).one()
    return {
        "identified": identified,
        "adopted": adopted,
        "adapted": adapted,
        "planned": adopted + adapted,
        "implemented": done,
    }


def funnel_rows(visit: FieldVisit) -> Select[Practice, Submission]:
    """The visit's handed-in practices with their submissions, by participant: the funnel's detail,
    to paginate (drafts are their author's until handed in, as on the practice's own page)."""
    return (
        select(Practice, Submission)
        .join(Submission, Submission.id == Practice.submission_id)
        .where(Practice.visit_id == visit.id, Submission.state != SubmissionState.DRAFT)
        .order_by(Practice.participant_id, Practice.id)
    )


def host_practices(session: Session, host_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """Across every cohort that visited the host: published practices by title, how often adopted or
    adapted and how often actually implemented, most adopted first.

    Only published copies are read (a practice published before copies were kept: its own title
    and stage): unpublished work, and drafts written after a return for revision, stay private. The
    counting is one aggregate query by lower-cased title; titles that differ only in inner spaces
    are then merged.
    """
    copy = Practice.published_copy
    title = func.coalesce(copy["title"].as_string(), Practice.title)
    stage = func.coalesce(copy["stage"].as_string(), Practice.stage)
    published = (
        select(Practice.id)
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .where(FieldVisit.host_id == host_id, Practice.published.is_(True))
    )
    latest = latest_statuses(published)
    key = func.lower(func.trim(title))
    rows = session.execute(
        select(
            key,
            func.min(title),
            func.count(),
            func.count(case((latest.c.status.in_(IMPLEMENTED_STATUSES), 1))),
        )
        .select_from(Practice)
        .outerjoin(latest, latest.c.practice_id == Practice.id)
        .where(Practice.id.in_(published), stage != Stage.IDENTIFIED.value)
        .group_by(key)
    ).all()
    groups: dict[str, dict[str, Any]] = {}
    for lowered, shown, planned, implemented in rows:
        entry = groups.setdefault(" ".join(lowered.split()), {"title": shown, "planned": 0, "implemented": 0})
        entry["planned"] += planned
        entry["implemented"] += implemented
    return sorted(groups.values(), key=lambda e: (-e["planned"], -e["implemented"], e["title"]))[:limit]


def live_visibility(user: User, staff_cohorts: set[int]) -> Any:
    """Where ``user`` reads a practice itself rather than its published copy: their own, and the
    handed-in practices of cohorts they teach (every one for an admin). A SQL condition."""
    staff: list[Any] = []
    if user.is_admin:
        staff.append(Practice.id.is_not(None))
    elif staff_cohorts:
        staff.append(FieldVisit.cohort_id.in_(sorted(staff_cohorts)))
    handed_in = Submission.state != SubmissionState.DRAFT
    return or_(Practice.participant_id == user.id, and_(or_(*staff), handed_in) if staff else false())


def catalogue(
    user: User,
    staff_cohorts: set[int],
    *,
    query: str = "",
    host_id: int | None = None,
    category: str = "",
    stage: str = "",
    status: str = "",
    dialect: str = "sqlite",
) -> Select[Practice, FieldVisit, bool]:
    """Practices across cohorts: published copies for everyone, the practices themselves of the
    cohorts one teaches (once handed in) and one's own.

    Rows are ``(Practice, FieldVisit, live)``: with ``live`` false only the published copy may be
    shown (:func:`published_view`); searching (full text, :func:`plugins.benchmarking.search.matches`
    for the database's ``dialect``) and filtering read the same. Grades, feedback and private notes
    are not part of it.
    """
    live = live_visibility(user, staff_cohorts)
    copy = Practice.published_copy

    def shown(column: Any, key: str) -> Any:
        return case((live, column), else_=func.coalesce(copy[key].as_string(), column))

    stmt = (
        select(Practice, FieldVisit, live.label("live"))
        .join(FieldVisit, FieldVisit.id == Practice.visit_id)
        .join(Submission, Submission.id == Practice.submission_id)
        .where(or_(live, Practice.published.is_(True)))
        .options(joinedload(FieldVisit.host), joinedload(Practice.participant), selectinload(Practice.attachments))
        .order_by(Practice.updated_at.desc(), Practice.id.desc())
    )
    found = search.matches(dialect, query, Practice.id, live)
    if found is not None:
        stmt = stmt.where(found)
    if host_id:
        stmt = stmt.where(FieldVisit.host_id == host_id)
    if category in {c.value for c in PracticeCategory}:
        stmt = stmt.where(shown(Practice.category, "category") == category)
    if stage in {s.value for s in Stage}:
        stmt = stmt.where(shown(Practice.stage, "stage") == stage)
    if status in {s.value for s in ImplementationStatus}:
        latest = (
            select(Followup.practice_id, func.max(Followup.reported_at).label("at"))
            .group_by(Followup.practice_id)
            .subquery()
        )
        stmt = (
            stmt.join(latest, latest.c.practice_id == Practice.id)
            .join(Followup, (Followup.practice_id == Practice.id) & (Followup.reported_at == latest.c.at))
            .where(Followup.status == ImplementationStatus(status))
        )
    return stmt


# -- the published copy --------------------------------------------------------------------------

PUBLISHED_FIELDS = (
    "title",
    "category",
    "stage",
    "identified",
    "adoption_plan",
    "changes",
    "reasons",
    "target_unit",
    "timeline",
    "resources",
    "risks",
    "success_factors",
    "not_adopted_reason",
    "host_recommendations",
)


def publication(practice: Practice) -> dict[str, Any]:
    """What the catalogue shows of a practice: its content as it is now, without the private note or
    the change-project link; the author's name, evidence links and files only with their consent."""
    copy: dict[str, Any] = {name: getattr(practice, name) for name in PUBLISHED_FIELDS}
    copy["category"], copy["stage"] = practice.category.value, practice.stage.value
    consent = practice.share_consent
    copy["author"] = practice.participant.name if consent else None
    copy["evidence_links"] = practice.evidence_links if consent else ""
    copy["attachments"] = (
        [{"id": a.id, "name": a.original_name, "image": a.is_image} for a in practice.attachments] if consent else []
    )
    return copy


@dataclass(frozen=True)
class Published:
    """A published copy as the templates read it (the same names as a practice)."""

    id: int
    title: str
    category: PracticeCategory
    stage: Stage
    identified: str
    adoption_plan: str
    changes: str
    reasons: str
    target_unit: str
    timeline: str
    resources: str
    risks: str
    success_factors: str
    not_adopted_reason: str
    host_recommendations: str
    author: str | None
    evidence_links: str
    attachments: tuple[dict[str, Any], ...]

    @property
    def reason_list(self) -> list[str]:
        return [r for r in self.reasons.split(",") if r]


def published_view(practice: Practice) -> Published:
    """The public face of a published practice: its copy (a practice published before copies were
    kept gets one made from its current content, with neither name nor files)."""
    copy = practice.published_copy
    if copy is None:
        copy = publication(practice) | {"author": None, "evidence_links": "", "attachments": []}
    return Published(
        id=practice.id,
        title=copy["title"],
        category=PracticeCategory(copy["category"]),
        stage=Stage(copy["stage"]),
        identified=copy["identified"],
        adoption_plan=copy["adoption_plan"],
        changes=copy["changes"],
        reasons=copy["reasons"],
        target_unit=copy["target_unit"],
        timeline=copy["timeline"],
        resources=copy["resources"],
        risks=copy["risks"],
        # Copies published before these fields existed have none.
        success_factors=copy.get("success_factors", ""),
        not_adopted_reason=copy.get("not_adopted_reason", ""),
        host_recommendations=copy.get("host_recommendations", ""),
        author=copy.get("author"),
        evidence_links=copy.get("evidence_links", ""),
        attachments=tuple(copy.get("attachments", ())),
    )


def published_attachment_ids(practice: Practice) -> set[int]:
    """The evidence files a published practice shares (none without the author's consent)."""
    if not practice.published or not practice.share_consent or not practice.published_copy:
        return set()
    return {a["id"] for a in practice.published_copy.get("attachments", [])}


def set_published(session: Session, practice: Practice, published: bool) -> None:
    """Put the practice in the catalogue as it is now (a copy: later drafts, after a return for
    revision, stay private until it is published again), or take it out."""
    if published:
        if practice.submission.state != SubmissionState.SUBMITTED:
            raise Conflict(_l("Only submitted practices can be published; this one is a draft or being revised."))
        practice.published_copy = publication(practice)
    else:
        practice.published_copy = None
    practice.published = published
    session.flush()


def return_note(session: Session, submission_id: int) -> str | None:
    """The note of the latest return for revision, while the work is back with its author."""

    return session.scalar(
        select(GradeEvent.reason)
        .join(Submission, Submission.id == GradeEvent.submission_id)
        .where(
            GradeEvent.submission_id == submission_id,
            GradeEvent.action == "return",
            Submission.state == SubmissionState.RETURNED,
        )
        .order_by(GradeEvent.at.desc(), GradeEvent.id.desc())
        .limit(1)
    )


def is_cohort_participant(session: Session, cohort_id: int, user_id: int) -> bool:
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.cohort_id == cohort_id, Membership.user_id == user_id, Membership.role == Role.PARTICIPANT
            )
        )
        is not None
    )
