"""A coordinator creates a cohort and imports its roster, fixing a bad row on the way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Cohort, Membership, Role
from lms.core.civil_service import NipError, validate_nip
from lms.users.models import User
from tests.browser.fixtures import DESKTOP, PHONE, LiveServer
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

HEADER = "nip,nama,surel,instansi,unit kerja,jabatan,pangkat/golongan"
PEOPLE = [
    (
        "198609262015051001",
        "Siti Rahayu",
        "siti.rahayu@kalteng.go.id",
        "Pemprov Kalimantan Tengah",
        "Bappeda",
        "Kepala Bidang",
        "III/d",
    ),
    (
        "197903142006042003",
        "Budi Santoso",
        "budi.santoso@kalteng.go.id",
        "Pemprov Kalimantan Tengah",
        "BKD",
        "Kepala Bagian",
        "IV/a",
    ),
    (
        "198811052012121002",
        "Dewi Lestari",
        "dewi.lestari@kalteng.go.id",
        "Pemkab Kotawaringin Barat",
        "Dinas Kesehatan",
        "Kepala Seksi",
        "III/c",
    ),
    (
        "199002172014031001",
        "Agus Wibowo",
        "agus.wibowo@kalteng.go.id",
        "Pemkab Kapuas",
        "Inspektorat",
        "Auditor Muda",
        "III/b",
    ),
    (
        "198512302010012004",
        "Rina Marlina",
        "rina.marlina@kalteng.go.id",
        "Pemko Palangka Raya",
        "Bapenda",
        "Kepala Subbagian",
        "III/c",
    ),
]
# Agus's row with the sex digit (15th) typed as 3: the file's row 5 (the header is row 1).
BAD_ROW, BAD_NIP = 5, "199002172014033001"


def roster_csv(path: Path, bad: bool) -> Path:
    lines = [HEADER]
    for person in PEOPLE:
        nip = BAD_NIP if bad and person[1] == "Agus Wibowo" else person[0]
        lines.append(",".join((nip, *person[1:])))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def expected_nip_error(live_server: LiveServer, nip: str) -> str:
    """The message the app gives for this NIP, in the app's default language."""
    with live_server.app.test_request_context():
        with pytest.raises(NipError) as caught:
            validate_nip(nip)
        return str(caught.value.args[0])


def participant_count(live_server: LiveServer, cohort_id: int) -> int:
    return live_server.query(
        lambda s: s.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.cohort_id == cohort_id, Membership.role == Role.PARTICIPANT)
        )
    )


def assert_no_sideways_scroll(page) -> None:
    """The page itself fits the phone; wide tables scroll inside their .table-responsive box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_coordinator_imports_a_roster_after_fixing_a_bad_row(live_server, page, tmp_path):
    live_server.create_user("koordinator@bpsdm.go.id", "Koordinator Diklat", is_manager=True)

    # Log in through the real form (CSRF token and all).
    page.goto("/login")
    page.fill("input[name=email]", "koordinator@bpsdm.go.id")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # Programs, from the menu; create the program when there is none.
    page.click("#mainnav a[href='/programs']")
    page.wait_for_url("**/programs")
    if page.locator("a[href$='/cohorts/new']").count() == 0:
        page.click("a[href='/programs/new']")
        page.fill("input[name=code]", "PKA")
        page.fill("input[name=name]", "Pelatihan Kepemimpinan Administrator")
        assert page.input_value("textarea[name=bands]").strip(), "the predicate bands come pre-filled"
        page.click("main form button[type=submit]")
        page.wait_for_url("**/programs")

    # A cohort, through the form.
    page.click("a[href$='/cohorts/new']")
    page.fill("input[name=name]", "Angkatan XII")
    page.fill("input[name=year]", "2026")
    page.fill("input[name=start_date]", "2026-08-03")
    page.fill("input[name=end_date]", "2026-11-20")
    page.fill("input[name=location]", "Palangka Raya")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/cohorts/\d+$"))
    cohort_id = int(page.url.rsplit("/", 1)[1])
    cohort_name = live_server.query(lambda s: s.get(Cohort, cohort_id).name)
    assert cohort_name == "Angkatan XII"

    # Import roster: a file with one bad NIP is refused as a whole, naming the row and the reason.
    page.click(f"a[href='/cohorts/{cohort_id}/roster']")
    page.set_input_files("input[name=file]", roster_csv(tmp_path / "peserta.csv", bad=True))
    page.click("main form[enctype='multipart/form-data'] button[type=submit]")
    page.locator("#roster-errors").wait_for()
    error_rows = page.locator("#roster-error-rows tbody tr")
    assert error_rows.count() == 1
    cells = error_rows.first.locator("td")
    assert cells.nth(0).inner_text().strip() == str(BAD_ROW)
    assert cells.nth(1).inner_text().replace(" ", "").strip() == BAD_NIP
    assert cells.nth(2).inner_text().strip() == "Agus Wibowo"
    assert cells.nth(3).inner_text().strip() == expected_nip_error(live_server, BAD_NIP)
    assert "1" in page.inner_text("#roster-errors")
    assert page.locator(f"form[action='/cohorts/{cohort_id}/roster/import']").count() == 0
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.screenshot(path="/tmp/roster-error.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    # Nothing was saved: no participant enrolled, no account created.
    assert participant_count(live_server, cohort_id) == 0
    assert live_server.query(lambda s: s.scalar(select(func.count()).select_from(User))) == 1

    # The corrected file, uploaded from the preview page itself.
    page.set_input_files("input[name=file]", roster_csv(tmp_path / "peserta.csv", bad=False))
    page.click("main form[enctype='multipart/form-data'] button[type=submit]")
    import_form = page.locator(f"form[action='/cohorts/{cohort_id}/roster/import']")
    import_form.wait_for()
    assert page.locator("#roster-errors").count() == 0
    assert participant_count(live_server, cohort_id) == 0, "the preview alone saves nothing"
    import_form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cohorts/{cohort_id}/participants")

    table = page.locator("#participants")
    table.wait_for()
    text = table.inner_text()
    for _nip, name, email, *_rest in PEOPLE:
        assert name in text
        assert email in text
    assert table.locator("tbody tr").count() == len(PEOPLE)
    siti = table.locator("tbody tr", has_text="Siti Rahayu")
    assert siti.locator("td.nip").inner_text().strip() == "19860926 201505 1 001"
    assert participant_count(live_server, cohort_id) == len(PEOPLE)

    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.screenshot(path="/tmp/participants-phone.png", full_page=True)
