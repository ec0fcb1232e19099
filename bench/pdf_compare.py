"""WeasyPrint against ReportLab on the same rapor: the results sheets of one cohort.

    .venv/bin/pip install reportlab        # not a dependency of Tolok: only this comparison uses it
    LMS_ENV=testing .venv/bin/python -m bench.pdf_compare --database postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        [--label c150] [--sheets 40]

Both render the same data (:func:`lms.results.table.build_table`, the criteria and feedback rows)
for the first ``--sheets`` peserta: WeasyPrint through the app's own parts
(:func:`lms.results.exports.as_pdf.write_pdf` without the recap), ReportLab through a platypus
story of the same content — header, identity, the scores table, each released grade's criteria
table and feedback — in DejaVu Sans, A4, page numbers. It prints seconds (wall and CPU: on a
shared machine the CPU seconds are the comparable ones), pages and file size.
docs/pdf.md records the result and why Tolok keeps WeasyPrint.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import tempfile
import time
from typing import Any

from bench.data import known
from bench.pages import make_app


def reportlab_sheets(
    table: Any, rows: list[Any], feedback: dict[int, list[Any]], criteria: dict[int, list[Any]]
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"))
    body = ParagraphStyle("body", fontName="DejaVu", fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", parent=body, fontName="DejaVu-Bold", fontSize=14, leading=18, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontName="DejaVu-Bold", fontSize=12, leading=15, spaceAfter=3)
    h3 = ParagraphStyle("h3", parent=body, fontName="DejaVu-Bold", fontSize=9.5, leading=12, spaceBefore=6)
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "DejaVu", 7.5),
            ("FONT", (0, 0), (-1, 0), "DejaVu-Bold", 7.5),
            ("LINEBELOW", (0, 0), (-1, 0), 1, colors.HexColor("#495057")),
            ("LINEBELOW", (0, 1), (-1, -1), 0.5, colors.HexColor("#dee2e6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    cohort = table.cohort
    story: list[Any] = []
    for n, row in enumerate(rows):
        if n:
            story.append(PageBreak())
        story += [
            Paragraph(f"{cohort.program.code} — {cohort.program.name}", small),
            Paragraph(f"<b>{cohort.name} {cohort.year}</b>", body),
            Spacer(1, 3 * mm),
            Paragraph("Lembar hasil", h1),
            Paragraph(row.name, h2),
        ]
        identity = [
            ["NIP", row.nip or "—"],
            ["Instansi", row.instansi or "—"],
            ["Jabatan", row.jabatan or "—"],
            ["Golongan", row.golongan or "—"],
        ]
        story.append(Table(identity, colWidths=[35 * mm, None], style=grid))
        scores = [["Penilaian", "Bobot", "Nilai"]] + [
            [Paragraph(a.title, small), str(a.weight), str(row.cells[a.id].score or "—")] for a in table.assessments
        ]
        scores += [
            ["Nilai akhir", "", str(row.final or "—")],
            ["Predikat", "", row.predicate or "—"],
            ["Peringkat", "", f"{row.rank} dari {table.ranked}" if row.rank else "—"],
        ]
        story.append(Table(scores, colWidths=[None, 20 * mm, 20 * mm], style=grid))
        mine = criteria.get(row.participant_id, [])
        for item in feedback.get(row.participant_id, []):
            story.append(Paragraph(f"{table.titles.get(item.assessment_id, '')} · {item.score}", h3))
            lines = [["Kriteria", "Tingkat", "Poin", "Komentar"]] + [
                [
                    Paragraph(c.criterion, small),
                    c.level or "",
                    f"{c.points:g}" if c.points is not None else "",
                    Paragraph(c.comment, small),
                ]
                for c in mine
                if c.assessment_id == item.assessment_id and c.attempt == item.attempt
            ]
            if len(lines) > 1:
                story.append(Table(lines, colWidths=[45 * mm, 25 * mm, 12 * mm, None], style=grid, repeatRows=1))
            text = re.sub(r"\s+", " ", item.feedback).strip()
            if text:
                story.append(Paragraph(text, body))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont("DejaVu", 8)
        canvas.drawRightString(A4[0] - 12 * mm, 8 * mm, str(doc.page))

    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=14 * mm, bottomMargin=16 * mm
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--label", default="c150")
    parser.add_argument("--sheets", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    from pypdf import PdfReader

    from lms.cohorts.models import Cohort
    from lms.results.details import criterion_rows, feedback_of
    from lms.results.exports.as_pdf import write_pdf
    from lms.results.table import build_table

    app = make_app(args.database, tempfile.mkdtemp())
    world = known(app)
    with app.test_request_context():
        session = app.extensions["lms.db"].session()
        cohort = session.get(Cohort, world.cohorts[args.label]["cohort"])
        ids = [r.participant_id for r in build_table(session, cohort).rows[: args.sheets]]
        table = build_table(session, cohort, participant_ids=ids)
        started, cpu = time.perf_counter(), time.process_time()
        out = io.BytesIO()
        write_pdf(session, table, out, recap=False, processes=0)
        weasy = time.perf_counter() - started, time.process_time() - cpu, out.getvalue()
        started, cpu = time.perf_counter(), time.process_time()
        feedback = feedback_of(session, table, ids)
        criteria: dict[int, list[Any]] = {}
        for item in criterion_rows(session, table, ids):
            criteria.setdefault(item.participant_id, []).append(item)
        data = reportlab_sheets(table, table.rows, feedback, criteria)
        lab = time.perf_counter() - started, time.process_time() - cpu, data
    for name, (seconds, cpu_seconds, pdf) in (("WeasyPrint (parts)", weasy), ("ReportLab", lab)):
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(
            f"{name:<20} {len(ids)} sheets: {seconds:6.1f} s ({cpu_seconds:.1f} s CPU), "
            f"{cpu_seconds / len(ids):.3f} s CPU per sheet, {pages} pages, {len(pdf) / 1024:.0f} KB"
        )


if __name__ == "__main__":
    main()
