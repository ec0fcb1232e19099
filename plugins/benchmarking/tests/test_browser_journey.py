"""A coordinator adds a host, schedules a field visit and splits the cohort into groups; a
participant then finds the visit, their group, the briefing and the guiding questions."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from plugins.benchmarking.models import FieldVisit, GroupMember, Host, VisitGroup
from tests.browser.fixtures import DESKTOP, PHONE, LiveServer
from tests.support import FAST_HASH, PASSWORD

pytestmark = pytest.mark.browser


COORDINATOR = "koordinator@bpsdm.go.id"
HOST_NAME = "Pemerintah Kota Pontianak"
RECOGNITION = (
    "Kota dengan pelayanan publik terbaik — penghargaan Ombudsman RI, "
    "nilai kepatuhan **98,36**.\n\nInovasi: rumah sakit tanpa kelas."
)
THEME = "Inovasi pelayanan publik"
BRIEFING = "Kunjungan ke Balai Kota Pontianak. Tujuan: **mengadopsi dan mengadaptasi** keunggulan tuan rumah."
QUESTIONS = [
    "Inovasi apa yang membuat pelayanan Pontianak unggul?",
    "Apa yang dapat diadopsi di instansi Anda?",
]
# (NIP, name, email, instansi, unit): three agencies; the first one logs in later.
PEOPLE = [
    ("198609262015051001", "Siti Rahayu", "siti.rahayu@kalteng.go.id", "Pemprov Kalimantan Tengah", "Bappeda"),
    ("197903142006042003", "Budi Santoso", "budi.santoso@kalteng.go.id", "Pemprov Kalimantan Tengah", "BKD"),
    ("198204112008012002", "Yuni Kartika", "yuni.kartika@kalteng.go.id", "Pemprov Kalimantan Tengah", "Dinas PUPR"),
    ("198811052012121002", "Dewi Lestari", "dewi.lestari@kotim.go.id", "Pemkab Kotawaringin Timur", "Dinas Kesehatan"),
    ("199002172014031001", "Agus Wibowo", "agus.wibowo@kotim.go.id", "Pemkab Kotawaringin Timur", "Inspektorat"),
    ("198707072011011003", "Hendra Gunawan", "hendra.gunawan@kotim.go.id", "Pemkab Kotawaringin Timur", "Bapenda"),
    ("198512302010012004", "Rina Marlina", "rina.marlina@palangkaraya.go.id", "Pemko Palangka Raya", "Bapenda"),
    ("199103032015031002", "Fajar Nugroho", "fajar.nugroho@palangkaraya.go.id", "Pemko Palangka Raya", "Diskominfo"),
]
PARTICIPANT_EMAIL, PARTICIPANT_NAME = PEOPLE[0][2], PEOPLE[0][1]


def arrange(live_server: LiveServer) -> int:
    """A manager coordinating one cohort of eight participants; returns the cohort's id."""
    from lms import db
    from lms.auth.services import set_password
    from lms.cohorts import services as cohorts
    from lms.users.models import User
    from lms.users.services import find_by_email

    coordinator_id = live_server.create_user(COORDINATOR, "Koordinator Diklat", is_manager=True)
    with live_server.app.app_context():
        coordinator = db.session.get(User, coordinator_id)
        program = cohorts.save_program(db.session, None, code="PKA", name="Pelatihan Kepemimpinan Administrator")
        cohort = cohorts.save_cohort(
            db.session,
            None,
            program=program,
            actor=coordinator,
            name="Angkatan XII",
            year=date.today().year,
            start_date=date.today() - timedelta(days=14),
            end_date=date.today() + timedelta(days=90),
            location="Palangka Raya",
        )
        for nip, name, email, instansi, unit in PEOPLE:
            cohorts.enrol_participant(db.session, cohort, email=email, name=name, nip=nip, instansi=instansi, unit=unit)
        participant = find_by_email(db.session, PARTICIPANT_EMAIL)
        assert participant is not None
        set_password(participant, PASSWORD, FAST_HASH)
        db.session.commit()
        return cohort.id


def log_in(page, live_server: LiveServer, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def expected_message(live_server: LiveServer, message: str) -> str:
    """``message`` in the app's default language."""
    from flask_babel import gettext

    with live_server.app.test_request_context():
        return gettext(message)


def count(live_server: LiveServer, model) -> int:
    return live_server.query(lambda s: s.scalar(select(func.count()).select_from(model)))


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_coordinator_schedules_a_visit_and_participant_finds_their_group(live_server, page):
    cohort_id = arrange(live_server)
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    # -- the coordinator adds a host to the catalogue, from the menu -----------------------------
    log_in(page, live_server, COORDINATOR)
    page.click("#mainnav a[href='/benchmarking/hosts']")
    page.wait_for_url("**/benchmarking/hosts")
    page.click("main a[href='/benchmarking/hosts/new']")
    page.wait_for_url("**/benchmarking/hosts/new")
    page.fill("input[name=name]", HOST_NAME)
    page.select_option("select[name=kind]", "city")
    page.fill("input[name=region]", "Kalimantan Barat")
    page.fill("input[name=website]", "https://pontianak.go.id")
    page.fill("textarea[name=recognition]", RECOGNITION)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/benchmarking/hosts/\d+$"))
    host_id = int(page.url.rsplit("/", 1)[1])
    assert live_server.query(lambda s: s.get(Host, host_id).name) == HOST_NAME
    assert page.locator("main h1").inner_text().strip() == HOST_NAME
    bold = page.locator("main strong", has_text="98,36")
    assert bold.count() == 1, "the recognition's Markdown bold is rendered as <strong>"
    assert bold.inner_text().strip() == "98,36"
    assert "**" not in page.inner_text("main")

    # -- the cohort's visits tab: schedule a visit, first with the dates the wrong way round --------
    page.goto(f"/cohorts/{cohort_id}")
    page.click(f"main a[href='/benchmarking/cohorts/{cohort_id}/visits']")
    page.wait_for_url(f"**/benchmarking/cohorts/{cohort_id}/visits")
    page.click(f"main a[href='/benchmarking/cohorts/{cohort_id}/visits/new']")
    page.wait_for_url(f"**/benchmarking/cohorts/{cohort_id}/visits/new")
    start, end = date.today() + timedelta(days=7), date.today() + timedelta(days=8)
    page.select_option("select[name=host_id]", str(host_id))
    page.fill("input[name=theme]", THEME)
    page.fill("input[name=start_date]", start.isoformat())
    page.fill("input[name=end_date]", (start - timedelta(days=1)).isoformat())
    page.fill("input[name=location]", "Balai Kota Pontianak")
    page.fill("textarea[name=briefing]", BRIEFING)
    page.fill("textarea[name=guiding_questions]", "\n".join(QUESTIONS))
    with page.expect_navigation() as refused:
        page.click("main form button[type=submit]")
    assert refused.value.status == 422
    assert page.url.endswith(f"/benchmarking/cohorts/{cohort_id}/visits/new")
    end_input = page.locator("input[name=end_date]")
    assert "is-invalid" in (end_input.get_attribute("class") or "")
    error = page.locator("input[name=end_date] ~ .invalid-feedback")
    assert error.inner_text().strip() == expected_message(live_server, "The visit ends before it starts.")
    assert page.locator("main .alert-danger").count() == 1
    assert count(live_server, FieldVisit) == 0, "a refused form saves nothing"
    # What was typed is kept.
    assert page.input_value("input[name=theme]") == THEME
    assert page.input_value("select[name=host_id]") == str(host_id)
    assert page.input_value("textarea[name=guiding_questions]").splitlines() == QUESTIONS

    page.fill("input[name=end_date]", end.isoformat())
    # The practices' due date and the minimum a peserta logs are set with the visit (PKA: three).
    assert page.input_value("input[name=min_practices]") == "3"
    due = end + timedelta(days=10)
    page.fill("input[name=due_date]", due.isoformat())
    page.fill("input[name=min_practices]", "2")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/benchmarking/visits/\d+$"))
    visit_id = int(page.url.rsplit("/", 1)[1])
    saved = live_server.query(
        lambda s: (lambda v: (v.cohort_id, v.host_id, v.theme, v.start_date, v.end_date, v.questions))(
            s.get(FieldVisit, visit_id)
        )
    )
    assert saved == (cohort_id, host_id, THEME, start, end, QUESTIONS)
    assert live_server.query(
        lambda s: (s.get(FieldVisit, visit_id).due_date, s.get(FieldVisit, visit_id).min_practices)
    ) == (
        due,
        2,
    )
    assert count(live_server, FieldVisit) == 1

    # -- split the participants automatically into two groups ------------------------------------
    split = page.locator(f"form[action='/benchmarking/visits/{visit_id}/groups/split']")
    assert split.get_attribute("data-confirm") is None, "nothing to replace yet: no confirmation"
    assert page.locator("#groups").count() == 0
    split.locator("input[name=count]").fill("2")
    split.locator("button[type=submit]").click()
    page.wait_for_url(f"**/benchmarking/visits/{visit_id}")
    page.locator("#groups").wait_for()
    assert dialogs == []

    def check_groups() -> None:
        cards = page.locator("#groups section.card")
        assert cards.count() == 2
        sizes = []
        for i in range(2):
            card = cards.nth(i)
            sizes.append(card.locator("li").count())
            assert card.locator("h3 .badge").inner_text().strip() == str(sizes[-1])
            assert card.locator("li .badge.text-bg-primary").count() == 1, "each group has one leader"
        assert sum(sizes) == len(PEOPLE)
        assert max(sizes) - min(sizes) <= 1

    check_groups()
    # In the database too: every participant in exactly one group, each leader one of its members.
    groups = live_server.query(
        lambda s: [
            (g.leader_id, sorted(m.user_id for m in g.members))
            for g in s.scalars(select(VisitGroup).where(VisitGroup.visit_id == visit_id))
        ]
    )
    assert len(groups) == 2
    assert all(leader in members for leader, members in groups)
    assert count(live_server, GroupMember) == len(PEOPLE)

    # Splitting again replaces the groups, after a confirmation.
    split = page.locator(f"form[action='/benchmarking/visits/{visit_id}/groups/split']")
    assert split.get_attribute("data-confirm")
    split.locator("input[name=count]").fill("2")
    split.locator("button[type=submit]").click()
    page.wait_for_url(f"**/benchmarking/visits/{visit_id}")
    page.locator("#groups").wait_for()
    assert len(dialogs) == 1
    check_groups()
    page.screenshot(path="/tmp/visit.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.screenshot(path="/tmp/visit-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    # -- the participant logs in and finds the visit on the dashboard ----------------------------
    page.click("#mainnav .dropdown-toggle")
    page.click("#mainnav form[action='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(r"/(login)?(\?.*)?$"))
    page.goto("/")
    assert "/login" in page.url, "logged out"

    log_in(page, live_server, PARTICIPANT_EMAIL)
    my_group = live_server.query(
        lambda s: s.scalar(
            select(VisitGroup.name)
            .join(GroupMember, GroupMember.group_id == VisitGroup.id)
            .join(GroupMember.user)
            .where(GroupMember.visit_id == visit_id)
            .where(GroupMember.user.has(email=PARTICIPANT_EMAIL))
        )
    )
    assert my_group
    widget = page.locator("#next-visit")
    assert HOST_NAME in widget.inner_text()
    assert THEME in widget.inner_text()
    assert page.locator("#my-group strong").inner_text().strip() == my_group
    assert PARTICIPANT_NAME in widget.inner_text(), "the group's members are listed"

    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.screenshot(path="/tmp/dashboard-phone.png", full_page=True)

    page.click(f"#next-visit a[href='/benchmarking/visits/{visit_id}']")
    page.wait_for_url(f"**/benchmarking/visits/{visit_id}")
    main = page.locator("main")
    assert HOST_NAME in page.locator("main h1").inner_text()
    assert main.locator("strong", has_text="mengadopsi dan mengadaptasi").count() == 1
    assert "Kunjungan ke Balai Kota Pontianak" in main.inner_text()
    questions = main.locator("ol li")
    assert [questions.nth(i).inner_text().strip() for i in range(questions.count())] == QUESTIONS
    # A participant sees the groups but cannot change them.
    assert page.locator("#groups section.card").count() == 2
    assert page.locator(f"form[action='/benchmarking/visits/{visit_id}/groups/split']").count() == 0
    assert page.locator("#assign-groups").count() == 0
    assert_no_sideways_scroll(page)
