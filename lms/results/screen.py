"""The results page: one page of the cohort's result table, searched, filtered and sorted on the
server, with figures for the whole cohort.

Everything is read from the stored results (:mod:`lms.results.stored`): search (name or NIP),
status, the plugins' filters (the benchmarking visit's groups), the order and the page are one
SQL query whose rank is a window function, so a page of a cohort of 3,000 reads its 50 rows. The
plugins are asked about the page's rows only; the figures (score bands, predicates, criterion
averages, the plugins' totals) are aggregate queries over the whole cohort, never the rows on
screen. Sorting by a plugin's column is the one order computed in Python, over the rows kept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort
from lms.core.civil_service import GOLONGAN
from lms.core.pagination import Page
from lms.core.scores import exact, half_up
from lms.db import upsert
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultFilter, ResultTotal
from lms.results import components
from lms.results.charts import Bin, CriterionAverage, _decimal, criterion_average_rows, criterion_averages_of
from lms.results.models import CohortFigures, ParticipantResultCell
from lms.results.services import generation_token
from lms.results.sorting import sort_rows
from lms.results.stored import canonical, ranked, ranked_count, read, shell, with_plugin_columns
from lms.results.table import ResultRow, ResultTable

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

    def key(self) -> tuple[Any, ...]:
        """The query as a hashable value (a kept page's key: lms/results/page_cache.py)."""
        return (
            self.search,
            self.status,
            tuple(sorted(self.filters.items())),
            self.sort,
            self.descending,
            self.page,
            self.per_page,
        )


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


def _conditions(r: Any, query: ResultQuery, filters: Sequence[ResultFilter]) -> list[Any]:
    """SQL conditions on :func:`lms.results.stored.ranked` for the search (name or NIP), the
    plugins' filters and the status."""
    conditions: list[Any] = []
    search = query.search.strip()[:SEARCH_LIMIT]
    if search:
        digits = "".join(c for c in search if not c.isspace())
        name = func.lower(r.c.name).contains(search.lower(), autoescape=True)
        # A NIP is searched as its digits (people type it with or without the spaces it is shown with).
        conditions.append(or_(name, r.c.nip.contains(digits, autoescape=True)) if digits.isdigit() else name)
    for item in filters:
        value = query.filters.get(item.key, "")
        if value and value in {str(v) for v, _label in item.choices}:
            conditions.append(r.c.participant_id.in_(item.members(value)))
    if query.status == "complete":
        conditions.append(r.c.final.is_not(None))
    elif query.status == "incomplete":
        conditions.append(r.c.final.is_(None))
    elif query.status in components.STATUSES:
        conditions.append(r.c.status == query.status)
    return conditions


def _bucket(score: Any, width: int = 10) -> Any:
    """The band of :func:`lms.results.charts.histogram` in SQL: [0, w] is 0, (w, 2w] is 1 …"""
    return case(*[(score <= low + width, i) for i, low in enumerate(range(0, 100 - width, width))], else_=99 // width)


def _bins(counts: dict[int, int], width: int = 10) -> list[Bin]:
    return [
        Bin(label=f"{low}–{min(low + width, 100)}", low=low, high=min(low + width, 100), count=counts.get(i, 0))
        for i, low in enumerate(range(0, 100, width))
    ]


def _figure_data(session: Session, table: ResultTable) -> dict[str, Any]:
    """The whole cohort's figures as plain data, from aggregate queries over the stored rows and
    the released criterion rows (what :class:`lms.results.models.CohortFigures` keeps)."""
    cohort = table.cohort
    r = ranked(cohort.id)
    participants, complete, total = session.execute(
        select(func.count(), func.count(r.c.final), func.sum(r.c.final)).select_from(r)
    ).one()
    finals = select(_bucket(r.c.final).label("band")).where(r.c.final.is_not(None)).subquery()
    cell = ParticipantResultCell
    scores = (
        select(cell.assessment_id, _bucket(cell.score).label("band"))
        .where(
            cell.cohort_id == cohort.id, cell.score.is_not(None), cell.participant_id.in_(select(r.c.participant_id))
        )
        .subquery()
    )
    return {
        "participants": participants,
        "complete": complete,
        "total": str(_decimal(total)),
        "final_bins": [
            list(row) for row in session.execute(select(finals.c.band, func.count()).group_by(finals.c.band))
        ],
        "predicates": [
            list(row)
            for row in session.execute(
                select(r.c.predicate, func.count()).where(r.c.final.is_not(None)).group_by(r.c.predicate)
            )
        ],
        "assessment_bins": [
            list(row)
            for row in session.execute(
                select(scores.c.assessment_id, scores.c.band, func.count()).group_by(
                    scores.c.assessment_id, scores.c.band
                )
            )
        ],
        "averages": criterion_average_rows(session, [a.id for a in table.assessments]),
    }


def _kept_figure_data(session: Session, table: ResultTable) -> dict[str, Any]:
    """:func:`_figure_data`, read from :class:`~lms.results.models.CohortFigures` while the cohort's
    stored results have not changed since it was computed (one query), else computed and kept.

    The copy is stored only under the generation read before computing it: if a writer commits in
    between, the row's generation has moved on and the copy is left out of date, not served.
    """
    cohort_id = table.cohort.id
    kept = session.execute(
        select(CohortFigures.generation, CohortFigures.data_generation, CohortFigures.data).where(
            CohortFigures.cohort_id == cohort_id
        )
    ).one_or_none()
    if kept is not None and kept.data is not None and kept.data_generation == kept.generation:
        return kept.data
    generation = generation_token() if kept is None else kept.generation
    data = _figure_data(session, table)
    stmt = upsert(session, CohortFigures).values(
        cohort_id=cohort_id, generation=generation, data=data, data_generation=generation
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["cohort_id"],
            set_={"data": stmt.excluded.data, "data_generation": stmt.excluded.data_generation},
            where=CohortFigures.generation == stmt.excluded.data_generation,
        )
    )
    return data


def _figures(session: Session, table: ResultTable, app: Flask | None) -> Figures:
    """The whole cohort's figures: the kept aggregates (:func:`_kept_figure_data`) and the plugins'
    totals (asked each time: their inputs are the plugins' own)."""
    cohort = table.cohort
    data = _kept_figure_data(session, table)
    complete = data["complete"]
    mean_final = None if not complete else half_up(exact(Decimal(data["total"])) / complete)
    by_predicate = {label: n for label, n in data["predicates"]}
    per_assessment: dict[int, dict[int, int]] = {}
    for aid, band, n in data["assessment_bins"]:
        per_assessment.setdefault(aid, {})[band] = n
    table.ranked = complete
    return Figures(
        participants=data["participants"],
        complete=complete,
        mean_final=mean_final,
        bins=_bins({band: n for band, n in data["final_bins"]}),
        predicate_bars=[(band["label"], by_predicate.get(band["label"], 0)) for band in cohort.program.predicate_bands],
        assessment_bins={a.id: _bins(per_assessment.get(a.id, {})) for a in table.assessments},
        averages=criterion_averages_of(data["averages"]),
        totals=plugin_totals(cohort, app),
    )


def _order(r: Any, table: ResultTable, key: str, descending: bool) -> tuple[list[Any], Any] | None:
    """ORDER BY for a sort key of :func:`lms.results.sorting.sort_rows` (empty values last whatever
    the direction, ties in the canonical order, reversed with the direction as there), and the
    outer join it needs; None for a plugin column's key (sorted in Python)."""
    join = None
    value: Any = None
    if key in ("name", "nip", "instansi", "jabatan", "predicate"):
        column = getattr(r.c, key)
        value = case((func.coalesce(column, "") == "", None), else_=func.lower(column))
    elif key == "golongan":
        value = case(*[(r.c.golongan == code, i) for i, code in enumerate(GOLONGAN)], else_=None)
    elif key == "final":
        value = r.c.final
    elif key == "rank":
        value = r.c.rank
    elif (
        key.startswith("a")
        and key[1:].isascii()
        and key[1:].isdigit()
        and len(key) < 12
        and any(a.id == int(key[1:]) for a in table.assessments)
    ):
        cell = ParticipantResultCell
        join = (
            cell,
            and_(
                cell.cohort_id == table.cohort.id,
                cell.participant_id == r.c.participant_id,
                cell.assessment_id == int(key[1:]),
            ),
        )
        value = cell.score
    elif key.startswith("c") and len(key) > 1:
        return None
    if value is None:
        return canonical(r), None
    return [value.is_(None), value.desc() if descending else value.asc(), *canonical(r, descending)], join


def result_screen(
    session: Session, cohort: Cohort, query: ResultQuery, app: Flask | None = None, *, fresh: bool = True
) -> ResultScreen:
    """One page of the stored result table and the cohort's figures, in a fixed number of queries
    whatever the cohort size (a plugin column's order asks the plugins about every row kept).
    ``fresh=False``: the caller has just brought the stored rows up to date."""
    table = shell(session, cohort, app, fresh=fresh)
    figures = _figures(session, table, app)
    filters = plugin_filters(cohort, app)
    r = ranked(cohort.id)
    conditions = _conditions(r, query, filters)
    total = session.scalar(select(func.count()).select_from(r).where(*conditions)) or 0
    pages = max(1, -(-total // query.per_page))
    number = min(max(1, query.page), pages)
    start = (number - 1) * query.per_page
    plan = _order(r, table, query.sort, query.descending)
    if plan is None:
        # A plugin column: its values for every row kept (the plugins' one batched call), sorted here.
        everyone = read(session, table, select(r).where(*conditions).order_by(*canonical(r)))
        table.columns = with_plugin_columns(table, everyone, app)
        visible = sort_rows(replace(table, rows=everyone), query.sort, query.descending)[start : start + query.per_page]
    else:
        order, join = plan
        stmt = select(r)
        if join is not None:
            stmt = stmt.outerjoin(*join)
        visible = read(session, table, stmt.where(*conditions).order_by(*order).offset(start).limit(query.per_page))
        table.columns = with_plugin_columns(table, visible, app)
    table.rows = visible
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
    key = [row.rank, row.name.lower(), row.participant_id]  # lower(): what the SQL compares
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
    One keyset query over the stored, ranked rows (:mod:`lms.results.stored`).
    """
    table = shell(session, cohort, app)
    r = ranked(cohort.id)
    stmt = select(r)
    if cursor:
        unranked, rank, name, participant_id = _decode_cursor(cursor)
        lowered = func.lower(r.c.name)
        after_in_group = or_(lowered > name, and_(lowered == name, r.c.participant_id > participant_id))
        if unranked:
            stmt = stmt.where(r.c.final.is_(None), after_in_group)
        else:
            stmt = stmt.where(
                or_(
                    r.c.final.is_(None),
                    r.c.rank > rank,
                    and_(r.c.rank == rank, after_in_group),
                )
            )
    rows = read(session, table, stmt.order_by(*canonical(r)).limit(limit + 1))
    total = session.scalar(select(func.count()).select_from(r)) or 0
    following_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    table.rows = rows
    table.ranked = ranked_count(session, cohort.id)
    table.columns = with_plugin_columns(table, rows, app)
    return table, following_cursor, total
