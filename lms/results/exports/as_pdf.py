"""PDF: WeasyPrint from the same Jinja macros as the screen, A4, Indonesian number and date
formats, with a URL fetcher that reads the app's own static files and refuses everything else."""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from flask import Flask, render_template
from sqlalchemy.orm import Session
from werkzeug.security import safe_join

from lms.core import numbers
from lms.core.context import real_app
from lms.core.pdfjoin import PdfJoiner
from lms.core.timezones import local_zone
from lms.plugins.types import ResultColumn
from lms.results.charts import histogram, mean, predicate_counts
from lms.results.details import CriterionRow, criterion_rows, feedback_of
from lms.results.table import ResultTable

# The PDF's base URL: links the templates make with url_for() resolve under this origin, and the
# fetcher serves only this origin's static paths from disk.
PDF_BASE_URL = "http://tolok.pdf.invalid/"


class StaticOnlyFetcher:
    """WeasyPrint URL fetcher that reads the app's own static files and refuses everything else.

    WeasyPrint's default fetcher follows ``http(s)://`` and ``file://`` URLs: from user Markdown
    (an ``<img>`` in grader feedback) that is server-side request forgery or a local file read.
    """

    def __init__(self, app: Flask) -> None:
        self.roots: dict[str, str] = {}
        if app.static_folder and app.static_url_path is not None:
            self.roots[app.static_url_path.rstrip("/") + "/"] = app.static_folder
        for bp in app.blueprints.values():
            if bp.has_static_folder and bp.static_url_path and bp.static_folder:
                prefix = (bp.url_prefix or "").rstrip("/") + bp.static_url_path.rstrip("/") + "/"
                self.roots[prefix] = bp.static_folder
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def path_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        base = urlsplit(PDF_BASE_URL)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query:
            return None
        path = unquote(parts.path)
        for prefix, root in self.roots.items():
            if path.startswith(prefix):
                found = safe_join(root, path[len(prefix) :])
                if found and os.path.isfile(found):
                    return found
        return None

    def fetch(self, url: str, headers: Any = None) -> Any:
        from weasyprint.urls import URLFetcherResponse  # noqa: PLC0415  (WeasyPrint takes ~2 s to import: only where a PDF is made)

        found = self.path_for(url)
        if found is None:
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: PDFs may use the app's static files only")
        self.fetched.append(url)
        with open(found, "rb") as handle:
            body = handle.read()
        mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


def make_fetcher(app: Flask) -> StaticOnlyFetcher:
    """The fetcher as WeasyPrint wants it: a subclass of its ``URLFetcher`` (imported lazily, as
    WeasyPrint is slow to import) whose ``fetch`` is ours; a refused URL is skipped, the PDF made."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415  (WeasyPrint takes ~2 s to import: only where a PDF is made)

    class Fetcher(StaticOnlyFetcher, URLFetcher):
        def __init__(self, app: Flask) -> None:
            URLFetcher.__init__(self, allow_redirects=False, fail_on_errors=False)
            StaticOnlyFetcher.__init__(self, app)

    return Fetcher(app)


class Formats:
    """Numbers and dates for templates, by the template filters' own functions (lms.core.numbers):
    the user's locale on screen (``locale=None``), a fixed one (Indonesian) in PDFs."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale

    def score(self, value: Decimal | None) -> str:
        return numbers.format_score(value, locale=self.locale)

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


# Recap rows per slice and results sheets per part. A part is laid out on its own, so the
# renderer's memory is one part's whatever the cohort size; WeasyPrint's cost per document (styles,
# fonts) is about a second, so a part holds several sheets (bench/export.py measures both).
RECAP_ROWS = 250
SHEETS_PER_PART = 20

Part = Callable[[int], bytes]  # renders the part whose first page has the given number


def pdf_parts(
    session: Session, table: ResultTable, *, recap: bool = True, app: Flask | None = None
) -> Iterator[tuple[int, Part]]:
    """The PDF in parts, each a complete PDF: the recap in slices of :data:`RECAP_ROWS` rows (the first
    with the summary and charts), then the results sheets, :data:`SHEETS_PER_PART` at a time, each
    part's feedback and criteria read for its participants only. Yields (sheets done, part)."""
    from weasyprint import CSS, HTML  # noqa: PLC0415  (WeasyPrint takes ~2 s to import: only where a PDF is made)
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415  (WeasyPrint takes ~2 s to import: only where a PDF is made)

    app = app or real_app()
    fetcher = make_fetcher(app)
    fonts = FontConfiguration()  # fonts found once for every part
    stylesheet = CSS(filename=PDF_CSS, url_fetcher=fetcher, font_config=fonts)
    common = {
        "table": table,
        "fmt": Formats("id"),
        "today": datetime.now(local_zone()).date(),
        "logo": f"{app.static_url_path}/favicon.svg",
    }

    def part(**context: Any) -> Part:
        def render(first_page: int) -> bytes:
            html = render_template("results/pdf.html", **common, **context)
            numbering = CSS(string=f"@page :first {{ counter-reset: page {int(first_page)} }}", font_config=fonts)
            document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher)
            return document.write_pdf(stylesheets=[stylesheet, numbering], font_config=fonts)

        return render

    if recap:
        finals = [r.final for r in table.rows]
        charts = {
            "bins": histogram(finals),
            "mean_final": mean(finals),
            "predicate_bars": [(label, n, str(n)) for label, n in predicate_counts(table)],
        }
        for start in range(0, max(len(table.rows), 1), RECAP_ROWS):
            yield (
                0,
                part(
                    recap_part=True,
                    summary=start == 0,
                    recap_rows=table.rows[start : start + RECAP_ROWS],
                    sheets=[],
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
) -> int:
    """A4 PDF: the cohort recap (when ``recap``) and one results sheet per row of ``table``, rendered
    in parts (:func:`pdf_parts`) and joined as they come (:class:`lms.core.pdfjoin.PdfJoiner`), so
    that memory stays one part's. ``progress(sheets done, sheets)`` after each part. Returns pages."""
    cohort = table.cohort
    joiner = PdfJoiner(out, title=f"{cohort.program.code} {cohort.name} {cohort.year}")
    for done, render in pdf_parts(session, table, recap=recap, app=app):
        joiner.add(render(joiner.pages + 1))
        if progress is not None:
            progress(done, len(table.rows))
    joiner.close()
    return joiner.pages


def render_pdf(session: Session, table: ResultTable, *, recap: bool = True, app: Flask | None = None) -> bytes:
    """:func:`write_pdf` into memory: for one participant's sheet, or a small cohort in tests."""
    out = io.BytesIO()
    write_pdf(session, table, out, recap=recap, app=app)
    return out.getvalue()
