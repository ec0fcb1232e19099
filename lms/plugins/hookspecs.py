"""The hooks a plugin may implement. The core calls each one; none exists without a caller.

Every hook is named ``lms_<plural noun>`` and returns data (see :mod:`lms.plugins.types`); the
core renders it. Hooks are called with keyword arguments, so an implementation may accept only
the arguments it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lms.plugins import hookspec

if TYPE_CHECKING:
    from datetime import datetime

    from flask import Blueprint
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from lms.cohorts.models import Cohort
    from lms.core.access import Rule
    from lms.plugins.types import (
        ApiPaths,
        CohortTab,
        DashboardWidget,
        NavItem,
        NotificationKind,
        ParticipantAction,
        Reminder,
        ResultColumn,
        ResultFilter,
        ResultInput,
        ResultSheet,
        ResultSource,
        ResultTotal,
        SubmissionKind,
    )
    from lms.users.models import User


@hookspec
def lms_blueprints() -> list[Blueprint]:
    """Blueprints to register, called once while the app is built.

    Each blueprint's name must be the plugin's name (or start with ``<plugin>_``); anything else is
    a start-up error, so that endpoints and templates of two plugins can never collide.
    """


@hookspec
def lms_migration_dirs() -> list[str]:
    """Folders holding the plugin's Alembic revisions, its own branch labelled with its name.

    Called by ``flask db ...`` and by the schema test; revisions there must depend on a core
    revision and create only tables prefixed ``<plugin>_``.
    """


@hookspec
def lms_access_rules() -> list[Rule]:
    """Access rules to add, called once while the app is built.

    Every core package contributes its ``rules.py`` the same way, so an app knows the rules of its
    packages and enabled plugins only; a rule name given twice is a start-up error. Collect them
    with :class:`lms.core.access.Rules`; ask another package's rule by name with ``can()``.
    """


@hookspec
def lms_nav_items(user: User) -> list[NavItem]:
    """Menu entries for ``user``, called on every page render for a logged-in user.

    Return entries whose ``rule`` the core checks; keep this cheap (no queries if possible).
    """


@hookspec
def lms_dashboard_widgets(user: User) -> list[DashboardWidget]:
    """Cards for ``user``'s dashboard, called when the dashboard renders.

    A widget with nothing to show should not be returned.
    """


@hookspec
def lms_cohort_tabs(cohort: Cohort, user: User) -> list[CohortTab]:
    """Tabs on ``cohort``'s page that ``user`` may open, called when the cohort page renders."""


@hookspec
def lms_demo_data(session: Session, demo: dict[str, Any]) -> None:
    """Add the plugin's demo data, called by ``flask lms demo`` after the core demo data.

    ``demo`` holds the core's demo objects by name (``cohort``, ``coordinator``, ``instructors``,
    ``participants``...). Flush, never commit: the command commits once for everything.
    """


@hookspec
def lms_submission_kinds() -> list[SubmissionKind]:
    """Kinds of gradable work the plugin adds, called when assessments are created and shown.

    Each kind's key is namespaced by the plugin (``benchmarking.practice``); the core's own kind is
    ``reflection``. Submissions of every kind are graded by the core engine.
    """


@hookspec
def lms_result_columns(cohort: Cohort, participant_ids: list[int]) -> list[ResultColumn]:
    """Columns for the cohort's result table (screen, CSV, XLSX, PDF and API alike).

    Batched: the hook gets every participant id at once and must answer in a fixed number of
    queries (never one per participant); a test asserts the count at two cohort sizes. An export
    asks for the whole cohort and keeps the answer while it streams the rows: a plugin that
    answers for thousands of peserta keeps its values in :class:`lms.plugins.types.PackedValues`
    (8 bytes a cell) rather than a dict per column, and reads its queries a batch at a time.
    """


@hookspec
def lms_result_inputs() -> list[ResultInput]:
    """The plugin's models whose changes change a cohort's results, called once when the app is
    built. The core keeps every peserta's result stored (``participant_results``) and computes a
    row again when its inputs change: it sees the core's own models by itself, and a plugin's
    through this hook (the values still arrive through :func:`lms_result_columns`).
    """


@hookspec
def lms_result_sources() -> list[ResultSource]:
    """Plugin scores a program's result component may be built from, called when a program's
    result definition is edited and when a cohort's results are computed.

    The scores themselves arrive through :func:`lms_result_columns`: each column of kind "score"
    whose ``source`` names one of these keys. A component whose source is not declared by an
    enabled plugin has no score (its peserta stay *ditunda*), never 0.
    """


@hookspec
def lms_result_totals(cohort: Cohort) -> list[ResultTotal]:
    """Cohort-wide totals for the results page's totals chart, each from an aggregate query (a
    fixed number of queries whatever the cohort size)."""


@hookspec
def lms_result_filters(cohort: Cohort) -> list[ResultFilter]:
    """Filters on a cohort's participants that the results page and the grading queue offer besides
    the core's (search, status): each keeps the participants its SQL select returns."""


@hookspec
def lms_participant_actions(cohort: Cohort) -> list[ParticipantAction]:
    """Bulk actions on ``cohort``'s ticked participants, offered beside the core's (invite, extension,
    remove), called when the participants list and its confirmation page render and when one is run.
    Keys are namespaced by the plugin (``benchmarking.move_to_group``)."""


@hookspec
def lms_result_sheets(cohort: Cohort, participants: Select[Any]) -> list[ResultSheet]:
    """Extra sheets for the cohort's XLSX export, after *results* and *criteria*, called once per
    export when the earlier sheets are written.

    ``participants`` is a SQL select of the peserta ids the export covers (filter with
    ``.in_(participants)``; never a list of ids). Each sheet's ``rows`` must be handed over as they
    come: an iterator (a generator) whose query runs when the core starts reading it, over a
    server-side cursor (``execution_options(yield_per=...)``), never a list of the whole cohort.
    The core consumes it once, row by row, so memory does not grow with the cohort.
    """


@hookspec
def lms_notification_kinds() -> list[NotificationKind]:
    """Kinds of notification the plugin sends, called when notifications are created and shown and
    when the preference page renders.

    Keys are namespaced by the plugin (``benchmarking.followup_opened``). The plugin creates
    notifications of its kinds with ``lms.notifications.services.notify`` (from its services, after
    the event) or returns them from :func:`lms_reminders`; a kind with ``replaces`` is used by the
    core itself for the plugin's kind of work.
    """


@hookspec
def lms_reminders(session: Session, now: datetime) -> list[Reminder]:
    """Reminders due at ``now``, called by the periodic reminder job (hourly by default).

    Return every reminder that is due, including ones already sent: the core sends each ``key`` once
    per person. Answer in a fixed number of queries, whatever the number of cohorts and people.
    """


@hookspec
def lms_api_paths() -> list[ApiPaths]:
    """The plugin's read-only API endpoints as OpenAPI paths and schemas, called when
    /api/v1/openapi.json is served; the endpoints are in a blueprint the plugin returns from
    :func:`lms_blueprints`, made with :func:`lms.plugins.api.api_blueprint`."""
