"""Did it work? A host's implementation across years and cohorts: the page with its charts, and its
CSV (the same numbers: implementation.by_cohort)."""

from __future__ import annotations

import io

from flask import Response, render_template
from flask_babel import gettext as _
from flask_login import current_user

from lms import db
from lms.core.access import require
from lms.core.spreadsheet import PLAIN, csv_writer, guard
from plugins.benchmarking import implementation
from plugins.benchmarking.models import Host
from plugins.benchmarking.practice_views.blueprint import bp
from plugins.benchmarking.rules import implementation_scope


@bp.route("/hosts/<int:host_id>/implementation")
@require("benchmarking.host.implementation", load=Host)
def host_implementation(host: Host):
    scope = implementation_scope(current_user, host)
    rows = implementation.by_cohort(db.session, host.id, scope)
    travelling = implementation.travelling(db.session, host.id, scope)
    return render_template(
        "benchmarking/implementation.html",
        host=host,
        rows=rows,
        lokus=implementation.by_lokus(db.session, host.id, scope),
        total=implementation.overall(rows),
        travelling=travelling[:15],
        never=implementation.never_implemented(travelling),
        scoped=scope is not None,
    )


@bp.route("/hosts/<int:host_id>/implementation.csv")
@require("benchmarking.host.implementation", load=Host)
def host_implementation_csv(host: Host):
    rows = implementation.by_cohort(db.session, host.id, implementation_scope(current_user, host))
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads the encoding right
    writer = csv_writer(buffer, dialect=PLAIN)
    headers = [
        _("Cohort"),
        _("Year"),
        *implementation.COUNTS,
        _("Implemented, in percent of those taken home"),
        _("Sustained at 12 months, in percent of those taken home"),
        _("Confirmed by a mentor, in percent of those taken home"),
    ]
    writer.writerow([guard(h) for h in headers])
    for row in [*rows, implementation.overall(rows)]:
        rates = (row.implemented_rate, row.sustained_rate, row.confirmed_rate)
        writer.writerow(
            [
                guard(row.cohort_title or _("All cohorts")),
                PLAIN.number(row.year) if row.year else "",
                *(PLAIN.number(v) for v in row.counts().values()),
                *("" if r is None else PLAIN.number(r) for r in rates),
            ]
        )
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="implementasi_{host.id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )
