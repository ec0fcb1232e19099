"""Rubrics: build, check, version and copy them. Services flush, never commit.

A rubric travels as plain data (:class:`RubricData`) between the builder, the file formats and the
database, so every path in checks the same rules in :func:`problems`. Once a grade uses a rubric it
is frozen: saving it then makes a new version in the same family, assessments move to the new
version and grades keep the version they were given with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from lms.assessments.models import Assessment, Submission
from lms.cohorts.models import Cohort
from lms.cohorts.services import ensure_editable
from lms.core.errors import Conflict, DomainError
from lms.db import changed_rows
from lms.grading.models import Grade
from lms.rubrics.models import Criterion, Level, Rubric

# The columns hold Numeric(8, 2): six digits before the point, two after.
MAX_NUMBER = Decimal("999999.99")
MAX_CRITERIA = 50
MAX_LEVELS = 12
TITLE_MAX = 200
LABEL_MAX = 100
TEXT_MAX = 5000


@dataclass
class LevelData:
    label: str
    points: Decimal
    descriptor: str = ""


@dataclass
class CriterionData:
    title: str
    description: str = ""
    weight: Decimal = Decimal(1)
    levels: list[LevelData] = field(default_factory=list)


@dataclass
class RubricData:
    """A rubric as plain data: what the builder, JSON and CSV files and the database exchange."""

    title: str
    description: str = ""
    criteria: list[CriterionData] = field(default_factory=list)


class RubricInvalid(DomainError):
    """The rubric breaks one or more rules; ``problems`` maps a builder field name to its messages.

    Field names follow the builder: ``title``, ``c-0-title``, ``c-0-l-1-points`` (0-based indexes of
    the criterion and level in the data). The message is the first problem's.
    """

    def __init__(self, problems: dict[str, list[Any]]) -> None:
        first_field, messages = next(iter(problems.items()))
        super().__init__(messages[0], field=first_field)
        self.problems = problems


# -- checking ------------------------------------------------------------------------------------


def _clean(text: Any) -> str:
    return str(text or "").strip()


def normalized(data: RubricData) -> RubricData:
    """A copy with surrounding white space removed from every text."""
    return RubricData(
        title=_clean(data.title),
        description=_clean(data.description),
        criteria=[
            CriterionData(
                title=_clean(c.title),
                description=_clean(c.description),
                weight=c.weight,
                levels=[LevelData(_clean(lv.label), lv.points, _clean(lv.descriptor)) for lv in c.levels],
            )
            for c in data.criteria
        ],
    )


def _number_problem(value: Any, *, positive: bool) -> Any | None:
    """Why ``value`` cannot be a weight (``positive``) or points, or None when it can."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return _l("Enter a number, e.g. 2 or 2.5.")
    if not number.is_finite():
        return _l("Enter a number, e.g. 2 or 2.5.")
    if positive and number <= 0:
        return _l("The weight must be more than 0.")
    if number < 0:
        return _l("Points cannot be negative.")
    if number > MAX_NUMBER:
        return _l("The number is too large (at most %(max)s).", max=MAX_NUMBER)
    if number != number.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        return _l("Use at most two decimals.")
    return None


def problems(data: RubricData) -> dict[str, list[Any]]:
    """Every rule the rubric breaks, keyed by the builder's field names; empty when it is valid.

    Messages name the criterion (by number and title) and the level, so they also make sense
    away from the builder, e.g. after importing a file.
    """
    found: dict[str, list[Any]] = {}

    def add(key: str, message: Any) -> None:
        found.setdefault(key, []).append(message)

    data = normalized(data)
    if not data.title:
        add("title", _l("Give the rubric a title."))
    elif len(data.title) > TITLE_MAX:
        add("title", _l("The title is too long (at most %(max)s characters).", max=TITLE_MAX))
    if len(data.description) > TEXT_MAX:
        add("description", _l("The description is too long (at most %(max)s characters).", max=TEXT_MAX))
    if not data.criteria:
        add("criteria", _l("A rubric needs at least one criterion."))
    if len(data.criteria) > MAX_CRITERIA:
        add("criteria", _l("A rubric can have at most %(max)s criteria.", max=MAX_CRITERIA))
    titles: set[str] = set()
    for i, criterion in enumerate(data.criteria):
        prefix = f"c-{i}"
        name = criterion.title or _l("(untitled)")
        if not criterion.title:
            add(f"{prefix}-title", _l("Criterion %(n)s: enter a title.", n=i + 1))
        elif len(criterion.title) > TITLE_MAX:
            add(
                f"{prefix}-title",
                _l("Criterion %(n)s: the title is too long (at most %(max)s characters).", n=i + 1, max=TITLE_MAX),
            )
        elif criterion.title.casefold() in titles:
            add(
                f"{prefix}-title",
                _l("Criterion %(n)s: another criterion already has the title %(name)s.", n=i + 1, name=criterion.title),
            )
        titles.add(criterion.title.casefold())
        if len(criterion.description) > TEXT_MAX:
            add(
                f"{prefix}-description",
                _l("Criterion %(n)s: the description is too long (at most %(max)s characters).", n=i + 1, max=TEXT_MAX),
            )
        why = _number_problem(criterion.weight, positive=True)
        if why is not None:
            add(f"{prefix}-weight", _l("Criterion %(n)s (%(name)s), weight: %(why)s", n=i + 1, name=name, why=why))
        if len(criterion.levels) < 2:
            add(f"{prefix}-levels", _l("Criterion %(n)s (%(name)s) needs at least two levels.", n=i + 1, name=name))
        if len(criterion.levels) > MAX_LEVELS:
            add(
                f"{prefix}-levels",
                _l("Criterion %(n)s (%(name)s) can have at most %(max)s levels.", n=i + 1, name=name, max=MAX_LEVELS),
            )
        seen: set[str] = set()
        for j, level in enumerate(criterion.levels):
            key = f"{prefix}-l-{j}"
            if not level.label:
                add(
                    f"{key}-label",
                    _l("Criterion %(n)s (%(name)s), level %(level)s: enter a label.", n=i + 1, name=name, level=j + 1),
                )
            elif len(level.label) > LABEL_MAX:
                add(
                    f"{key}-label",
                    _l(
                        "Criterion %(n)s (%(name)s), level %(level)s: the label is too long (at most %(max)s characters).",
                        n=i + 1,
                        name=name,
                        level=j + 1,
                        max=LABEL_MAX,
                    ),
                )
            elif level.label.casefold() in seen:
                add(
                    f"{key}-label",
                    _l(
                        "Criterion %(n)s (%(name)s) has the level %(label)s twice; labels must differ.",
                        n=i + 1,
                        name=name,
                        label=level.label,
                    ),
                )
            seen.add(level.label.casefold())
            why = _number_problem(level.points, positive=False)
            if why is not None:
                add(
                    f"{key}-points",
                    _l(
                        "Criterion %(n)s (%(name)s), level %(level)s, points: %(why)s",
                        n=i + 1,
                        name=name,
                        level=j + 1,
                        why=why,
                    ),
                )
            if len(level.descriptor) > TEXT_MAX:
                add(
                    f"{key}-descriptor",
                    _l(
                        "Criterion %(n)s (%(name)s), level %(level)s: the descriptor is too long (at most %(max)s characters).",
                        n=i + 1,
                        name=name,
                        level=j + 1,
                        max=TEXT_MAX,
                    ),
                )
    return found


def validate(data: RubricData) -> RubricData:
    """The rubric with its texts trimmed; raises :class:`RubricInvalid` (a DomainError) if it breaks a rule."""
    found = problems(data)
    if found:
        raise RubricInvalid(found)
    return normalized(data)


# -- building ------------------------------------------------------------------------------------


def _criteria(data: RubricData) -> list[Criterion]:
    return [
        Criterion(
            position=i,
            title=c.title,
            description=c.description,
            weight=Decimal(c.weight),
            levels=[
                Level(position=j, label=lv.label, points=Decimal(lv.points), descriptor=lv.descriptor)
                for j, lv in enumerate(c.levels)
            ],
        )
        for i, c in enumerate(data.criteria)
    ]


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


def create_rubric(
    session: Session,
    data: RubricData,
    *,
    actor: Any,
    cohort: Cohort | None = None,
    is_template: bool = False,
) -> Rubric:
    """A new rubric, the first version of its own family: a library template or a cohort's rubric."""
    if cohort is not None and is_template:
        raise ValueError("a template belongs to the library, not to a cohort")
    if cohort is not None:
        ensure_editable(cohort)
    clean = validate(data)
    rubric = Rubric(
        title=clean.title,
        description=clean.description,
        version=1,
        is_template=is_template,
        cohort_id=cohort.id if cohort is not None else None,
        created_by_id=_actor_id(actor),
        frozen=False,
        superseded=False,
    )
    rubric.criteria = _criteria(clean)
    session.add(rubric)
    session.flush()
    rubric.family_id = rubric.id
    session.flush()
    return rubric


def _ensure_editable_rubric(session: Session, rubric: Rubric) -> None:
    if rubric.superseded:
        raise Conflict(_l("This is an old version of the rubric. Edit the current version instead."))
    if rubric.cohort_id is not None:
        cohort = session.get(Cohort, rubric.cohort_id)
        if cohort is not None:
            ensure_editable(cohort)


def update_rubric(
    session: Session,
    rubric: Rubric,
    data: RubricData,
    *,
    actor: Any,
    review_grades: bool = False,
) -> tuple[Rubric, bool]:
    """Save new content for a rubric; returns the rubric now current and whether it is a new version.

    A rubric no grade uses yet is changed in place. A frozen one is kept as it is (marked
    superseded) for the grades given with it, and the content becomes a new version in the same
    family; every assessment that used the old version now uses the new one. With
    ``review_grades``, grades given with the old version in those assessments are marked for review.
    """
    _ensure_editable_rubric(session, rubric)
    clean = validate(data)
    if not rubric.frozen:
        rubric.title, rubric.description = clean.title, clean.description
        rubric.criteria = _criteria(clean)
        session.flush()
        return rubric, False

    if rubric.family_id is None:  # the first version was deleted; this one heads the family now
        rubric.family_id = rubric.id
    latest = session.scalar(select(func.max(Rubric.version)).where(Rubric.family_id == rubric.family_id)) or 0
    new = Rubric(
        family_id=rubric.family_id,
        version=max(latest, rubric.version) + 1,
        title=clean.title,
        description=clean.description,
        is_template=rubric.is_template,
        cohort_id=rubric.cohort_id,
        created_by_id=_actor_id(actor),
        frozen=False,
        superseded=False,
    )
    new.criteria = _criteria(clean)
    session.add(new)
    rubric.superseded = True
    session.flush()
    session.execute(
        update(Assessment)
        .where(Assessment.rubric_id == rubric.id)
        .values(rubric_id=new.id)
        .execution_options(synchronize_session="fetch")
    )
    if review_grades:
        mark_for_review(session, old=rubric, new=new)
    session.flush()
    return new, True


def mark_for_review(session: Session, *, old: Rubric, new: Rubric) -> int:
    """Flag the grades given with ``old`` in assessments that now use ``new``; returns how many."""

    in_moved = (
        select(Submission.id)
        .join(Assessment, Submission.assessment_id == Assessment.id)
        .where(Assessment.rubric_id == new.id)
    )
    flagged = changed_rows(
        session,
        update(Grade)
        .where(Grade.rubric_id == old.id, Grade.submission_id.in_(in_moved))
        .values(needs_review=True)
        .execution_options(synchronize_session="fetch"),
    )
    session.flush()
    return flagged


def grades_using(session: Session, rubric: Rubric) -> int:
    """How many grades were given with this very version."""

    return session.scalar(select(func.count()).select_from(Grade).where(Grade.rubric_id == rubric.id)) or 0


def freeze(session: Session, rubric: Rubric) -> None:
    """Keep this version as it is from now on: the grading engine calls it when a grade first uses it."""
    if not rubric.frozen:
        rubric.frozen = True
        session.flush()


def copy_rubric(
    session: Session,
    source: Rubric,
    *,
    actor: Any,
    cohort: Cohort | None = None,
    is_template: bool = False,
) -> Rubric:
    """A copy of ``source`` that starts a new family: a template into a cohort, or a cohort's rubric
    into the library. Changing the copy never changes the source."""
    return create_rubric(session, rubric_to_data(source), actor=actor, cohort=cohort, is_template=is_template)


def rubric_to_data(rubric: Rubric) -> RubricData:
    return RubricData(
        title=rubric.title,
        description=rubric.description or "",
        criteria=[
            CriterionData(
                title=c.title,
                description=c.description or "",
                weight=Decimal(c.weight),
                levels=[LevelData(lv.label, Decimal(lv.points), lv.descriptor or "") for lv in c.levels],
            )
            for c in rubric.criteria
        ],
    )


# -- finding -------------------------------------------------------------------------------------


def library(session: Session, query: str = "") -> Select[Rubric]:
    """The current version of every template, by title; ``query`` searches the titles."""
    stmt = (
        select(Rubric)
        .where(Rubric.is_template.is_(True), Rubric.superseded.is_(False))
        .order_by(func.lower(Rubric.title), Rubric.id)
    )
    query = (query or "").strip()
    if query:
        stmt = stmt.where(func.lower(Rubric.title).contains(query.lower(), autoescape=True))
    return stmt


def cohort_rubrics(session: Session, cohort_id: int) -> list[Rubric]:
    """The current version of each of a cohort's rubrics, by title."""
    return list(
        session.scalars(
            select(Rubric)
            .where(Rubric.cohort_id == cohort_id, Rubric.superseded.is_(False))
            .order_by(func.lower(Rubric.title), Rubric.id)
        )
    )


def versions(session: Session, rubric: Rubric) -> list[Rubric]:
    """Every version in the rubric's family, newest first."""
    if rubric.family_id is None:
        return [rubric]
    return list(
        session.scalars(select(Rubric).where(Rubric.family_id == rubric.family_id).order_by(Rubric.version.desc()))
    )


def current_version(session: Session, rubric: Rubric) -> Rubric:
    """The version of the family that is in use now (the rubric itself unless it was superseded)."""
    if not rubric.superseded or rubric.family_id is None:
        return rubric
    newest = session.scalar(
        select(Rubric)
        .where(Rubric.family_id == rubric.family_id, Rubric.superseded.is_(False))
        .order_by(Rubric.version.desc())
        .limit(1)
    )
    return newest or rubric


# -- the default for reflections (and the benchmarking visit) -----------------------------------


def _four_levels(beginning: Any, developing: Any, proficient: Any, exemplary: Any) -> list[LevelData]:
    return [
        LevelData(_l("Beginning"), Decimal(1), beginning),
        LevelData(_l("Developing"), Decimal(2), developing),
        LevelData(_l("Proficient"), Decimal(3), proficient),
        LevelData(_l("Exemplary"), Decimal(4), exemplary),
    ]


# Plain English that translates well; the texts are lazy, so a rubric made from this default is
# written in the language of the person who makes it. Copy it before changing it.
DEFAULT_REFLECTION_RUBRIC = RubricData(
    title=_l("Reflection rubric"),
    description=_l(
        "For reflections on a learning activity or a benchmarking visit: what was learned, "
        "and how it applies to the participant's own agency."
    ),
    criteria=[
        CriterionData(
            title=_l("Relevance to own agency"),
            description=_l(
                "How the lessons are linked to the work, problems and change plans of the participant's own agency."
            ),
            weight=Decimal(1),
            levels=_four_levels(
                _l("No link to the participant's own agency."),
                _l("A general link to the agency, without concrete examples."),
                _l("Clear links to the agency's work, with concrete examples."),
                _l("Clear, concrete links and a realistic plan to apply the lessons in the agency."),
            ),
        ),
        CriterionData(
            title=_l("Depth of reflection"),
            description=_l("Whether the participant goes beyond what happened to what it means and why."),
            weight=Decimal(1),
            levels=_four_levels(
                _l("Only describes what happened."),
                _l("Describes what happened and gives some personal views."),
                _l("Analyses causes, effects and own role."),
                _l("Analyses critically, questions own assumptions and draws lessons for the future."),
            ),
        ),
        CriterionData(
            title=_l("Use of evidence"),
            description=_l("Data, observations, documents or other sources that support the points made."),
            weight=Decimal(1),
            levels=_four_levels(
                _l("No evidence."),
                _l("Some evidence, loosely linked to the points."),
                _l("Relevant evidence supports most points."),
                _l("Strong, relevant evidence with sources supports every point."),
            ),
        ),
        CriterionData(
            title=_l("Clarity"),
            description=_l("Structure, language and length of the writing."),
            weight=Decimal(1),
            levels=_four_levels(
                _l("Hard to follow."),
                _l("Understandable but poorly organised."),
                _l("Clear and well organised."),
                _l("Clear, concise and well organised; easy to act on."),
            ),
        ),
    ],
)
