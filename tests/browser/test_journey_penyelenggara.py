"""A penyelenggara's day (issue 14), on a desktop (1366×768) and a phone: the results table shows the
final score and predicate without cutting them off, and ranks only when the program ranks."""

from __future__ import annotations

import pytest

from lms.cohorts.models import Cohort
from tests.browser.test_results_journey import log_in
from tests.test_results import demo_with_results

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def in_view(page, selector: str) -> bool:
    """Whether the element's box lies inside the viewport's width (horizontally nothing is cut)."""
    box = page.locator(selector).first.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_results_table_fits_1366_and_ranks_only_when_the_program_ranks(live_server, page):
    ids = demo_with_results(live_server.app)
    cohort_id = ids["cohort_id"]
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "coordinator")
    page.goto(f"/cohorts/{cohort_id}/results")
    table = page.locator("table#results")
    table.wait_for()
    # The final score and the predicate, header and cells, are in view at 1366 px without scrolling.
    for selector in ("th:has(a[data-sort=final])", "th:has(a[data-sort=predicate])", "td.final", "td.predicate"):
        assert in_view(page, f"table#results {selector}"), selector
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    # The demo PKA ranks its peserta; switched off, the column and the sort link are gone.
    assert table.locator("td.rank").count() > 0

    def no_rank(session):
        session.get(Cohort, cohort_id).program.show_rank = False
        session.commit()

    live_server.query(no_rank)
    page.reload()
    assert page.locator("table#results td.rank").count() == 0
    assert page.locator("table#results a[data-sort=rank]").count() == 0

    # On a phone the table scrolls inside its own region while the name column stays put.
    page.set_viewport_size(PHONE)
    page.reload()
    region = page.locator("div.table-responsive:has(table#results)")
    assert region.evaluate("r => r.scrollWidth > r.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    name = page.locator("table#results tbody td.name").first
    before = name.bounding_box()["x"]
    region.evaluate("r => { r.scrollLeft = 400; }")
    assert abs(name.bounding_box()["x"] - before) < 2, "the name column is sticky"
    assert in_view(page, "table#results tbody td.name")
