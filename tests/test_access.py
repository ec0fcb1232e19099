"""Every endpoint declares who may use it, and the role matrix holds."""

import re as re_

import pytest

from lms.core.access import declared_rule, rule_names
from plugins.benchmarking.tests.test_mentors import ATTACKED_RULES as MENTOR_RULES
from plugins.benchmarking.tests.test_mentors import PUBLIC_BY_TOKEN as MENTOR_PUBLIC
from plugins.benchmarking.tests.test_reports_panel import ATTACKED_RULES as REPORT_RULES
from tests.support import login

# Endpoints that need no rule: Flask's static files, served without touching the database.
NO_RULE = {"static"}


def test_every_endpoint_declares_an_access_rule(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NO_RULE or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        declared = declared_rule(view)
        if declared is None or declared not in rule_names(app):
            missing.append(f"{rule.endpoint} ({rule.rule})")
    assert not missing, "endpoints without a declared access rule: " + ", ".join(missing)


@pytest.fixture
def world(make_user, make_cohort):
    """Two cohorts with their own people, an admin and a program manager of neither."""
    a = make_cohort(participants=2, instructors=1, name="Angkatan A")
    b = make_cohort(participants=2, instructors=1, name="Angkatan B")
    return {
        "a": a,
        "b": b,
        "admin": make_user(is_admin=True),
        "outsider": make_user(),
    }


def pages_of(cohort):
    pid = cohort.people["participants"][0].id
    return {
        "view": f"/cohorts/{cohort.id}",
        "participants": f"/cohorts/{cohort.id}/participants",
        "edit": f"/cohorts/{cohort.id}/edit",
        "roster": f"/cohorts/{cohort.id}/roster",
        "enrol": f"/cohorts/{cohort.id}/participants/new",
        "person": f"/users/{pid}",
    }


EXPECTED = {
    # who: {page: status}
    "participant_a": {"view": 200, "participants": 403, "edit": 403, "roster": 403, "enrol": 403, "person": 403},
    "instructor_a": {"view": 200, "participants": 200, "edit": 403, "roster": 403, "enrol": 403, "person": 200},
    "coordinator_a": {"view": 200, "participants": 200, "edit": 200, "roster": 200, "enrol": 200, "person": 200},
    "outsider": {"view": 403, "participants": 403, "edit": 403, "roster": 403, "enrol": 403, "person": 403},
    "admin": {"view": 200, "participants": 200, "edit": 200, "roster": 200, "enrol": 200, "person": 200},
}


def who(world, name):
    a = world["a"]
    return {
        "participant_a": a.people["participants"][1],
        "instructor_a": a.people["instructors"][0],
        "coordinator_a": a.people["coordinator"],
        "outsider": world["outsider"],
        "admin": world["admin"],
    }[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_role_matrix_on_own_cohort(client, world, name):
    login(client, who(world, name))
    for page, url in pages_of(world["a"]).items():
        expected = EXPECTED[name][page]
        if name == "participant_a" and page == "person":
            expected = 403  # another participant's profile
        assert client.get(url).status_code == expected, (name, page, url)


@pytest.mark.parametrize("name", ["participant_a", "instructor_a", "coordinator_a"])
def test_people_of_cohort_a_see_nothing_of_cohort_b(client, world, name):
    login(client, who(world, name))
    for page, url in pages_of(world["b"]).items():
        assert client.get(url).status_code == 403, (name, page, url)


def test_participant_sees_own_profile_only(client, world):
    me, other = world["a"].people["participants"]
    login(client, me)
    assert client.get(f"/users/{me.id}").status_code == 200
    assert client.get(f"/users/{other.id}").status_code == 403


def test_only_admins_manage_users(client, world):
    login(client, world["a"].people["coordinator"])
    assert client.get("/admin/users").status_code == 403
    client.post("/logout")
    login(client, world["admin"])
    assert client.get("/admin/users").status_code == 200


def test_dashboard_lists_only_own_cohorts(client, world):
    login(client, world["a"].people["instructors"][0])
    page = client.get("/").get_data(as_text=True)
    assert f"/cohorts/{world['a'].id}" in page
    assert f"/cohorts/{world['b'].id}" not in page


def test_unknown_ids_are_404_not_500(client, world):
    login(client, world["admin"])
    for url in ("/cohorts/999999", "/users/999999", "/programs/999999/edit", "/cohorts/999999/roster"):
        assert client.get(url).status_code == 404, url


def test_closed_cohort_is_read_only(client, world, session):
    from lms.cohorts.models import Cohort, CohortStatus

    cohort = session.get(Cohort, world["a"].id)
    cohort.status = CohortStatus.CLOSED
    session.commit()
    login(client, world["a"].people["coordinator"])
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.get(f"/cohorts/{cohort.id}/participants").status_code == 200
    for url in (f"/cohorts/{cohort.id}/edit", f"/cohorts/{cohort.id}/roster", f"/cohorts/{cohort.id}/participants/new"):
        assert client.get(url).status_code == 403, url
    # The coordinator can still reopen it.
    assert client.post(f"/cohorts/{cohort.id}/status", data={"status": "running"}).status_code == 302
    session.expire_all()
    assert session.get(Cohort, cohort.id).status == CohortStatus.RUNNING


def test_only_admins_issue_temporary_passwords(client, world):
    """A coordinator who could issue a temporary password could log in as the person (issue 10 #1)."""
    coordinator = world["a"].people["coordinator"]
    login(client, coordinator)
    mine = world["a"].people["participants"][0]
    theirs = world["b"].people["participants"][0]
    page = client.get(f"/users/{mine.id}").get_data(as_text=True)
    assert "reset-password" not in page
    for person in (mine, theirs, world["a"].people["instructors"][0]):
        assert client.post(f"/users/{person.id}/reset-password").status_code == 403
    client.post("/logout")
    login(client, world["admin"])
    response = client.post(f"/users/{mine.id}/reset-password")
    assert response.status_code == 200 and 'id="temp-password"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_every_final_result_endpoint_is_attacked_from_another_cohort(app):
    """The final-result and score-sheet endpoints (issue 15) are each tried by a coordinator and an
    instructor of another cohort and by a peserta in tests/test_scoresheets.py; a new endpoint
    missing from that list fails here."""
    import re

    from tests.test_scoresheets import ATTACKED_RULES

    endpoints = {
        r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith(("results_definitions.", "scoresheets."))
    }
    assert endpoints and {re.sub(r"<int:\w+>", "<id>", e) for e in endpoints} <= ATTACKED_RULES


def test_every_mentor_endpoint_is_attacked_and_only_the_token_page_is_public(app):
    """Mentors (issue 16) answer without an account: their page is public by token, like the
    invitation links, and attacked in plugins/benchmarking/tests/test_mentors.py with the endpoints
    that invite them; a new mentor endpoint missing from that list, or another public one, fails here."""
    import re

    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("benchmarking")]
    mentor = {re.sub(r"<int:\w+>", "<id>", r.rule) for r in rules if "mentor" in r.endpoint}
    assert mentor == MENTOR_RULES
    public = {r.rule for r in rules if declared_rule(app.view_functions[r.endpoint]) == "public"}
    assert {p for p in public if "mentor" in p} == MENTOR_PUBLIC


def test_every_report_and_seminar_endpoint_is_attacked(app):
    """Reports, the seminar panel and the host summary (issue 16) are attacked from another cohort,
    by a peserta and by staff off the panel in plugins/benchmarking/tests/test_reports_panel.py; a new
    endpoint of that module missing from its list fails here. None of them is public."""
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")
    module = "plugins.benchmarking.practice_views.reporting"
    rules = [r for r in app.url_map.iter_rules() if app.view_functions[r.endpoint].__module__ == module]
    assert {re_.sub(r"<int:\w+>", "<id>", r.rule) for r in rules} == REPORT_RULES
    assert all(declared_rule(app.view_functions[r.endpoint]) != "public" for r in rules)
