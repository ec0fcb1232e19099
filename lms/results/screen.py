"""The results page: one page of the cohort's result table, searched, filtered and sorted on the
server, with figures for the whole cohort.

Scores, ranks and predicates are computed for every participant (a rank is a place among all of
them) by :func:`lms.results.table.score_rows`; that pass reads plain values in three queries and
builds no strings. Everything else is done for the page only: the plugins are asked about the
page's rows, and only those rows are rendered. Search (name or NIP) and the plugins' filters (the
benchmarking visit's groups) are SQL conditions; the figures (score bands, predicates, criterion
averages, the plugins' totals) describe the whole cohort, never the rows on screen.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort, Membership, Role
from lms.core.pagination import Page
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultColumn, ResultFilter, ResultTotal
from lms.results import components
from lms.results.charts import (
    Bin,
    CriterionAverage,
    criterion_averages,
    histogram,
    mean,
    predicate_counts,
)
from lms.results.sorting import sort_rows
from lms.results.table import (
    ResultRow,
    ResultTable,
    add_plugin_columns,
    canonical_order,
    score_rows,
)
from lms.users.models import ParticipantProfile, User

STATUSES = ("complete", "incomplete", *components.STATUSES)  # a final score or not; the outcome
SEARCH_LIMIT = 100  # characters of a search that are read


@dataclass(frozen=True)
class ResultQuery:
    """What the reader asked for: ``?q=`` (name or NIP), ``status``, plugin filters, sort, page."""

    search: str = ""
    status: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "rank"
    descending: bool = False
    page: int = 1
    per_page: int = 50


@dataclass
class Figures:
    """The whole cohort's figures (whatever the search and the page)."""

    participants: int
    complete: int
    mean_final: Decimal | None
    bins: list[Bin]
    predicate_bars: list[tuple[str, int]]
    assessment_bins: dict[int, list[Bin]]
    averages: dict[int, list[CriterionAverage]]
    totals: list[ResultTotal]


@dataclass
class ResultScreen:
    table: ResultTable  # the page's rows only, with the plugins' columns
    page: Page  # items: the same rows; total: the rows the search and filters keep
    figures: Figures
    filters: list[ResultFilter]


def plugin_filters(cohort: Cohort, app: Flask | None = None) -> list[ResultFilter]:
    found: list[ResultFilter] = []
    for contributed in get_plugin_manager(app or current_app).hook.lms_result_filters(cohort=cohort):
        found.extend(contributed or [])
    return sorted(found, key=lambda f: f.key)


def plugin_totals(cohort: Cohort, app: Flask | None = None) -> list[ResultTotal]:
    found: list[ResultTotal] = []
    for contributed in get_plugin_manager(app or current_app).hook.lms_result_totals(cohort=cohort):
        found.extend(contributed or [])
    return sorted(found, key=lambda t: (t.order, t.key))


def _kept(session: Session, cohort: Cohort, query: ResultQuery, filters: Sequence[ResultFilter]) -> set[int] | None:
    """The participants the search and the plugins' filters keep (one query), or None for everyone."""
    conditions = []
    search = query.search.strip()[:SEARCH_LIMIT]
    if search:
        digits = "".join(c for c in search if not c.isspace())
        name = func.lower(User.name).contains(search.lower(), autoescape=True)
        # A NIP is searched as its digits (people type it with or without the spaces it is shown with).
        conditions.append(
            or_(name, ParticipantProfile.nip.contains(digits, autoescape=True)) if digits.isdigit() else name
        )
    for item in filters:
        value = query.filters.get(item.key, "")
        if value and value in {str(v) for v, _label in item.choices}:
            conditions.append(User.id.in_(item.members(value)))
    if not conditions:
        return None
    return set(
        session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id)
            .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT, *conditions)
        )
    )


def _has(row: ResultRow, status: str) -> bool:
    if status == "complete":
        return row.complete
    if status == "incomplete":
        return not row.complete
    if status in components.STATUSES:
        return row.outcome is not None and row.outcome.status == status
    return True


def result_screen(session: Session, cohort: Cohort, query: ResultQuery, app: Flask | None = None) -> ResultScreen:
    """One page of the result table and the cohort's figures, in a fixed number of queries."""
    everyone, asked = score_rows(session, cohort, app)
    rows = everyone.rows
    filters = plugin_filters(cohort, app)
    finals = [r.final for r in rows]
    figures = Figures(
        participants=len(rows),
        complete=sum(1 for r in rows if r.complete),
        mean_final=mean(finals),
        bins=histogram(finals),
        predicate_bars=predicate_counts(everyone),
        assessment_bins={a.id: histogram(r.cells[a.id].score for r in rows) for a in everyone.assessments},
        averages=criterion_averages(session, everyone),
        totals=plugin_totals(cohort, app),
    )

    kept = _kept(session, cohort, query, filters)
    shown: list[ResultRow] = [r for r in rows if (kept is None or r.participant_id in kept) and _has(r, query.status)]
    columns: list[ResultColumn] | None = everyone.columns if asked else None
    if columns is None and query.sort.startswith("c") and len(query.sort) > 1:
        # A plugin column's order needs its values for every row kept (the plugins' one batched call).
        columns = add_plugin_columns(cohort, shown, app)
    ordered = sort_rows(replace(everyone, rows=shown, columns=columns or []), query.sort, query.descending)
    total = len(ordered)
    pages = max(1, -(-total // query.per_page))
    number = min(max(1, query.page), pages)
    visible = ordered[(number - 1) * query.per_page : number * query.per_page]
    if columns is None:
        columns = add_plugin_columns(cohort, visible, app)
    table = replace(everyone, rows=visible, columns=columns)
    return ResultScreen(
        table=table,
        page=Page(items=visible, page=number, per_page=query.per_page, total=total),
        figures=figures,
        filters=filters,
    )


# -- the API's pages: a cursor over the canonical order ------------------------------------------


class BadCursor(ValueError):
    """A cursor this server did not hand out (or one of another cohort's order)."""


def encode_cursor(row: ResultRow) -> str:
    """The position just after ``row`` in the canonical order (ranked first by rank, then by name)."""
    key = [row.rank, row.name.casefold(), row.participant_id]
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        rank, name, participant_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as error:
        raise BadCursor(cursor) from error
    if not (rank is None or isinstance(rank, int)) or not isinstance(name, str) or not isinstance(participant_id, int):
        raise BadCursor(cursor)
    return (rank is None, rank or 0, name, participant_id)


def results_after(
    session: Session, cohort: Cohort, cursor: str | None, limit: int, app: Flask | None = None
) -> tuple[ResultTable, str | None, int]:
    """Up to ``limit`` rows after ``cursor`` in the canonical order, the cursor of the next page
    (None on the last) and the number of participants. Plugins are asked about these rows only.

    A cursor is a position, not an offset: rows added or removed before it do not shift the pages.
    """
    everyone, asked = score_rows(session, cohort, app)
    after = _decode_cursor(cursor) if cursor else None
    following = [r for r in everyone.rows if after is None or canonical_order(r) > after]
    rows = following[:limit]
    columns = everyone.columns if asked else add_plugin_columns(cohort, rows, app)
    following_cursor = encode_cursor(rows[-1]) if len(following) > limit else None
    return replace(everyone, rows=rows, columns=columns), following_cursor, len(everyone.rows)
