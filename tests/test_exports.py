"""Exports: CSV (BOM, formula guard), XLSX (types, sheets, read back by LibreOffice), PDF (A4,
Indonesian formats, no fetching outside the static folder), file names, the CLI, and the agreement
of screen, CSV, XLSX, PDF and API on the demo cohort's numbers."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import threading
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask_babel import gettext as _
from openpyxl import load_workbook
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.core.civil_service import format_nip
from lms.core.pdf import PDF_BASE_URL, renderer
from lms.core.scores import half_up
from lms.core.spreadsheet import guard
from lms.grading.models import Grade
from lms.results.exports import EXTENSIONS, INLINE_LIMIT, as_pdf
from lms.results.exports.as_xlsx import sheet_name
from lms.results.exports.columns import Marker, columns, export_row, state_label, weight_text
from lms.results.table import CellState, build_table
from lms.users.models import User
from tests.factories import arrange, demo_with_results, give, graded_world
from tests.support import login
from tests.test_results import plugin_app, screen_rows  # noqa: F401

pytestmark = pytest.mark.jobs_immediate

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)"]


def pdf_text(data: bytes) -> str:
    return "\n".join(text for text, _portrait in page_texts(data))


def page_texts(data: bytes) -> list[tuple[str, bool]]:
    """Each page's text, and whether the page is portrait (a results sheet) or landscape (the recap)."""
    from pypdf import PdfReader

    return [
        (page.extract_text() or "", page.mediabox.height > page.mediabox.width)
        for page in PdfReader(io.BytesIO(data)).pages
    ]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "UTF-8 BOM first, so that Excel reads the encoding"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def labels(app: Any) -> dict[str, str]:
    """Marker texts as the app writes them (default language) → state."""
    with app.test_request_context():
        out = {state_label(s): s.value for s in CellState if s != CellState.SCORED}
        out[Marker(_("incomplete")).text] = "incomplete"
        return out


@pytest.fixture
def world(ctx, session, make_cohort):
    """The graded world of a program that ranks its peserta (ranks are in the exports only then)."""
    world = graded_world(session, make_cohort)
    session.get(Cohort, world["cohort"].id).program.show_rank = True
    session.commit()
    return world


def test_exports_leave_the_ranking_out_unless_the_program_ranks(world, session, app):
    cohort = session.get(Cohort, world["cohort"].id)
    with app.test_request_context():
        assert _("Ranking") in [str(c.header) for c in columns(build_table(session, cohort))]
        cohort.program.show_rank = False
        assert _("Ranking") not in [str(c.header) for c in columns(build_table(session, cohort))]


@pytest.fixture
def hostile(world, session):
    """The four participants are named like formulas; so are their agencies and a grader comment."""
    for person, name in zip(world["participants"], HOSTILE, strict=True):
        person = session.get(User, person.id)
        person.name = name
        person.profile.instansi = name
    grade = session.scalars(select(Grade)).first()
    grade.criteria[0].comment = "=cmd|' /C calc'!A0"
    session.commit()
    return world


def download(client: Any, cohort_id: int, fmt: str) -> Any:
    """The export as a person gets it: CSV and XLSX in the response, the PDF from its job (run at
    once in this module: ``jobs_immediate``)."""
    if fmt == "pdf":
        started = client.post(f"/cohorts/{cohort_id}/results/export", data={"format": fmt})
        assert started.status_code == 303, started.get_data(as_text=True)[:300]
        response = client.get(started.headers["Location"].rstrip("/") + "/download")
    else:
        response = client.get(f"/cohorts/{cohort_id}/results/export?format={fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response.get_data()
    response.close()
    return response


def coordinator_client(client: Any, world: dict[str, Any]) -> Any:
    login(client, world["cohort"].people["coordinator"])
    return client


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_has_a_bom_numbers_and_clear_markers(world, client, app):
    response = download(coordinator_client(client, world), world["cohort"].id, "csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # charset once (issue 10 #23)
    assert client.get("/roster-template.csv").headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.data
    rows = read_csv(data)
    header = rows[0]
    assert header[0] == "NIP"
    with app.test_request_context():
        titles = [_("%(title)s (weight %(weight)s)", title=f"Tugas {n}", weight=w) for n, w in ((1, 1), (2, 2), (3, 0))]
    assert header[5:8] == titles
    by_nip = {r[0]: r for r in rows[1:]}
    p = world["participants"]
    first = by_nip[p[0].profile.nip]
    assert first[5:9] == ["100.00", "75.00", "25.00", "83.33"]
    assert first[9:11] == ["Memuaskan", "1"]
    waiting = by_nip[p[3].profile.nip]
    marker = labels(app)
    assert [marker[v] for v in waiting[5:9]] == ["not_graded", "not_graded", "not_submitted", "incomplete"]
    assert waiting[10] == ""


def test_formula_injection_is_inert_in_csv(hostile, client):
    rows = read_csv(download(coordinator_client(client, hostile), hostile["cohort"].id, "csv").data)
    names = [r[1] for r in rows[1:]]
    assert sorted(names) == sorted("'" + n for n in HOSTILE)
    assert all(r[2].startswith("'") for r in rows[1:])
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "83.33" in [r[8] for r in rows[1:]], "numbers are not guarded"


SEPARATED = ["Budi;=1+1;", "Ani,-2+3", "Siti;\"=cmd|' /C calc'!A0\"", "Tono ;@SUM(A1)"]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_formulas_hidden_behind_a_separator_stay_text(world, session, client, delimiter):
    """Excel in an Indonesian locale splits on ``;``: no part of any cell may start a formula."""
    for person, name in zip(world["participants"], SEPARATED, strict=True):
        person = session.get(User, person.id)
        person.name = name
        person.profile.unit = name
    session.commit()
    data = download(coordinator_client(client, world), world["cohort"].id, "csv").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    assert len(rows) == 1 + len(SEPARATED), "quoted cells keep their separators inside"
    for row in rows[1:]:
        for cell in row:
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r")), cell
    if delimiter == ",":
        assert sorted(r[1] for r in rows[1:]) == sorted(guard(n) for n in SEPARATED)
        assert not {r[1] for r in rows[1:]} & set(SEPARATED), "no hidden formula is written as typed"


def test_guard_rules():
    assert guard("=1+1") == "'=1+1"
    assert guard("\tx") == "'\tx"
    assert guard("Budi") == "Budi"
    assert guard("") == ""
    assert guard(None) == ""


# -- XLSX ------------------------------------------------------------------------------------------


def workbook(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data), read_only=False)


def test_xlsx_sheets_types_and_criteria_rows(world, client):
    data = download(coordinator_client(client, world), world["cohort"].id, "xlsx").data
    book = workbook(data)
    assert len(book.sheetnames) == 2
    results, criteria = book.worksheets[0], book.worksheets[1]
    header = [c.value for c in results[1]]
    nip_col, final_col = 0, 5 + len(world["assessments"])
    assert header[5].startswith("Tugas 1") and header[final_col + 1] != "Tugas 3"
    p = world["participants"]
    rows = {r[nip_col].value: r for r in results.iter_rows(min_row=2)}
    first = rows[p[0].profile.nip]
    assert first[nip_col].data_type == "s", "NIPs are text (18 digits would lose precision as numbers)"
    assert first[final_col].value == pytest.approx(83.33) and first[final_col].data_type == "n"
    assert first[final_col].number_format == "0.00"
    assert first[final_col + 2].value == 1
    waiting = rows[p[3].profile.nip]
    assert waiting[final_col].data_type == "s" and not isinstance(waiting[final_col].value, int | float)
    # One row per released grade × criterion: 7 released grades of a two-criterion rubric.
    lines = list(criteria.iter_rows(min_row=2, values_only=True))
    assert len(lines) == 14
    mine = [line for line in lines if line[0] == p[0].profile.nip and line[2] == "Tugas 1"]
    assert [line[3:8] for line in mine] == [
        (None, "Relevansi", "Sangat baik", 4, "Analisis baik"),
        (None, "Kedalaman", "Sangat baik", 4, None),
    ], "no attempt number where only one submission is allowed"
    assert mine[0][8] == "Widyaiswara" and isinstance(mine[0][9], datetime)
    assert mine[0][9] == datetime(2026, 10, 1, 10, 0), "graded at, in WIB"
    assert not [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_formula_injection_is_inert_in_xlsx(hostile, client):
    book = workbook(download(coordinator_client(client, hostile), hostile["cohort"].id, "xlsx").data)
    results, criteria = book.worksheets[0], book.worksheets[1]
    cells = [row[1] for row in results.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(HOSTILE), "names are kept as typed"
    for cell in cells:
        assert cell.data_type == "s" and cell.quotePrefix, (cell.value, "text, quote-prefixed")
    comment = [row[7] for row in criteria.iter_rows(min_row=2) if row[7].value]
    assert any(c.value == "=cmd|' /C calc'!A0" and c.quotePrefix and c.data_type == "s" for c in comment)
    for sheet in book.worksheets:
        assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_xlsx_with_plugin_columns_and_its_extra_sheet(plugin_app, session, make_cohort):  # noqa: F811
    with plugin_app.test_request_context():
        world = graded_world(session, make_cohort)
    client = plugin_app.test_client()
    login(client, world["cohort"].people["coordinator"])
    book = workbook(download(client, world["cohort"].id, "xlsx").data)
    assert len(book.worksheets) == 3 and book.sheetnames[2] == "practices"
    results = book.worksheets[0]
    header = [c.value for c in results[1]]
    submitted, motto, visit = header.index("Submitted works"), header.index("Motto"), header.index("Visit score")
    rows = list(results.iter_rows(min_row=2))
    assert sorted(r[submitted].value for r in rows) == [2, 2, 2, 3]
    assert {r[visit].value for r in rows} == {77.5, 60, None}
    hyperlink = next(r[motto] for r in rows if r[motto].value and r[motto].value.startswith("=HYPERLINK"))
    assert hyperlink.data_type == "s" and hyperlink.quotePrefix
    practices = list(book.worksheets[2].iter_rows(min_row=2))
    assert len(practices) == 9 and practices[0][2].value == "=1+1" and practices[0][2].quotePrefix
    csv_rows = read_csv(download(client, world["cohort"].id, "csv").data)
    assert "Submitted works" in csv_rows[0]
    assert sorted(r[csv_rows[0].index("Motto")] for r in csv_rows[1:]) == sorted(
        ["", '\'=HYPERLINK("http://x","y")', "'@SUM(A1)", "'-1"]
    )


def test_exports_write_each_row_before_reading_the_next(plugin_app, session, make_cohort, monkeypatch):  # noqa: F811
    """Nothing between the stored rows and the file holds the cohort: the CSV and the XLSX write
    each peserta's row, and each row of a plugin's sheet, before they read the next one; the
    plugin's sheet is read only once the sheets before it are written; and the large reads (the
    stored rows, the criteria, the plugin's sheet) go through streamed cursors (``yield_per``)."""
    from sqlalchemy import event

    from lms.results import stored
    from lms.results.exports import as_csv, as_xlsx
    from tests import results_plugin

    with plugin_app.test_request_context():
        world = graded_world(session, make_cohort)
    people = len(world["participants"])
    streamed: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if context.execution_options.get("yield_per"):
            streamed.append(statement)

    def lazily(rows: Any, written: Any, log: list[int]) -> Any:
        """The rows, checking that every row given before this one is already written."""
        for n, row in enumerate(rows):
            assert written() == n, f"row {n} read while {written()} were written: rows are held"
            log.append(n)
            yield row

    cohort = session.get(Cohort, world["cohort"].id)
    engine = session.connection().engine
    with plugin_app.test_request_context():
        event.listen(engine, "before_cursor_execute", note)
        try:
            # CSV: a piece per row, so the rows written are the pieces received.
            monkeypatch.setattr(as_csv, "CHUNK", 1)
            table = stored.stream_table(session, cohort)
            pieces: list[str] = []
            log: list[int] = []
            rows = lazily(
                stored.export_rows(session, table, batch=2), lambda: max(0, "".join(pieces).count("\r\n") - 1), log
            )
            for piece in as_csv.csv_chunks(table, rows=rows):
                pieces.append(piece)
            assert log == list(range(people)) and len(read_csv("".join(pieces).encode())) == 1 + people

            # XLSX: the highest row each sheet has been given a cell in.
            last: dict[str, int] = {}
            put = as_xlsx._Sheet.put

            def counted(self: Any, row: int, col: int, kind: str, value: Any) -> None:
                last[self.ws.name] = max(last.get(self.ws.name, 0), row)
                put(self, row, col, kind, value)

            monkeypatch.setattr(as_xlsx._Sheet, "put", counted)
            sheet_log: list[int] = []
            make_sheet = results_plugin.practices_sheet

            def practices_sheet(session: Any, cohort: Any, participants: Any) -> Any:
                sheet = make_sheet(session, cohort, participants)

                def rows() -> Any:
                    assert last[_("results")] == people, "the plugin's sheet is read after the results are written"
                    yield from lazily(sheet.rows, lambda: last.get("practices", 0), sheet_log)

                return type(sheet)(sheet.name, sheet.headers, rows(), sheet.order)

            monkeypatch.setattr(results_plugin, "practices_sheet", practices_sheet)
            table = stored.stream_table(session, cohort)
            log = []
            out = io.BytesIO()
            as_xlsx.write_xlsx(
                session,
                table,
                out,
                rows=lazily(stored.export_rows(session, table, batch=2), lambda: last.get(_("results"), 0), log),
            )
        finally:
            event.remove(engine, "before_cursor_execute", note)
    assert log == list(range(people)) and len(sheet_log) == 9 and last["practices"] == 9
    assert len(workbook(out.getvalue()).worksheets) == 3
    for table_name in ("participant_results", "grade_criteria"):
        assert any(f"FROM {table_name}" in statement for statement in streamed), (table_name, streamed)


OFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(
    OFFICE is None,
    reason="LibreOffice is not installed (Debian: libreoffice-calc-nogui, "
    "installed by .ci/run): the XLSX is not read back by an office reader",
)
def test_libreoffice_reads_the_same_values(hostile, client, app, session, tmp_path):
    data = download(coordinator_client(client, hostile), hostile["cohort"].id, "xlsx").data
    source = tmp_path / "hasil.xlsx"
    source.write_bytes(data)
    # 44,34,76: comma, double quote, UTF-8; the last -1: every sheet to its own file.
    filter_ = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    done = subprocess.run(
        [
            OFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            filter_,
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    files = sorted(os.listdir(tmp_path / "out")) if (tmp_path / "out").exists() else []
    assert len(files) == 2, (done.stdout, done.stderr, files)
    with app.test_request_context():
        names = [sheet_name(_(n)) for n in ("results", "criteria")]
        table = build_table(session, session.get(Cohort, hostile["cohort"].id))
    assert files == sorted(f"hasil-{n}.csv" for n in names)
    with open(tmp_path / "out" / f"hasil-{names[0]}.csv", encoding="utf-8", newline="") as handle:
        office = list(csv.reader(handle))
    with app.test_request_context():
        expected = [[c.header for c in columns(table)]]
        for row in table.rows:
            record = export_row(table, row)
            expected.append([_office_text(c.kind, c.value(record)) for c in columns(table)])
    assert len(office) == len(expected)
    for got, want in zip(office, expected, strict=True):
        assert [_normal(v) for v in got] == [_normal(v) for v in want]
    assert sorted(r[1] for r in office[1:]) == sorted(HOSTILE), "LibreOffice reads names, not formulas"
    with open(tmp_path / "out" / f"hasil-{names[1]}.csv", encoding="utf-8", newline="") as handle:
        criteria = list(csv.reader(handle))
    assert len(criteria) == 1 + 14


@pytest.mark.skipif(
    OFFICE is None,
    reason="LibreOffice is not installed (Debian: libreoffice-calc-nogui, "
    "installed by .ci/run): the CSV is not read back by an office reader",
)
def test_excel_indonesia_csv_reads_back_exactly_in_an_indonesian_office(hostile, client, app, session, tmp_path):
    """The "CSV (Excel Indonesia)" file opened as Excel opens it in Indonesia: ``;`` between cells,
    a decimal comma, formulas evaluated (Excel always does; here they are only the NIPs' ="…")."""
    response = download(coordinator_client(client, hostile), hostile["cohort"].id, "csv-id")
    assert re.search(r"filename=PKA_\w+_2026_\w+_\d{4}-\d\d-\d\d\.csv", response.headers["Content-Disposition"])
    data = response.data
    assert data.startswith("\ufeff".encode()) and b'"NIP";"' in data
    source = tmp_path / "hasil.csv"
    source.write_bytes(data)
    # 59,34,76: semicolon, double quote, UTF-8; 1057: Indonesian (Indonesia); quoted fields are
    # not forced to text and formulas are evaluated, as Excel does.
    infilter = "CSV:59,34,76,1,,1057,false,false,false,false,false,1,true"
    done = subprocess.run(
        [
            OFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            f"--infilter={infilter}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    assert (tmp_path / "out" / "hasil.xlsx").exists(), (done.stdout, done.stderr)
    sheet = load_workbook(tmp_path / "out" / "hasil.xlsx", data_only=True).worksheets[0]
    office = [list(row) for row in sheet.iter_rows(values_only=True)]
    with app.test_request_context():
        table = build_table(session, session.get(Cohort, hostile["cohort"].id))
        cols = columns(table)
    assert len(office) == 1 + len(table.rows)
    by_nip = {row[0]: row for row in office[1:]}
    numbers = 0
    for row in table.rows:
        got = by_nip[row.nip]  # the NIP: text, all 18 digits
        assert isinstance(row.nip, str) and len(row.nip) == 18
        record = export_row(table, row)
        for index, column in enumerate(cols):
            value = column.value(record)
            if column.kind == "score" and isinstance(value, Decimal):
                assert got[index] == float(half_up(value)), (column.header, got[index], value)
                numbers += 1
            elif column.kind == "int" and isinstance(value, int):
                assert got[index] == value, (column.header, got[index], value)
                numbers += 1
    assert numbers >= 6
    assert sorted(r[1] for r in office[1:]) == sorted(guard(n) for n in HOSTILE), "names stay text, never formulas"


def _office_text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Marker):
        return value.text
    return str(value)


def _normal(value: str) -> str:
    """Numbers compare as numbers ("62.5" is "62.50"); text as is."""
    try:
        return f"{Decimal(value):.4f}"
    except ArithmeticError:
        return value


# -- PDF -------------------------------------------------------------------------------------------


def test_pdf_is_a4_in_indonesian_formats(world, client, app):
    response = download(coordinator_client(client, world), world["cohort"].id, "pdf")
    assert response.mimetype == "application/pdf"
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(response.data))
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes[0] == (842, 595), "the recap is A4 landscape"
    assert sizes[-1] == (595, 842), "results sheets are A4 portrait"
    portrait = [i for i, size in enumerate(sizes) if size == (595, 842)]
    assert len(portrait) >= len(world["participants"]), "a sheet per participant"
    text = pdf_text(response.data)
    assert "83,33" in text and "83.33" not in text
    assert "3 Agustus 2026" in text and "20 November 2026" in text
    first = world["participants"][0]
    assert format_nip(first.profile.nip) in text


class Trap(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        Trap.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def trap():
    Trap.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_pdf_fetches_nothing_from_the_network_or_files(world, session, client, trap, monkeypatch):
    evil = (
        f'![peta]({trap}/peta.png)\n\n<img src="{trap}/raw.png">\n\n![passwd](file:///etc/passwd)\n\n'
        f'<img src="file:///etc/passwd">\n\n[tautan]({trap}/link)'
    )
    for grade in session.scalars(select(Grade)):
        grade.feedback = evil
    session.commit()
    seen: list[Any] = []
    pdf = renderer(client.application)
    real = pdf.fetcher

    def spy() -> Any:
        fetcher = real()
        seen.append(fetcher)
        return fetcher

    monkeypatch.setattr(pdf, "fetcher", spy)
    response = download(coordinator_client(client, world), world["cohort"].id, "pdf")
    assert response.data.startswith(b"%PDF")
    assert Trap.hits == [], "the PDF renderer fetched from the network"
    refused = seen[0].refused
    assert any(url.startswith(trap) for url in refused), refused
    assert not [u for u in seen[0].fetched if not u.startswith(PDF_BASE_URL)]
    assert any(u.endswith("/static/favicon.svg") for u in seen[0].fetched), "own static files still load"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/static/favicon.svg",
        "https://example.org/x.png",
        PDF_BASE_URL + "static/../../../../etc/passwd",
        PDF_BASE_URL + "static/%2e%2e/%2e%2e/etc/passwd",
        PDF_BASE_URL + "etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        PDF_BASE_URL + "static/nope.png",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(app, url):
    fetcher = renderer(app).fetcher()
    with pytest.raises(ValueError, match="refused"):
        fetcher(url)


def test_the_fetcher_serves_static_files(app):
    fetcher = renderer(app).fetcher()
    response = fetcher(PDF_BASE_URL + "static/favicon.svg")
    assert b"<svg" in response.read()
    assert response.content_type == "image/svg+xml"
    response.close()


# -- names, formats and the CLI -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "csv-id", "xlsx", "pdf"])
def test_file_names_carry_program_angkatan_and_date(world, client, fmt):
    response = download(coordinator_client(client, world), world["cohort"].id, fmt)
    disposition = response.headers["Content-Disposition"]
    cohort = world["cohort"]
    assert re.search(
        rf"filename=PKA_{cohort.name.replace(' ', '_')}_2026_\w+_\d{{4}}-\d\d-\d\d\.{EXTENSIONS.get(fmt, fmt)}",
        disposition,
    ), disposition
    assert response.headers["Cache-Control"] == "no-store"


def test_the_pdf_is_a_job_and_its_old_address_leads_to_the_button(world, client):
    response = coordinator_client(client, world).get(f"/cohorts/{world['cohort'].id}/results/export?format=pdf")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cohorts/{world['cohort'].id}/results#export-pdf-job")
    page = client.get(f"/cohorts/{world['cohort'].id}/results").get_data(as_text=True)
    assert 'id="export-pdf-job"' in page


def test_csv_is_streamed_and_large_cohorts_get_jobs(world, client, monkeypatch):
    coordinator_client(client, world)
    cohort_id = world["cohort"].id
    response = client.get(f"/cohorts/{cohort_id}/results/export?format=csv")
    assert response.is_streamed and response.headers["Cache-Control"] == "no-store"
    assert response.get_data().startswith("\ufeff".encode())
    page = client.get(f"/cohorts/{cohort_id}/results").get_data(as_text=True)
    assert 'id="download-csv"' in page and 'id="download-xlsx"' in page and 'id="export-xlsx-job"' not in page
    monkeypatch.setitem(INLINE_LIMIT, "xlsx", len(world["participants"]) - 1)
    page = client.get(f"/cohorts/{cohort_id}/results").get_data(as_text=True)
    assert 'id="download-csv"' in page and 'id="download-xlsx"' not in page and 'id="export-xlsx-job"' in page
    job = client.post(f"/cohorts/{cohort_id}/results/export", data={"format": "xlsx"})
    assert job.status_code == 303
    xlsx = client.get(job.headers["Location"].rstrip("/") + "/download")
    assert xlsx.status_code == 200 and xlsx.get_data().startswith(b"PK")
    xlsx.close()


def test_unknown_format_is_a_clear_400(world, client):
    response = coordinator_client(client, world).get(f"/cohorts/{world['cohort'].id}/results/export?format=docx")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="results-problem"' in page and "docx" in page.split('id="results-problem"')[1]
    assert client.get(f"/cohorts/{world['cohort'].id}/results/export").status_code == 400


def test_cli_export_writes_each_format(world, app, client, tmp_path):
    runner = app.test_cli_runner()
    cohort_id = world["cohort"].id
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"hasil.{fmt}"
        # --lang: the page speaks the default language; this test runs inside an English context.
        result = runner.invoke(args=["lms", "export", str(cohort_id), "--format", fmt, "-o", str(out), "--lang", "id"])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert (tmp_path / "hasil.pdf").read_bytes().startswith(b"%PDF")
    assert workbook((tmp_path / "hasil.xlsx").read_bytes()).worksheets[0]["A1"].value == "NIP"
    web = download(coordinator_client(client, world), cohort_id, "csv").data
    assert (tmp_path / "hasil.csv").read_bytes() == web, "the CLI and the page export the same file"


def test_cli_export_refuses_bad_input(world, app, tmp_path):
    runner = app.test_cli_runner()
    bad_format = runner.invoke(
        args=["lms", "export", str(world["cohort"].id), "--format", "docx", "-o", str(tmp_path / "x")]
    )
    assert bad_format.exit_code == 2 and "docx" in bad_format.output
    unknown = runner.invoke(args=["lms", "export", "999999", "--format", "csv", "-o", str(tmp_path / "x.csv")])
    assert unknown.exit_code == 1 and "no cohort has id 999999" in unknown.output


# -- everyone agrees on the demo cohort -------------------------------------------------------------


def test_screen_csv_xlsx_pdf_and_api_agree_on_the_demo_cohort(app, client):
    from lms import db
    from lms.api.services import create_token
    from lms.demo import ACCOUNTS

    ids = demo_with_results(app)
    with app.app_context():
        coordinator = db.session.get(User, ids["coordinator_id"])
        _token, secret = create_token(db.session, coordinator, "agreement", datetime.now(UTC))
        db.session.commit()
    marker = labels(app)

    api = client.get(
        f"/api/v1/cohorts/{ids['cohort_id']}/results", headers={"Authorization": f"Bearer {secret}"}
    ).get_json()
    n = len(api["assessments"])
    expected = {}
    for p in api["participants"]:
        scores = [f"{s['score']:.2f}" if s["status"] == "scored" else s["status"] for s in p["scores"]]
        final = f"{p['final_score']:.2f}" if p["complete"] else "incomplete"
        expected[p["nip"]] = (*scores, final, p["predicate"] or "", str(p["rank"] or ""))
    assert len(expected) == 25
    finals = [v[n] for v in expected.values() if v[n] != "incomplete"]
    assert len(finals) == 5 and len(set(finals)) == 4, "five complete participants, two tied"
    ranks = sorted(int(v[n + 2]) for v in expected.values() if v[n + 2])
    assert ranks == [1, 2, 2, 4, 5]

    email, _name, password = ACCOUNTS["coordinator"]
    client.post("/login", data={"email": email, "password": password})

    csv_rows = read_csv(download(client, ids["cohort_id"], "csv").data)
    from_csv = {r[0]: (*[marker.get(v, v) for v in r[5 : 5 + n + 1]], r[5 + n + 1], r[5 + n + 2]) for r in csv_rows[1:]}
    assert from_csv == expected

    sheet = workbook(download(client, ids["cohort_id"], "xlsx").data).worksheets[0]

    def xlsx_value(v: Any) -> str:
        if isinstance(v, int | float):
            return f"{Decimal(repr(v)):.2f}"
        return marker.get(v, v) if v is not None else ""

    from_xlsx = {}
    for r in sheet.iter_rows(min_row=2, values_only=True):
        from_xlsx[r[0]] = (
            *[xlsx_value(v) for v in r[5 : 5 + n + 1]],
            r[5 + n + 1] or "",
            str(r[5 + n + 2]) if r[5 + n + 2] is not None else "",
        )
    assert from_xlsx == expected

    html = client.get(f"/cohorts/{ids['cohort_id']}/results").get_data(as_text=True)
    aids = [a["id"] for a in api["assessments"]]
    from_screen = {}
    for row in screen_rows(html).values():
        cells = [row.get(f"a{a}:state") or row[f"a{a}"].replace(".", "").replace(",", ".") for a in aids]
        final = row.get("final:state") or row["final"].replace(".", "").replace(",", ".")
        from_screen[row["nip"].replace(" ", "")] = (*cells, final, row["predicate"], row["rank"])
    assert from_screen == expected

    pages = page_texts(download(client, ids["cohort_id"], "pdf").data)
    token = re.compile(r"\d{1,3}(?:\.\d{3})*,\d{2}|" + "|".join(re.escape(label) for label in marker))
    for nip, values in expected.items():
        sheet_text = next(text for text, portrait in pages if portrait and format_nip(nip) in text)
        found = [marker.get(t, t.replace(".", "").replace(",", ".")) for t in token.findall(sheet_text)][: n + 1]
        assert tuple(found) == values[: n + 1], (nip, found, values)
        if values[n + 1]:
            assert values[n + 1] in sheet_text


def test_criteria_sheet_numbers_attempts_where_several_are_allowed(ctx, session, make_cohort, client):
    from lms.assessments.models import Aggregation

    world = arrange(session, make_cohort, 1, weights=(1,), max_submissions=3, aggregation=Aggregation.BEST, best_n=2)
    (assessment,) = world["assessments"]
    for picks in ((0, 0), (3, 3), (1, 1)):
        give(session, world, assessment, 0, picks)
    book = workbook(download(coordinator_client(client, world), world["cohort"].id, "xlsx").data)
    lines = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [line[3] for line in lines] == [1, 1, 2, 2, 3, 3]
    assert [line[6] for line in lines] == [1, 1, 4, 4, 2, 2]


def test_the_pdf_is_rendered_in_parts_and_joined_with_running_page_numbers(world, client, monkeypatch):
    monkeypatch.setattr(as_pdf, "RECAP_ROWS", 2)
    monkeypatch.setattr(as_pdf, "SHEETS_PER_PART", 1)
    parts: list[int] = []
    real = as_pdf.pdf_parts

    def counted(*args: Any, **kwargs: Any) -> Any:
        for done, render in real(*args, **kwargs):
            parts.append(done)
            yield done, render

    monkeypatch.setattr(as_pdf, "pdf_parts", counted)
    data = download(coordinator_client(client, world), world["cohort"].id, "pdf").data
    people = len(world["participants"])
    assert parts == [0] * ((people + 1) // 2) + list(range(1, people + 1))
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    footers = [page.extract_text().split()[-1] for page in reader.pages]
    assert footers == [str(n) for n in range(1, len(reader.pages) + 1)], footers
    texts = [text for text, portrait in page_texts(data) if portrait]
    for person in world["participants"]:
        assert any(person.name in text for text in texts), person.name


# -- the rapor's letterhead, signature and progress (issue 14); parts laid out in parallel (issue 13)


def test_the_pdf_rapor_has_the_programs_letterhead_place_date_and_signatory(world, session, client, monkeypatch):
    from lms.certificates.services import save_template
    from lms.core.civil_service import format_nip
    from lms.jobs.models import Job

    cohort = session.get(Cohort, world["cohort"].id)
    save_template(
        session,
        cohort.program,
        letterhead="LEMBAGA ADMINISTRASI NEGARA\nJalan Veteran No. 10, Jakarta",
        number_pattern="{seq}/{program}/{year}",
        signer_name="Dr. Siti Rahmawati",
        signer_nip="197001012000032001",
        signer_position="Kepala Pusat Pelatihan",
        place="Jakarta",
    )
    session.commit()
    reports: list[int] = []
    real = as_pdf.write_pdf

    def watched(*args: Any, progress: Any = None, **kwargs: Any) -> int:
        def report(done: int, total: int) -> None:
            reports.append(done)
            progress(done, total)

        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr("lms.results.jobs.write_pdf", watched)
    monkeypatch.setattr(as_pdf, "SHEETS_PER_PART", 2)
    data = download(coordinator_client(client, world), world["cohort"].id, "pdf").data
    today = as_pdf.Formats("id").date(datetime.now(as_pdf.local_zone()).date())
    pages = page_texts(data)
    sheets = [text for text, portrait in pages if portrait]
    recap = [text for text, portrait in pages if not portrait]
    recap_end = recap[-1]
    for text in [sheets[0], recap[0]]:
        assert "LEMBAGA ADMINISTRASI NEGARA" in text and "Jalan Veteran No. 10, Jakarta" in text
    for text in [recap_end, *[t for t in sheets if "Dr. Siti" in t]]:
        assert f"Jakarta, {today}" in text and "Kepala Pusat Pelatihan" in text
        assert "Dr. Siti Rahmawati" in text and format_nip("197001012000032001") in text
    signed = [t for t in sheets if "Dr. Siti Rahmawati" in t]
    assert len(signed) == len(world["participants"]), "each peserta's sheet is signed"
    people = len(world["participants"])
    assert reports == [0] + list(range(2, people + 1, 2)) + ([people] if people % 2 else []), reports
    job = session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job.progress == 100 and job.status.value == "done"


def test_without_a_template_the_rapor_has_no_signature_block(world, client):
    pages = page_texts(download(coordinator_client(client, world), world["cohort"].id, "pdf").data)
    assert pages and not any("NIP 19" in text.split("Lembar hasil")[0] for text, _p in pages)


def test_parts_laid_out_by_worker_processes_make_the_same_pdf(world, session, app, monkeypatch):
    """The spawned workers render what the job's own process renders, page for page, in order."""
    monkeypatch.setattr(as_pdf, "SHEETS_PER_PART", 1)
    cohort = session.get(Cohort, world["cohort"].id)
    table = build_table(session, cohort)
    alone = io.BytesIO()
    as_pdf.write_pdf(session, table, alone, app=app, processes=0)
    seen: list[tuple[int, int]] = []
    together = io.BytesIO()
    pages = as_pdf.write_pdf(
        session, table, together, app=app, processes=2, progress=lambda done, n: seen.append((done, n))
    )
    people = len(world["participants"])
    assert seen == [(0, people)] + [(n, people) for n in range(1, people + 1)]
    assert [t for t, _p in page_texts(together.getvalue())] == [t for t, _p in page_texts(alone.getvalue())]
    assert pages == len(page_texts(alone.getvalue()))


def recap_runs(data: bytes) -> list[str]:
    """The text runs of the recap's (landscape) pages: WeasyPrint writes each line of each cell as
    its own run, so a word broken across lines comes out as two runs."""
    from pypdf import PdfReader

    runs: list[str] = []
    for page in PdfReader(io.BytesIO(data)).pages:
        if page.mediabox.width > page.mediabox.height:
            page.extract_text(visitor_text=lambda text, *_args: runs.append(text))
    return [run.strip() for run in runs if run.strip()]


def test_the_recap_headers_break_between_words_only_and_a_key_names_the_columns(ctx, session, make_cohort, app):
    """Issue 14: ~25 columns on a landscape page broke header words mid-word ("Keha"/"diran").
    Every header word is whole on one line; the lettered columns' full titles are in the key."""
    from lms.assessments.models import Assessment

    world = arrange(session, make_cohort, 2, weights=(1, 2, 3, 1, 2, 3, 1, 2, 3))
    cohort = session.get(Cohort, world["cohort"].id)
    cohort.program.show_rank = True
    for n, item in enumerate(world["assessments"], start=1):
        session.get(Assessment, item.id).title = f"Laporan kelompok Studi Lapangan: Pemerintah Kabupaten Contoh {n}"
    session.commit()
    give(session, world, world["assessments"][0], 0, (3, 3))
    table = build_table(session, cohort)
    out = io.BytesIO()
    as_pdf.write_pdf(session, table, out, app=app, processes=0)
    runs = recap_runs(out.getvalue())
    key = as_pdf.recap_key(table)
    headers = [_("Ranking"), _("Participant"), _("Final score"), _("Predicate"), _("Attendance"), _("Outcome")]
    codes = set(key.codes.values()) | {f"({weight_text(a.weight)})" for a in table.assessments}
    words = {word for header in headers for word in header.split()}
    # The table's head: from the line with its first cell to the line with the first row's name.
    start = next((i for i, run in enumerate(runs) if run.startswith(_("Ranking"))), None)
    assert start is not None, "the head's first word broken across lines"
    end = next(i for i, run in enumerate(runs) if run in {p.name for p in world["participants"]})
    head = [word for run in runs[start:end] for word in run.split()]
    assert head and not [word for word in head if word not in words | codes], "a header word broken across lines"
    assert words <= set(head), head
    text = " ".join(runs)
    for a in table.assessments:
        assert f"{key.codes[f'a{a.id}']} {a.title}" in text, ("the key holds each title whole", a.title)


def test_the_lean_user_agent_stylesheet_makes_the_same_pdf_as_weasyprints_own(app, monkeypatch):
    """lms.core.pdf gives WeasyPrint its user-agent stylesheet without the footnote and note rules
    (a quarter of a sheet's CPU, docs/pdf.md): the PDF stays the same, lists and their markers too."""
    from lms.core.pdf import lean_user_agent_css

    pdf = renderer(app)
    html = (
        "<h1>Lembar hasil</h1><p>Teks <b>tebal</b>, <i>miring</i>, <code>kode</code>.</p>"
        "<ul><li>satu</li><li>dua<ol><li>a</li><li>b</li></ol></li></ul>"
        "<table><thead><tr><th>Kriteria</th><th>Poin</th></tr></thead><tbody><tr><td>Bukti</td><td>4</td></tr></tbody></table>"
        "<dl><dt>NIP</dt><dd>19800303 200503 1 002</dd></dl><blockquote>kutipan</blockquote><hr>"
    )
    lean = pdf.render(html, stylesheets=(as_pdf.PDF_CSS,))
    assert hasattr(pdf.engine.HTML, "_ua_stylesheets"), "WeasyPrint no longer asks HTML for its stylesheet"
    assert "::footnote-call" in pdf.engine.html.UA and "::footnote-call" not in lean_user_agent_css(pdf.engine.html.UA)
    monkeypatch.setattr(pdf, "_html_class", pdf.engine.HTML)
    assert pdf.render(html, stylesheets=(as_pdf.PDF_CSS,)) == lean
