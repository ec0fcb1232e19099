"""PDF: the same Jinja macros as the screen, A4, Indonesian number and date formats, rendered by
the app's PDF renderer (:mod:`lms.core.pdf`: WeasyPrint, and a URL fetcher that reads the app's own
static files and refuses everything else)."""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from flask import Flask, render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.certificates.services import template_for
from lms.core import numbers
from lms.core.context import real_app
from lms.core.pdf import Document, renderer
from lms.core.pdfjoin import PdfJoiner
from lms.core.scores import half_up
from lms.core.timezones import local_zone
from lms.plugins.types import ResultColumn
from lms.results.charts import histogram, mean, predicate_counts
from lms.results.details import CriterionRow, criterion_rows, feedback_of
from lms.results.exports.columns import state_label, weight_text
from lms.results.table import CellState, ResultTable


class Formats:
    """Numbers and dates for templates, by the template filters' own functions (lms.core.numbers):
    the user's locale on screen (``locale=None``), a fixed one (Indonesian) in PDFs."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale
        self._score: numbers.NumberFormatter | None = None  # looked up on the first score

    def score(self, value: Decimal | None) -> str:
        # The formatter of numbers.format_score, looked up once per Formats (a page or a PDF part
        # formats hundreds of scores in one locale), not once per cell.
        if value is None or value == "":
            return ""
        if self._score is None:
            self._score = numbers.formatter(numbers.SCORE_PATTERN, self.locale)
        return self._score(half_up(value))

    def number(self, value: Any) -> str:
        return numbers.format_number(value, locale=self.locale)

    def date(self, value: date | None) -> str:
        return numbers.format_date(value, locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        return numbers.format_datetime(value, "d MMMM yyyy HH:mm", locale=self.locale)

    def cell(self, column: ResultColumn, value: Any) -> str:
        if value is None:
            return "—"
        if column.kind == "score":
            return self.score(Decimal(str(value)))
        if column.kind == "number" and isinstance(value, int | float | Decimal):
            return self.number(value)
        return str(value)


PDF_CSS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "print.css")


# Recap rows per slice and results sheets per part. A part is laid out on its own (by one worker
# process when the PDF is large), so the renderer's memory is one part's whatever the cohort size.
# Layout time is linear in the sheets from 5 sheets per document on (bench/export.py, docs/pdf.md):
# 10 keeps each worker's memory low without paying more per sheet.
RECAP_ROWS = 150  # the largest slice is a 150-peserta cohort's whole recap: a worker's peak stays that one's
SHEETS_PER_PART = 10
# From this many peserta on, the parts are laid out by app.config["PDF_PROCESSES"] worker processes
# at once; below it, in the calling process (spawning the workers costs about as much as 20 sheets).
PARALLEL_FROM = 60


def column_code(index: int) -> str:
    """A, B, … Z, AA, AB, …: the recap's header for its ``index``-th (0-based) lettered column."""
    code = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        code = chr(ord("A") + rest) + code
    return code


@dataclass(frozen=True)
class RecapKey:
    """What the recap's short headers and marks stand for (issue 14: ~25 columns on a landscape page
    broke long titles mid-word). ``codes``: "a<assessment id>", "k<component key>", "c<plugin column
    key>" → letter; ``marks``: cell state (and "incomplete") → abbreviation; ``entries``: the key
    printed beneath the table, (letter or mark, meaning), in column order, then the marks."""

    codes: dict[str, str]
    marks: dict[str, str]
    entries: list[tuple[str, str]]


def recap_key(table: ResultTable) -> RecapKey:
    codes: dict[str, str] = {}
    entries: list[tuple[str, str]] = []

    def add(key: str, meaning: str) -> None:
        codes[key] = column_code(len(codes))
        entries.append((codes[key], meaning))

    for a in table.assessments:
        add(f"a{a.id}", _("%(title)s, weight %(weight)s", title=a.title, weight=weight_text(a.weight)))
    for c in table.components:
        add(f"k{c.key}", _("%(title)s, weight %(weight)s", title=c.name, weight=weight_text(c.weight)))
    for column in table.columns:
        add(f"c{column.key}", str(column.label))
    marks = {
        CellState.NOT_SUBMITTED.value: _("NS"),
        CellState.NOT_GRADED.value: _("NG"),
        CellState.UNSCORED.value: _("NSc"),
        "incomplete": _("INC"),
    }
    meanings = {
        CellState.NOT_SUBMITTED.value: state_label(CellState.NOT_SUBMITTED),
        CellState.NOT_GRADED.value: state_label(CellState.NOT_GRADED),
        CellState.UNSCORED.value: state_label(CellState.UNSCORED),
        "incomplete": _("final score incomplete"),
    }
    entries += [(marks[state], meanings[state]) for state in marks]
    return RecapKey(codes, marks, entries)


def signatory(session: Session, table: ResultTable) -> dict[str, Any]:
    """The letterhead lines and the signing official of the cohort's program: the same per-program
    settings as its certificates (:class:`lms.certificates.models.CertificateTemplate`)."""
    template = template_for(session, table.cohort.program)
    if template is None:
        return {"letterhead": [], "signer": None}
    return {"letterhead": [line for line in template.letterhead.splitlines() if line.strip()], "signer": template}


def pdf_parts(
    session: Session, table: ResultTable, *, recap: bool = True, app: Flask | None = None
) -> Iterator[tuple[int, Document]]:
    """The PDF in parts, each a complete document: the recap in slices of :data:`RECAP_ROWS` rows (the
    first with the summary and charts), then the results sheets, :data:`SHEETS_PER_PART` at a time,
    each part's feedback and criteria read for its participants only. Yields (sheets done, part)."""
    app = app or real_app()
    common = {
        "table": table,
        "fmt": Formats("id"),
        "today": datetime.now(local_zone()).date(),
        "logo": f"{app.static_url_path}/favicon.svg",
        **signatory(session, table),
    }

    def part(**context: Any) -> Document:
        return Document(render_template("results/pdf.html", **common, **context), stylesheets=(PDF_CSS,))

    if recap:
        finals = [r.final for r in table.rows]
        charts = {
            "bins": histogram(finals),
            "mean_final": mean(finals),
            "predicate_bars": [(label, n, str(n)) for label, n in predicate_counts(table)],
        }
        key = recap_key(table)
        slices = range(0, max(len(table.rows), 1), RECAP_ROWS)
        for start in slices:
            yield (
                0,
                part(
                    recap_part=True,
                    summary=start == 0,
                    last_slice=start == slices[-1],
                    recap_rows=table.rows[start : start + RECAP_ROWS],
                    sheets=[],
                    key=key,
                    **charts,
                ),
            )
    for start in range(0, len(table.rows), SHEETS_PER_PART):
        rows = table.rows[start : start + SHEETS_PER_PART]
        ids = [r.participant_id for r in rows]
        criteria: dict[int, list[CriterionRow]] = {}
        for item in criterion_rows(session, table, ids):
            criteria.setdefault(item.participant_id, []).append(item)
        yield (
            start + len(rows),
            part(recap_part=False, sheets=rows, feedback=feedback_of(session, table, ids), criteria=criteria),
        )


def write_pdf(
    session: Session,
    table: ResultTable,
    out: IO[bytes],
    *,
    recap: bool = True,
    app: Flask | None = None,
    progress: Callable[[int, int], None] | None = None,
    processes: int | None = None,
) -> int:
    """A4 PDF: the cohort recap (when ``recap``) and one results sheet per row of ``table``, rendered
    in parts (:func:`pdf_parts`) and joined as they come (:class:`lms.core.pdfjoin.PdfJoiner`, which
    numbers the pages), so that memory stays one part's. ``processes``: worker processes that lay
    out parts at once (default: ``PDF_PROCESSES`` from :data:`PARALLEL_FROM` peserta on, else none).
    ``progress(sheets done, sheets)`` after each part. Returns the number of pages."""
    app = app or real_app()
    if processes is None:
        processes = app.config["PDF_PROCESSES"] if len(table.rows) >= PARALLEL_FROM else 0
    pdf = renderer(app)
    fetcher = pdf.fetcher()  # one for every part: what the whole PDF fetched and refused
    cohort = table.cohort
    joiner = PdfJoiner(out, title=f"{cohort.program.code} {cohort.name} {cohort.year}", numbers=True)
    counts: deque[int] = deque()  # sheets done by each part sent to the renderer, in order

    def documents() -> Iterator[Document]:
        for done, document in pdf_parts(session, table, recap=recap, app=app):
            counts.append(done)
            yield document

    for part in pdf.render_all(documents(), processes=processes, fetcher=fetcher):
        joiner.add(part)
        done = counts.popleft()
        if progress is not None:
            progress(done, len(table.rows))
    joiner.close()
    return joiner.pages


def render_pdf(session: Session, table: ResultTable, *, recap: bool = True, app: Flask | None = None) -> bytes:
    """:func:`write_pdf` into memory: for one participant's sheet, or a small cohort in tests."""
    out = io.BytesIO()
    write_pdf(session, table, out, recap=recap, app=app)
    return out.getvalue()
