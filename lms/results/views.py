"""Cohort results on screen, their exports, and a participant's own results sheet."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms import db
from lms.cohorts.models import Cohort
from lms.core.access import require
from lms.core.pagination import page_arg
from lms.core.spreadsheet import DIALECTS
from lms.core.timezones import local_zone
from lms.core.views import cohort_tabs
from lms.jobs import services as jobs
from lms.jobs.views import start_page
from lms.results import components, html, page_cache, stored
from lms.results import jobs as _export_jobs  # noqa: F401  (registers the export job kind)
from lms.results.details import CriterionRow, criterion_rows, feedback_of
from lms.results.exports import FORMATS, inline
from lms.results.exports.as_csv import csv_chunks
from lms.results.exports.as_pdf import Formats, write_pdf
from lms.results.exports.as_xlsx import write_xlsx
from lms.results.exports.columns import state_label, weight_text
from lms.results.exports.names import filename
from lms.results.screen import STATUSES, ResultQuery, result_screen
from lms.results.services import ensure_fresh
from lms.results.table import ResultRow, ResultTable

bp = Blueprint("results", __name__, template_folder="templates")


for _name in ("score_cell", "final_cell", "plugin_cell", "outcome_badge", "result_rows"):
    bp.add_app_template_global(getattr(html, _name), _name)


@bp.app_template_global("results_state_label")
def _state_label(state: Any) -> str:
    return state_label(state)


@bp.app_template_global("results_export_inline")
def _export_inline(fmt: str, participants: int) -> bool:
    return inline(fmt, participants)


@bp.app_template_global("results_weight")
def _weight(weight: Decimal) -> str:
    return weight_text(weight)


def _today() -> date:
    return datetime.now(local_zone()).date()


def _problem(status: int, message: str, cohort: Cohort) -> tuple[str, int]:
    return render_template(
        "results/problem.html", cohort=cohort, message=message, status=status, tabs=cohort_tabs(cohort, current_user)
    ), status


@bp.route("/cohorts/<int:cohort_id>/results")
@require("results.view", load=Cohort)
def cohort(cohort: Cohort) -> str:
    filters = {key: request.args.get(key, "")[:100] for key in ("q", "status")}
    screen_query = ResultQuery(
        search=filters["q"],
        status=filters["status"] if filters["status"] in STATUSES else "",
        filters={k[2:]: v[:100] for k, v in request.args.items() if k.startswith("f_")},
        sort=request.args.get("sort", "rank")[:40],
        descending=request.args.get("dir", "") == "desc",
        page=page_arg(request.args),
        per_page=current_app.config["PAGE_SIZE"],
    )
    # The body is kept by the cohort's results generation (read once the stored rows are up to
    # date), the language and the query: lms/results/page_cache.py says why it is never stale.
    pages = page_cache.for_app(current_app)
    ensure_fresh(db.session, cohort)
    generation = page_cache.generation(db.session, cohort.id)
    key = None if generation is None else (cohort.id, generation, str(get_locale()), screen_query.key())
    kept = pages.get(key)
    if kept is None:
        kept = _body(cohort, screen_query, filters)
        pages.put(key, kept)
    return render_template("results/cohort.html", cohort=cohort, kept=kept, tabs=cohort_tabs(cohort, current_user))


def _body(cohort: Cohort, screen_query: ResultQuery, filters: dict[str, str]) -> page_cache.KeptPage:
    """The results page's body for ``screen_query`` (whoever reads it)."""
    screen = result_screen(db.session, cohort, screen_query, fresh=False)
    kept: dict[str, Any] = {k: v for k, v in filters.items() if v}
    kept.update({f"f_{f.key}": screen_query.filters[f.key] for f in screen.filters if screen_query.filters.get(f.key)})
    key = screen_query.sort

    def sort_url(column: str, desc: bool | None) -> str:
        if desc is None:  # first click: scores high to low, everything else A to Z (rank 1 first)
            desc = column in ("final",) or column.startswith(("a", "c"))
        return url_for("results.cohort", cohort_id=cohort.id, sort=column, dir="desc" if desc else "asc", **kept)

    fmt = Formats()
    figures = screen.figures
    totals = [
        (t.label, t.total, _("%(total)s (%(people)s participants)", total=fmt.number(t.total), people=t.people))
        for t in figures.totals
    ]
    paging = dict(kept, sort=key, dir="desc" if screen_query.descending else "asc")
    body = render_template(
        "results/_body.html",
        cohort=cohort,
        table=screen.table,
        rows=screen.table.rows,
        page=screen.page,
        figures=figures,
        filters=screen.filters,
        args=kept,
        paging=paging,
        statuses=STATUSES,
        outcome_labels=components.STATUS_LABELS,
        sort=(key, screen_query.descending, sort_url),
        fmt=fmt,
        bins=figures.bins,
        mean_final=figures.mean_final,
        predicate_bars=[(label, n, str(n)) for label, n in figures.predicate_bars],
        averages=figures.averages,
        assessment_bins=figures.assessment_bins,
        totals=totals,
    )
    return page_cache.KeptPage(
        body=Markup(body),
        participants=figures.participants,
        components=bool(screen.table.components),
        definition_version=screen.table.definition_version,
    )


@bp.route("/cohorts/<int:cohort_id>/results/export")
@require("results.view", load=Cohort)
def export(cohort: Cohort):
    """The CSV or XLSX in the response, streamed. The PDF is always a background job: its old
    address here leads to the results page, whose button starts it."""
    fmt = request.args.get("format", "")
    if fmt == "pdf":
        return redirect(url_for("results.cohort", cohort_id=cohort.id, _anchor="export-pdf-job"), 303)
    if fmt not in FORMATS:
        return _problem(
            400, _("Unknown export format “%(format)s”: choose csv, csv-id, xlsx or pdf.", format=fmt[:20]), cohort
        )
    g.no_store = True  # NIPs and scores: never kept in shared caches
    if fmt in DIALECTS:
        return _send_csv(cohort, fmt)
    if fmt == "xlsx":
        table = stored.stream_table(db.session, cohort)
        body = io.BytesIO()
        write_xlsx(db.session, table, body, rows=stored.export_rows(db.session, table))
        body.seek(0)
        name = filename(table, fmt, _today(), None)
        return send_file(body, mimetype=FORMATS[fmt], as_attachment=True, download_name=name, max_age=0)
    return _send(stored.rows_of(db.session, cohort), fmt, None)


def _send_csv(cohort: Cohort, fmt: str) -> Any:
    """The CSV streamed: rows read from a server-side cursor a batch at a time and sent as they are
    written (the stored rows are brought up to date here, before the commit; the body only reads)."""
    table = stored.stream_table(db.session, cohort)
    name = filename(table, fmt, _today(), None)
    rows = stored.export_rows(db.session, table)
    chunks = (chunk.encode("utf-8") for chunk in csv_chunks(table, DIALECTS[fmt], rows))
    response = Response(stream_with_context(chunks), mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename={name}"  # secure_filename: ASCII
    return response


@bp.route("/cohorts/<int:cohort_id>/results/export", methods=["POST"])
@require("results.view", load=Cohort)
def export_job(cohort: Cohort):
    """Start an export in the background; its page shows progress and then the download."""
    fmt = request.form.get("format", "")
    if fmt not in FORMATS:
        return _problem(
            400, _("Unknown export format “%(format)s”: choose csv, csv-id, xlsx or pdf.", format=fmt[:20]), cohort
        )
    job = jobs.start_job(
        db.session,
        current_user,
        "results.export",
        {"cohort_id": cohort.id, "format": fmt},
        locale=str(get_locale()),
        back_url=url_for("results.cohort", cohort_id=cohort.id),
    )
    return start_page(job)


def _send(table: ResultTable, fmt: str, participant: ResultRow | None) -> Any:
    """A file in the response. CSV rows are sent as they are written, never held whole; the XLSX (a
    zip, complete only at its end) is built in memory, which the results page offers only up to
    :data:`lms.results.exports.INLINE_LIMIT` peserta (a job writes larger ones to a file), and so is
    one participant's PDF."""
    name = filename(table, fmt, _today(), participant)
    if fmt in DIALECTS:
        chunks = (chunk.encode("utf-8") for chunk in csv_chunks(table, DIALECTS[fmt]))
        response = Response(stream_with_context(chunks), mimetype=FORMATS[fmt])
        response.headers["Content-Disposition"] = f"attachment; filename={name}"  # secure_filename: ASCII
        return response
    body = io.BytesIO()
    if fmt == "xlsx":
        write_xlsx(db.session, table, body)
    else:
        write_pdf(db.session, table, body, recap=participant is None)
    body.seek(0)
    return send_file(body, mimetype=FORMATS[fmt], as_attachment=True, download_name=name, max_age=0)


@bp.route("/cohorts/<int:cohort_id>/results/mine")
@require("results.own", load=Cohort)
def mine(cohort: Cohort):
    table = stored.rows_of(db.session, cohort, participant_ids=[current_user.id])
    row = table.rows[0] if table.rows else None
    released = bool(row and row.released)
    feedback = feedback_of(db.session, table, [current_user.id]) if released else {}
    criteria: dict[int, list[CriterionRow]] = {}
    if released:
        for item in criterion_rows(db.session, table, [current_user.id]):
            criteria.setdefault(item.participant_id, []).append(item)
    return render_template(
        "results/mine.html",
        cohort=cohort,
        table=table,
        row=row,
        released=released,
        feedback=feedback,
        criteria=criteria,
        fmt=Formats(),
        tabs=cohort_tabs(cohort, current_user),
    )


@bp.route("/cohorts/<int:cohort_id>/results/mine.pdf")
@require("results.own", load=Cohort)
def mine_pdf(cohort: Cohort):
    table = stored.rows_of(db.session, cohort, participant_ids=[current_user.id])
    row = table.rows[0] if table.rows else None
    if row is None or not row.released:
        return _problem(
            403,
            _(
                "Your results are not released yet. The sheet can be downloaded once an "
                "instructor releases a grade of yours."
            ),
            cohort,
        )
    g.no_store = True
    return _send(table, "pdf", row)
