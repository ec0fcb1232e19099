"""A penyelenggara's day (issue 14), on a desktop (1366×768) and a phone: the results table shows the
final score and predicate without cutting them off, and ranks only when the program ranks."""

from __future__ import annotations

import pytest

from lms.cohorts.models import Cohort
from tests.browser.test_results_journey import log_in
from tests.factories import demo_with_results

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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_tick_people_and_move_them_to_a_visit_group(live_server, page, viewport):
    from sqlalchemy import select

    from plugins.benchmarking.models import GroupMember, VisitGroup

    if "benchmarking" not in live_server.app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")
    ids = demo_with_results(live_server.app)
    cohort_id = ids["cohort_id"]
    page.set_viewport_size(viewport)
    log_in(page, live_server, "coordinator")

    # The cohort's status follows its dates (the demo's are relative to today), and says so.
    page.goto(f"/cohorts/{cohort_id}")
    assert page.locator("#status-source").get_attribute("data-by-hand") == "false"
    assert page.locator("h1 .badge").get_attribute("data-status") == "running"

    page.goto(f"/cohorts/{cohort_id}/participants")
    boxes = page.locator("input[name=user_ids][form=bulk-form]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    ticked = boxes.evaluate_all("bs => bs.filter(b => b.checked).map(b => Number(b.value))")
    page.select_option("#bulk-action", "benchmarking.move_to_group")
    page.click("#bulk-continue")
    page.locator("#bulk-confirm").wait_for()
    assert page.locator("#bulk-people li").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    def last_group(session):
        return session.scalars(select(VisitGroup.id).order_by(VisitGroup.position.desc(), VisitGroup.id.desc())).first()

    target = live_server.query(last_group)
    page.select_option("#target", str(target))
    page.click("#bulk-do")
    page.wait_for_url(f"**/cohorts/{cohort_id}/participants")
    assert page.locator(".alert-success").count() == 1
    moved = live_server.query(
        lambda s: set(s.scalars(select(GroupMember.user_id).where(GroupMember.group_id == target)))
    )
    assert set(ticked) <= moved
