"""Who may do what: the one place that decides.

Every view declares its rule with :func:`require`; a test walks ``app.url_map`` and fails for any
endpoint without one. Rules are small functions ``(user, obj) -> bool`` registered by name; the
core registers its own here and a plugin registers its rules through :func:`register`, so a
reviewer finds every decision by looking up a rule name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from lms import db
from lms.cohorts.models import Cohort, CohortStatus, Membership, Role
from lms.users.models import User

RuleFn = Callable[[Any, Any], bool]
F = TypeVar("F", bound=Callable[..., Any])

_RULES: dict[str, RuleFn] = {}
PUBLIC = "public"
# Rules asked for anonymous callers too (a machine with a token, a probe): the rule decides alone.
_ANONYMOUS: set[str] = {PUBLIC}


def register(name: str, *, anonymous: bool = False) -> Callable[[RuleFn], RuleFn]:
    """Register a rule under ``name``; a second rule with the same name is a start-up error.

    ``anonymous=True`` asks the rule for visitors who are not logged in instead of sending them to
    the login page: for callers that are machines (a Prometheus scraper with a bearer token).
    """

    def deco(fn: RuleFn) -> RuleFn:
        if name in _RULES and _RULES[name] is not fn:
            raise RuntimeError(f"access rule {name!r} is registered twice")
        _RULES[name] = fn
        if anonymous:
            _ANONYMOUS.add(name)
        return fn

    return deco


def rule_names() -> set[str]:
    return set(_RULES)


def anonymous_rules() -> set[str]:
    """The rules asked for visitors who are not logged in (every other rule sends them to log in)."""
    return set(_ANONYMOUS)


def can(user: Any, rule: str, obj: Any = None) -> bool:
    """May ``user`` (possibly anonymous) do ``rule`` to ``obj``?"""
    try:
        check = _RULES[rule]
    except KeyError:
        raise LookupError(f"unknown access rule {rule!r}") from None
    if rule not in _ANONYMOUS and not getattr(user, "is_authenticated", False):
        return False
    return bool(check(user, obj))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def require(rule: str, load: type | None = None, arg: str | None = None) -> Callable[[F], F]:
    """Declare and enforce a view's rule.

    With ``load=Model`` the view argument ``<model>_id`` (or ``arg``, e.g. ``visit_id``) is replaced
    by the loaded object, passed as ``<model>`` (or ``arg`` without ``_id``): unknown ids give 404 before the rule is asked, a refusal 403,
    an anonymous visitor is sent to the login page.
    """
    if rule not in _RULES:
        raise LookupError(f"unknown access rule {rule!r}")
    param = arg or (f"{_snake(load.__name__)}_id" if load else None)
    target = (param[:-3] if param and param.endswith("_id") else _snake(load.__name__)) if load else None

    def deco(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from lms.extensions import login_manager

            if rule not in _ANONYMOUS and not current_user.is_authenticated:
                return login_manager.unauthorized()
            obj = None
            if load is not None:
                obj = db.session.get(load, kwargs.pop(param))
                if obj is None:
                    abort(404)
                kwargs[target] = obj
            if not can(current_user, rule, obj):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


def declared_rule(view: Callable[..., Any]) -> str | None:
    return getattr(view, "access_rule", None)


# -- membership lookups, cached per request -------------------------------------------------------

def cohort_roles(user: Any) -> dict[int, set[Role]]:
    """Every cohort the user belongs to with their roles there (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cache: dict[int, dict[int, set[Role]]] = g.setdefault("_lms_roles", {})
    if user.id not in cache:
        roles: dict[int, set[Role]] = {}
        rows = db.session.execute(
            select(Membership.cohort_id, Membership.role).where(Membership.user_id == user.id)
        )
        for cohort_id, role in rows:
            roles.setdefault(cohort_id, set()).add(Role(role))
        cache[user.id] = roles
    return cache[user.id]


def forget_roles() -> None:
    """Drop the per-request cache after memberships change within the request."""
    g.pop("_lms_roles", None)


def roles_in(user: Any, cohort: Cohort | int) -> set[Role]:
    cohort_id = cohort if isinstance(cohort, int) else cohort.id
    return cohort_roles(user).get(cohort_id, set())


def cohort_ids_with(user: Any, *roles: Role) -> set[int]:
    return {cid for cid, have in cohort_roles(user).items() if have & set(roles)}


# -- the rules ----------------------------------------------------------------------------------

@register(PUBLIC)
def _public(user: Any, obj: Any) -> bool:
    return True


@register("authenticated")
def _authenticated(user: Any, obj: Any) -> bool:
    return True


@register("admin")
def _admin(user: Any, obj: Any) -> bool:
    return bool(user.is_admin)


@register("programs.manage")
def _manage_programs(user: Any, obj: Any) -> bool:
    """Admins and program managers (penyelenggara) create programs, and cohorts of any program (a
    program is a curriculum that several institutions run angkatan of); editing one is ``program.edit``."""
    return bool(user.is_admin or user.is_manager)


def may_edit_program(user: Any, program: Any, cohort_ids: set[int]) -> bool:
    """Whether ``user`` may change ``program``, given the ids of every cohort of it.

    Admins edit every program. A penyelenggara (program manager) edits a program only when every
    cohort of it is one they coordinate, or, before any cohort uses it, when they created it: its
    predicate bands decide the results of all its cohorts, so an edit must never reach a cohort
    someone else runs (opening a cohort of a program gives no right to edit it). A program shared by
    several coordinators' cohorts is edited by an admin.
    """
    if user.is_admin:
        return True
    if not user.is_manager:
        return False
    if not cohort_ids:
        return program.created_by_id is not None and program.created_by_id == user.id
    return cohort_ids <= cohort_ids_with(user, Role.COORDINATOR)


@register("program.edit")
def _edit_program(user: Any, program: Any) -> bool:
    cohort_ids = set(db.session.scalars(select(Cohort.id).where(Cohort.program_id == program.id)))
    return may_edit_program(user, program, cohort_ids)


@register("programs.view")
def _view_programs(user: Any, obj: Any) -> bool:
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.COORDINATOR, Role.INSTRUCTOR))


@register("cohort.view")
def _view_cohort(user: Any, cohort: Cohort) -> bool:
    return bool(user.is_admin or roles_in(user, cohort))


@register("cohort.teach")
def _teach_cohort(user: Any, cohort: Cohort) -> bool:
    """Instructors and coordinators see the cohort's people and their work."""
    return bool(user.is_admin or roles_in(user, cohort) & {Role.INSTRUCTOR, Role.COORDINATOR})


@register("cohort.manage")
def _manage_cohort(user: Any, cohort: Cohort) -> bool:
    """Coordinators run the cohort: its status, staff and roster (also while closed, to reopen)."""
    return bool(user.is_admin or Role.COORDINATOR in roles_in(user, cohort))


@register("cohort.edit")
def _edit_cohort(user: Any, cohort: Cohort) -> bool:
    """Changing a cohort or its people: a closed cohort is read-only for everyone."""
    return cohort.status != CohortStatus.CLOSED and _manage_cohort(user, cohort)


@register("user.view")
def _view_user(user: Any, other: User) -> bool:
    """A person's profile: themselves, admins, and staff of a cohort the person takes part in."""
    if user.is_admin or user.id == other.id:
        return True
    staff_of = cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR)
    if not staff_of:
        return False
    found = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == other.id,
            Membership.cohort_id.in_(staff_of),
        ).limit(1)
    )
    return found is not None


@register("user.reset_password")
def _reset_password(user: Any, other: User) -> bool:
    """Admins only. A temporary password lets whoever issues it log in as the person, so a
    coordinator must not hold that power over anyone (people reset their own by the e-mailed link)."""
    return bool(user.is_admin) and other.id != user.id


# -- rubrics -------------------------------------------------------------------------------------

def _rubric_cohort(rubric: Any) -> Cohort | None:
    if rubric.cohort_id is None:
        return None
    return db.session.get(Cohort, rubric.cohort_id)


@register("rubrics.library")
def _rubric_library(user: Any, obj: Any) -> bool:
    """The template library: program managers, admins and staff of any cohort."""
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))


@register("rubrics.library.edit")
def _edit_library(user: Any, obj: Any) -> bool:
    """Templates are curated by program managers, admins and coordinators."""
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.COORDINATOR))


@register("rubric.view")
def _view_rubric(user: Any, rubric: Any) -> bool:
    """A template: the library's readers. A cohort's rubric: anyone in the cohort (participants see
    the rubric before they submit)."""
    cohort = _rubric_cohort(rubric)
    if cohort is None:
        return _rubric_library(user, None)
    return _view_cohort(user, cohort)


@register("rubric.edit")
def _edit_rubric(user: Any, rubric: Any) -> bool:
    cohort = _rubric_cohort(rubric)
    if cohort is None:
        return _edit_library(user, None)
    return _edit_cohort(user, cohort)


# -- assessments, submissions and grading --------------------------------------------------------

@register("assessment.view")
def _view_assessment(user: Any, assessment: Any) -> bool:
    return _view_cohort(user, assessment.cohort)


@register("assessment.manage")
def _manage_assessment(user: Any, assessment: Any) -> bool:
    return _edit_cohort(user, assessment.cohort)


@register("assessment.teach")
def _teach_assessment(user: Any, assessment: Any) -> bool:
    """Progress, release and the grading of an assessment: its cohort's instructors and coordinators."""
    return _teach_cohort(user, assessment.cohort)


@register("assessment.audit")
def _audit_assessment(user: Any, assessment: Any) -> bool:
    """The grade audit trail: coordinators (and admins)."""
    return _manage_cohort(user, assessment.cohort)


@register("assessment.submit")
def _submit_assessment(user: Any, assessment: Any) -> bool:
    """Writing and submitting: participants of the cohort only (never staff, never admins)."""
    return Role.PARTICIPANT in roles_in(user, assessment.cohort_id)


@register("submission.own")
def _own_submission(user: Any, submission: Any) -> bool:
    return submission.participant_id == user.id


@register("submission.grade")
def _grade_submission(user: Any, submission: Any) -> bool:
    """The cohort's staff, for work handed in (a draft is the participant's alone)."""
    return (submission.state != "draft" and submission.participant_id != user.id
            and _teach_cohort(user, submission.assessment.cohort))


@register("grading.queue")
def _grading_queue(user: Any, obj: Any) -> bool:
    return bool(user.is_admin or cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))


@register("participant.any")
def _participant_any(user: Any, obj: Any) -> bool:
    """Someone who takes part in at least one cohort."""
    return bool(cohort_ids_with(user, Role.PARTICIPANT))


# -- results and the API -------------------------------------------------------------------------

@register("results.view")
def _view_results(user: Any, cohort: Cohort) -> bool:
    """The cohort's result table, its charts and exports: its instructors and coordinators, admins."""
    return _teach_cohort(user, cohort)


@register("results.own")
def _own_results(user: Any, cohort: Cohort) -> bool:
    """A participant's own results sheet in a cohort (shown once a grade of theirs is released)."""
    return Role.PARTICIPANT in roles_in(user, cohort)


@register("api.token")
def _api_token(user: Any, obj: Any) -> bool:
    """Any user authenticated by a valid, unrevoked API token (read-only endpoints of /api/v1)."""
    return True


@register("api.token.own")
def _own_api_token(user: Any, token: Any) -> bool:
    """Revoking a token: its owner, and admins (e.g. for a leaked token)."""
    return bool(user.is_admin or token.user_id == user.id)
