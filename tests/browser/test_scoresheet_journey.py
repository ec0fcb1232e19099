"""A widyaiswara scores conduct in the grid with the keyboard only: type, Enter moves down, the
arrow keys move across at the text's edge, Ctrl+S saves (under the strict CSP, the JS is a module)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.demo import ACCOUNTS, load_demo
from lms.scoresheets import services as sheets
from lms.scoresheets.models import SheetEntry
from tests.browser.fixtures import LiveServer

pytestmark = pytest.mark.browser


def _arrange(live_server: LiveServer) -> dict[str, Any]:
    from lms import db

    with live_server.app.app_context():
        demo = load_demo(db.session, live_server.app)
        cohort = db.session.get(Cohort, demo["cohort"].id)
        sheet = sheets.save_sheet(
            db.session,
            cohort,
            None,
            sheets.SheetData(
                title="Sikap perilaku",
                criteria=[sheets.CriterionData("Integritas"), sheets.CriterionData("Kerja sama")],
            ),
        )
        people = [pid for pid, _name, _nip in sheets.participants(db.session, cohort)]
        db.session.commit()
        return {
            "sheet_id": sheet.id,
            "criteria": [c.id for c in sheet.criteria],
            "people": people[:2],
            "instructor_id": demo["instructors"][0].id,
        }


def test_widyaiswara_scores_the_grid_with_the_keyboard(live_server, page):
    ids = _arrange(live_server)
    email, _name, password = ACCOUNTS["instructor"]
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"/score-sheets/{ids['sheet_id']}")
    first, second = ids["people"]
    c1, c2 = ids["criteria"]
    page.locator(f"input[name='s-{first}-{c1}']").click()
    page.keyboard.type("85,5")
    page.keyboard.press("Enter")  # down to the next peserta, same criterion
    page.keyboard.type("90")
    page.keyboard.press("ArrowRight")  # the caret is at the end: across to the next criterion
    page.keyboard.type("77")
    page.keyboard.press("ArrowUp")
    page.keyboard.type("80")
    page.keyboard.press("Control+s")
    page.wait_for_url(f"**/score-sheets/{ids['sheet_id']}?**")
    assert page.locator(".alert-success").count() == 1

    def stored(session: Any) -> dict[tuple[int, int], Decimal]:
        return {
            (e.participant_id, e.criterion_id): e.score
            for e in session.scalars(
                select(SheetEntry).where(
                    SheetEntry.observer_id == ids["instructor_id"], SheetEntry.sheet_id == ids["sheet_id"]
                )
            )
        }

    assert live_server.query(stored) == {
        (first, c1): Decimal("85.50"),
        (second, c1): Decimal("90.00"),
        (second, c2): Decimal("77.00"),
        (first, c2): Decimal("80.00"),
    }
    assert page.locator(f"input[name='s-{second}-{c2}']").input_value() == "77.00"
