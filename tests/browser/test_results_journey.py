"""A coordinator opens the demo cohort's results, sees the charts and downloads the XLSX."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from lms.cohorts.models import Cohort
from lms.demo import ACCOUNTS
from lms.results.table import build_table
from tests.browser.fixtures import DESKTOP, PHONE, LiveServer
from tests.factories import demo_with_results

pytestmark = pytest.mark.browser


def log_in(page, live_server: LiveServer, key: str) -> None:
    email, _name, password = ACCOUNTS[key]
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_coordinator_sees_charts_and_downloads_the_xlsx(live_server, page, tmp_path):
    ids = demo_with_results(live_server.app)
    cohort_id = ids["cohort_id"]

    def expected(session):
        with live_server.app.test_request_context():
            table = build_table(session, session.get(Cohort, cohort_id))
            return {r.nip: (None if r.final is None else float(r.final), r.rank) for r in table.rows}, len(
                table.assessments
            )

    want, assessments = live_server.query(expected)

    log_in(page, live_server, "coordinator")
    page.goto(f"/cohorts/{cohort_id}")
    page.click(f"a[href='/cohorts/{cohort_id}/results']")
    page.wait_for_url(f"**/cohorts/{cohort_id}/results")

    # The charts are inline SVG, drawn without any script.
    final_chart = page.locator("svg#chart-final")
    final_chart.wait_for()
    assert final_chart.is_visible()
    assert final_chart.locator("g.bar").count() == 10
    assert sum(int(n) for n in final_chart.locator("g.bar").evaluate_all("bars => bars.map(b => b.dataset.count)")) == 5
    assert page.locator("svg#chart-predicates").is_visible()
    assert page.locator("svg[id^=chart-assessment-]").count() >= 2
    assert page.locator("table.criterion-averages svg.meter").count() > 0

    # The table: five ranked participants first, two of them tied.
    table = page.locator("table#results")
    ranks = [t.strip() for t in table.locator("tbody td.rank").all_inner_texts()]
    assert ranks[:5] == ["1", "2", "2", "4", "5"]
    assert all(r == "" for r in ranks[5:])

    # Sorting is a link: the page reloads sorted by name.
    table.locator("th a[data-sort=name]").click()
    page.wait_for_url(re.compile(r"sort=name"))
    names = table.locator("tbody td.name").all_inner_texts()
    assert names == sorted(names, key=str.casefold)

    # The XLSX download.
    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert re.fullmatch(r"PKA_Angkatan_XII_2026_\w+_\d{4}-\d\d-\d\d\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).worksheets[0]
    final_col = 5 + assessments  # NIP, name, agency, position, golongan, the assessments, then the final
    got = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        final = row[final_col]
        got[row[0]] = (final if isinstance(final, float | int) else None, row[final_col + 2])
    assert got == want

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the wide table scrolls inside its box, not the page"
    page.screenshot(path="/tmp/results-phone.png", full_page=False)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path="/tmp/results-desktop.png", full_page=True)
