"""axe-core on every page of the url map, for every role, on a desktop and a phone: zero violations.

The pages come from ``app.url_map`` (GET routes), their ids from the demo world (``flask lms demo``'s
data). A page a role may not open is still checked once as the error page it gets; what is not HTML
(exports, files, JSON) is left out by its Content-Type. axe-core is the copy bundled in
``axe-playwright-python`` (injected from the local file, never a CDN).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import text

from lms.demo import ACCOUNTS
from tests.browser.fixtures import LiveServer
from tests.browser.test_results_journey import log_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ROLES = ["admin", "coordinator", "instructor", "participant", "anonymous"]

# Endpoints whose answer is never a page of their own (and that would trigger a download or an
# action in the browser): left out before the request. Everything else that answers non-HTML is
# left out by its Content-Type.
NOT_PAGES = {
    "static",
    "ops.healthz",
    "ops.readyz",
    "ops.prometheus_metrics",
    "scoresheets.worksheet_file",
    "benchmarking_practices.download",
    "benchmarking_practices.thumbnail",
    "benchmarking_practices.host_summary_pdf",  # a PDF download
    "benchmarking_practices.mentor_file",  # a file a mentor downloads through their link
    "benchmarking_practices.write_individual",  # a redirect to My practices (checked itself)
}

# The id each URL argument gets, as a query on the demo world; ``:me`` is the role's own user id
# (0 when anonymous) so that a participant opens their own work where there is some.
IDS: dict[str, str] = {
    "cohort_id": "SELECT min(id) FROM cohorts",
    "program_id": "SELECT min(id) FROM programs",
    "user_id": "SELECT id FROM users WHERE email = 'peserta@tolok.example'",
    "rubric_id": "SELECT min(id) FROM rubrics",
    "assessment_id": "SELECT min(id) FROM assessments WHERE kind = 'reflection'",
    "submission_id": (
        "SELECT s.id FROM submissions s JOIN assessments a ON a.id = s.assessment_id "
        "WHERE a.kind = 'reflection' ORDER BY s.participant_id = :me DESC, s.id LIMIT 1"
    ),
    "job_id": "SELECT id FROM jobs ORDER BY owner_id = :me DESC, id LIMIT 1",
    "host_id": "SELECT min(id) FROM benchmarking_hosts",
    "lokus_id": "SELECT min(id) FROM benchmarking_lokus",
    "visit_id": "SELECT min(id) FROM benchmarking_visits",
    "group_id": (
        "SELECT g.id FROM benchmarking_groups g LEFT JOIN benchmarking_group_members m "
        "ON m.group_id = g.id AND m.user_id = :me ORDER BY m.user_id IS NOT NULL DESC, g.id LIMIT 1"
    ),
    "practice_id": "SELECT id FROM benchmarking_practices ORDER BY participant_id = :me DESC, id LIMIT 1",
    "round_id": "SELECT min(id) FROM benchmarking_followup_rounds",
    "session_id": "SELECT min(id) FROM benchmarking_seminar_sessions",
    "class_session_id": "SELECT min(id) FROM attendance_sessions",
    "sheet_id": "SELECT min(id) FROM score_sheets",
    "certificate_id": "SELECT id FROM certificates ORDER BY participant_id = :me DESC, id LIMIT 1",
    "code": "SELECT code FROM certificates ORDER BY id LIMIT 1",
}
# Endpoints whose argument means something narrower than the name says.
ENDPOINT_IDS: dict[str, dict[str, str]] = {
    "benchmarking_practices.write_practice": {
        "assessment_id": "SELECT min(id) FROM assessments WHERE kind = 'benchmarking.practice'"
    },
    "benchmarking_practices.write_report": {
        "assessment_id": "SELECT min(id) FROM assessments WHERE kind = 'benchmarking.report'"
    },
}


def demo_world(live_server: LiveServer) -> dict[str, Any]:
    """The demo's data, a queued job per account and the tokens of the token pages."""
    from lms import db
    from lms.demo import load_demo
    from lms.invitations.services import INVITATION, RESET, make_token
    from lms.jobs.models import Job
    from lms.users.models import User

    app = live_server.app
    with app.app_context(), app.test_request_context():
        demo = load_demo(db.session, app)
        now = datetime.now(UTC)
        for key in ("admin", "coordinator", "instructor", "participant"):
            user = db.session.query(User).filter_by(email=ACCOUNTS[key][0]).one()
            db.session.add(Job(kind="results_export", owner_id=user.id, params={}, created_at=now))
        _timetable_and_score_sheet(db.session, demo)
        newcomer = demo["instructors"][1]  # an account without a password yet: an invitation
        tokens = {
            "invitations.activate": make_token(newcomer, INVITATION),
            "invitations.reset": make_token(demo["participants"][0], RESET),
        }
        if "benchmarking_practices.mentor" in app.view_functions:
            tokens["benchmarking_practices.mentor"] = _mentor_link(db.session, demo)
        db.session.commit()
    return {"tokens": tokens}


def _timetable_and_score_sheet(session: Any, demo: dict[str, Any]) -> None:
    """A timetable session, a score sheet and a certificate, for their pages, where the demo has none."""
    from lms.attendance.models import ClassSession
    from lms.attendance.services import save_session
    from lms.certificates.models import Certificate
    from lms.scoresheets.models import ScoreSheet
    from lms.scoresheets.services import CriterionData, SheetData, save_sheet

    cohort = demo["cohort"]
    if session.query(ClassSession).count() == 0:
        save_session(
            session,
            cohort,
            None,
            day=cohort.start_date,
            starts_at=time(8),
            ends_at=time(9, 30),
            jp=2,
            topic="Kepemimpinan kolaboratif",
            instructor_id=demo["instructors"][0].id,
        )
    if session.query(ScoreSheet).count() == 0:
        save_sheet(
            session,
            cohort,
            None,
            SheetData(
                title="Seminar rancangan aksi perubahan",
                criteria=[CriterionData("Substansi"), CriterionData("Penyajian")],
            ),
        )
    if session.query(Certificate).count() == 0:
        person = demo["participants"][0]
        session.add(
            Certificate(
                cohort_id=cohort.id,
                participant_id=person.id,
                seq=1,
                number="001/PKA/XII/2026",
                code="AXE0TEST",
                name=person.name,
                nip=person.profile.nip,
                program_name=cohort.program.name,
                angkatan=cohort.name,
                issued_on=cohort.end_date,
            )
        )


def _mentor_link(session: Any, demo: dict[str, Any]) -> str:
    """A mentor's signed link to the demo's follow-up round (the benchmarking plugin's page)."""
    from plugins.benchmarking import mentors
    from plugins.benchmarking.models import FollowupRound

    round_ = session.query(FollowupRound).order_by(FollowupRound.id).first()
    person = demo["participants"][0]
    now = datetime.now(UTC)
    mentor = mentors.invite(
        session,
        round_,
        person.id,
        person,
        name="Ir. Hendra Gunawan, M.T.",
        nip="",
        position="Kepala Dinas",
        email="atasan@tolok.example",
        today=round_.opens_on,
        now=now,
    )
    return mentors.link_for(mentor, round_)


def page_urls(live_server: LiveServer, me: int, tokens: dict[str, str]) -> list[str]:
    """Every GET route of the url map with its ids filled in for a user (0: anonymous)."""
    from lms import db

    app = live_server.app
    urls = []
    missing = []
    with app.app_context():
        adapter = app.url_map.bind("localhost")
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES or rule.endpoint.endswith(".static"):
                continue
            values: dict[str, Any] = {}
            for argument in rule.arguments:
                if argument == "token":
                    if rule.endpoint not in tokens:
                        missing.append(f"{rule.endpoint}: a token (demo_world)")
                    else:
                        values[argument] = tokens[rule.endpoint]
                    continue
                query = ENDPOINT_IDS.get(rule.endpoint, {}).get(argument) or IDS.get(argument)
                if query is None:
                    missing.append(f"{rule.endpoint}: {argument}")
                    continue
                values[argument] = db.session.execute(text(query), {"me": me}).scalar()
            if any(v is None for v in values.values()) or len(values) < len(rule.arguments):
                missing.append(f"{rule.endpoint}: no object for {rule.arguments}")
                continue
            urls.append(adapter.build(rule.endpoint, values))
    assert not missing, "add the ids (IDS) or demo data for: " + "; ".join(missing)
    return urls


# axe-core is loaded as a same-origin script (the strict CSP allows 'self'), answered by the
# browser from the bundled file: Chromium caches its compiled code, where evaluating the 570 kB
# source on every page cost half a second a time.
AXE_URL = "/__axe__/axe.min.js"


def violations_of(page: Any, where: str) -> list[str]:
    """axe's violations on the page as it is now (the script is loaded once per document)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    found = []
    for violation in page.evaluate("axe.run({resultTypes: ['violations']})")["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        found.append(f"{where}: {violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes: {targets})")
    return found


@pytest.fixture
def role_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[[], Any]]:
    contexts = []

    def make() -> Any:
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="id-ID")
        context.set_default_timeout(15_000)
        context.route(
            f"**{AXE_URL}",
            lambda route: route.fulfill(
                body=AXE_SCRIPT, content_type="text/javascript", headers={"Cache-Control": "max-age=3600"}
            ),
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# What each (URL, main content) already had checked by an earlier role: admin and penyelenggara see
# most pages alike, and the menu around them is checked on every other page anyway.
_CHECKED: set[tuple[str, int]] = set()


def main_content(html: str) -> int:
    start, end = html.find("<main"), html.rfind("</main>")
    return hash(re.sub(r'name="csrf_token" value="[^"]*"', "", html[start:end]))


@pytest.mark.parametrize("role", ROLES)
def test_no_axe_violation_on_any_page(role, live_server, role_page):
    world = demo_world(live_server)
    page = role_page()
    me = 0
    if role != "anonymous":
        log_in(page, live_server, role)
        me = live_server.query(
            lambda s: s.execute(text("SELECT id FROM users WHERE email = :e"), {"e": ACCOUNTS[role][0]}).scalar()
        )
    seen: set[str] = set()
    checked = 0
    problems: list[str] = []
    server_errors: list[str] = []
    for url in page_urls(live_server, me, world["tokens"]):
        page.set_viewport_size(DESKTOP)
        try:
            answer = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue
            raise
        if answer.status >= 500:
            server_errors.append(f"{answer.status} {url}")
            continue
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        # One check per distinct page: every refusal of a kind and every redirect to the login
        # page is the same page.
        key = f"status {answer.status}" if answer.status >= 400 else page.url.split("?")[0]
        content = (key, main_content(page.content()))
        if key in seen or content in _CHECKED:
            continue
        seen.add(key)
        _CHECKED.add(content)
        checked += 1
        current = page.locator("#mainnav [aria-current], .nav-tabs [aria-current]").count()
        active = page.locator("#mainnav .nav-link.active").count()
        if current > 1 or active > 1:
            problems.append(f"{role} {url}: {current} menu entries with aria-current, {active} marked active")
        problems += violations_of(page, f"{role} desktop {url}")
        page.set_viewport_size(PHONE)
        problems += violations_of(page, f"{role} phone {url}")
    print(f"{role}: {checked} pages checked, {len(problems)} violations")
    assert not server_errors, server_errors
    assert checked >= 3
    assert not problems, f"{len(problems)} axe violations:\n" + "\n".join(problems)
