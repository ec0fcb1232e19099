"""The read-only API: tokens (profile page and CLI), bearer authentication, who sees which cohort,
the results document, the OpenAPI 3.1 description, and fixed query counts."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from lms.api import services as tokens
from lms.api.models import ApiToken
from lms.api.openapi import document
from lms.plugins.manager import get_plugin_manager
from lms.users.models import User
from tests.factories import graded_world
from tests.support import count_queries, login


@pytest.fixture
def world(ctx, session, make_cohort):
    return graded_world(session, make_cohort)


def token_for(session: Any, person: Any, name: str = "tes") -> str:
    _token, secret = tokens.create_token(session, session.get(User, person.id), name, datetime.now(UTC))
    session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# -- tokens on the profile page -------------------------------------------------------------------


def test_token_is_created_on_ones_profile_shown_once_and_stored_hashed(client, session, make_user):
    me = make_user()
    login(client, me)
    page = client.get(f"/users/{me.id}").get_data(as_text=True)
    assert 'id="token-form"' in page and 'id="new-token"' not in page
    response = client.post("/account/tokens", data={"name": "Dasbor BPSDM"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert secret.startswith("tolok_") and len(secret) > 40
    stored = session.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.token_hash, stored.prefix, stored.name}
    again = client.get(f"/users/{me.id}").get_data(as_text=True)
    assert secret not in again and "Dasbor BPSDM" in again and f"{stored.prefix}…" in again
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 200


def test_token_needs_a_name(client, make_user, session):
    me = make_user()
    login(client, me)
    response = client.post("/account/tokens", data={"name": "  "})
    assert response.status_code == 422
    assert session.scalar(select(ApiToken)) is None


def test_no_token_section_on_someone_elses_profile(client, world):
    login(client, world["cohort"].people["coordinator"])
    page = client.get(f"/users/{world['participants'][0].id}").get_data(as_text=True)
    assert 'id="api-tokens"' not in page


def test_revoked_on_the_profile_page_it_stops_working(client, session, make_user):
    me = make_user()
    secret = token_for(session, me)
    token = session.scalar(select(ApiToken))
    login(client, me)
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 200
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    refused = client.get("/api/v1/cohorts", headers=bearer(secret))
    assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_token"
    page = client.get(f"/users/{me.id}").get_data(as_text=True)
    assert f'data-token="{token.id}" class="text-muted"' in page
    assert f"/account/tokens/{token.id}/revoke" not in page, "nothing left to revoke"
    again = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert again.status_code == 200


def test_nobody_revokes_another_persons_token(client, session, make_user):
    owner, other = make_user(), make_user()
    token_for(session, owner)
    token = session.scalar(select(ApiToken))
    login(client, other)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 403
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is None


def test_cli_creates_a_token_printed_last_and_revokes_it(app, client, session, make_user):
    me = make_user(email="kepala@bpsdm.go.id")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "token", "create", "--email", "Kepala@BPSDM.go.id", "--name", "rekap"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 200
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    assert token.name == "rekap"
    revoked = runner.invoke(args=["lms", "token", "revoke", str(token.id)])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 401
    unknown = runner.invoke(args=["lms", "token", "create", "--email", "nobody@example.go.id"])
    assert unknown.exit_code == 1 and "no account" in unknown.output


# -- authentication --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer tolok_bogus",
        "Bearer not-even-ours",
        "Token tolok_x",
    ],
)
def test_missing_or_bogus_tokens_are_401_json(client, header, world):
    headers = {"Authorization": header} if header is not None else {}
    for url in ("/api/v1/cohorts", f"/api/v1/cohorts/{world['cohort'].id}/results"):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, (url, header)
        body = response.get_json()
        assert body["error"] in {"missing_token", "invalid_token"} and body["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Set-Cookie" not in response.headers


def test_a_deactivated_users_token_is_refused(client, session, make_user):
    me = make_user()
    secret = token_for(session, me)
    session.get(User, me.id).active = False
    session.commit()
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 401


def test_a_logged_in_browser_session_is_not_an_api_token(client, world):
    login(client, world["cohort"].people["coordinator"])
    assert client.get("/api/v1/cohorts").status_code == 401
    assert client.get(f"/api/v1/cohorts/{world['cohort'].id}/results").status_code == 401


def test_the_api_is_csrf_exempt_and_works_with_csrf_on(app_factory, session, make_user):
    from lms.extensions import csrf

    app = app_factory(CSRF_ENABLED=True)
    assert "api" in {getattr(b, "name", b) for b in csrf._exempt_blueprints}
    me = make_user()
    secret = token_for(session, me)
    assert app.test_client().get("/api/v1/cohorts", headers=bearer(secret)).status_code == 200


def test_use_is_recorded_without_a_write_per_request(client, session, make_user):
    me = make_user()
    secret = token_for(session, me)
    client.get("/api/v1/cohorts", headers=bearer(secret))
    session.expire_all()
    first = session.scalar(select(ApiToken)).last_used_at
    assert first is not None
    client.get("/api/v1/cohorts", headers=bearer(secret))
    session.expire_all()
    assert session.scalar(select(ApiToken)).last_used_at == first


# -- what a token may see ---------------------------------------------------------------------------


def test_cohorts_lists_what_the_user_may_see(client, session, world, make_cohort, make_user):
    other = make_cohort(participants=1, instructors=1, name="Angkatan Lain")
    cohort = world["cohort"]
    cases = {
        "coordinator": (cohort.people["coordinator"], {cohort.id: True}),
        "participant": (world["participants"][0], {cohort.id: False}),
        "outsider": (make_user(), {}),
        "admin": (make_user(is_admin=True), {cohort.id: True, other.id: True}),
    }
    for name, (person, expected) in cases.items():
        body = client.get("/api/v1/cohorts", headers=bearer(token_for(session, person))).get_json()
        assert {c["id"]: c["results_available"] for c in body["cohorts"]} == expected, name
    body = client.get("/api/v1/cohorts", headers=bearer(token_for(session, cases["participant"][0]))).get_json()
    assert body["cohorts"][0]["roles"] == ["participant"] and body["cohorts"][0]["program"]["code"] == "PKA"


def test_results_for_staff_403_for_others_404_for_unknown(client, session, world, make_user):
    cohort = world["cohort"]
    url = f"/api/v1/cohorts/{cohort.id}/results"
    for person in (cohort.people["coordinator"], cohort.people["instructors"][0], make_user(is_admin=True)):
        response = client.get(url, headers=bearer(token_for(session, person)))
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store" and "Authorization" in response.headers["Vary"]
    for person in (world["participants"][0], make_user()):
        response = client.get(url, headers=bearer(token_for(session, person)))
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    coordinator = bearer(token_for(session, cohort.people["coordinator"]))
    missing = client.get("/api/v1/cohorts/999999/results", headers=coordinator)
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_results_document_numbers(client, session, world):
    cohort = world["cohort"]
    body = client.get(
        f"/api/v1/cohorts/{cohort.id}/results", headers=bearer(token_for(session, cohort.people["coordinator"]))
    ).get_json()
    assert [a["weight"] for a in body["assessments"]] == [1, 2, 0]
    people = {p["id"]: p for p in body["participants"]}
    p = [u.id for u in world["participants"]]
    assert people[p[0]]["final_score"] == 83.33 and people[p[0]]["rank"] == 1
    assert people[p[0]]["predicate"] == "Memuaskan" and people[p[0]]["complete"] is True
    assert [s["score"] for s in people[p[0]]["scores"]] == [100.0, 75.0, 25.0]
    assert people[p[1]]["rank"] == people[p[2]]["rank"] == 2
    waiting = people[p[3]]
    assert [s["status"] for s in waiting["scores"]] == ["not_graded", "not_graded", "not_submitted"]
    assert [s["score"] for s in waiting["scores"]] == [None, None, None], "missing work is null, never 0"
    assert waiting["final_score"] is None and waiting["rank"] is None and waiting["predicate"] is None
    assert body["participants"][0]["id"] == p[0], "ranked first"
    assert people[p[0]]["nip"] == world["participants"][0].profile.nip


# -- the OpenAPI document ---------------------------------------------------------------------------


def test_openapi_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    try:
        from openapi_spec_validator import validate
        from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator
    except ImportError:  # pragma: no cover - the structural check below still runs
        pytest.skip("openapi-spec-validator is not installed")
    validate(spec, cls=OpenAPIV31SpecValidator)
    core = {"/cohorts", "/cohorts/{cohort_id}/results", "/openapi.json"}
    assert core <= set(spec["paths"])  # the rest is the plugins' (lms_api_paths), each tested by its plugin
    assert set(spec["paths"]) - core == set(document(app_plugin_paths(client))["paths"]) - core
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def app_plugin_paths(client: Any) -> list[Any]:
    return get_plugin_manager(client.application).hook.lms_api_paths()


def test_the_documented_routes_are_the_real_ones(app):
    """Every rule under /api/v1, the core's and the plugins', is in the document, and nothing else."""
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    paths = document(get_plugin_manager(app).hook.lms_api_paths())["paths"]
    documented = {"/api/v1" + re.sub(r"\{(\w+)\}", r"<int:\1>", path) for path in paths}
    assert api_rules == documented


def schema_validator(name: str) -> Any:
    """A JSON Schema 2020-12 validator for one of the document's schemas (OpenAPI 3.1 schemas are
    JSON Schema), resolving its $refs inside the document."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        "urn:tolok-api", Resource.from_contents(document(), default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"urn:tolok-api#/components/schemas/{name}"}, registry=registry)


def test_responses_match_their_schemas(client, session, world):
    pytest.importorskip("jsonschema")
    cohort = world["cohort"]
    auth = bearer(token_for(session, cohort.people["coordinator"]))
    results = client.get(f"/api/v1/cohorts/{cohort.id}/results", headers=auth).get_json()
    schema_validator("Results").validate(results)
    schema_validator("CohortList").validate(client.get("/api/v1/cohorts", headers=auth).get_json())
    schema_validator("Error").validate(client.get("/api/v1/cohorts").get_json())
    broken = dict(results, participants=[dict(results["participants"][0], final_score="83,33")])
    with pytest.raises(Exception, match="is not of type"):
        schema_validator("Results").validate(broken)


def test_results_pages_with_a_cursor(client, session, world):
    cohort = world["cohort"]
    auth = bearer(token_for(session, cohort.people["coordinator"]))
    url = f"/api/v1/cohorts/{cohort.id}/results"
    whole = client.get(url, headers=auth).get_json()
    assert whole["page"] == {"limit": 100, "next_cursor": None, "total": len(world["participants"])}
    seen, cursor, pages = [], None, 0
    while True:
        body = client.get(
            url, headers=auth, query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).get_json()
        assert len(body["participants"]) <= 2 and body["page"]["total"] == len(world["participants"])
        seen += body["participants"]
        pages += 1
        cursor = body["page"]["next_cursor"]
        if cursor is None:
            break
    assert pages == 2 and seen == whole["participants"], "the pages together are the whole table, in order"
    for bad in ({"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"cursor": "not-a-cursor"}, {"cursor": "WzEsMl0"}):
        response = client.get(url, headers=auth, query_string=bad)
        assert_problem(response, 400)


# -- queries ----------------------------------------------------------------------------------------


def test_api_results_run_a_fixed_number_of_queries(app, session, make_cohort):
    counts = []
    for size in (3, 12):
        with app.test_request_context():
            world = graded_world(session, make_cohort, participants=size)
        secret = token_for(session, world["cohort"].people["coordinator"])
        client = app.test_client()
        url = f"/api/v1/cohorts/{world['cohort'].id}/results"
        client.get(url, headers=bearer(secret))
        with count_queries(app) as statements:
            assert client.get(url, headers=bearer(secret)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# -- every error under /api/v1 is the problem JSON, with no cookie ---------------------------------


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.status_code
    assert response.is_json and response.content_type.startswith("application/json"), response.content_type
    assert set(response.json) >= {"error", "message"} and response.json["message"]
    assert "Set-Cookie" not in response.headers, response.headers.get("Set-Cookie")


def test_unknown_paths_and_ids_are_json_404_without_a_cookie(app, client, session, world):
    login(client, world["cohort"].people["coordinator"])  # a browser session must not leak into the API
    assert_problem(client.get("/api/v1/nope"), 404)
    assert_problem(client.get("/api/v1/cohorts/1/nope/deeper"), 404)
    assert_problem(client.get("/api/v1/cohorts/99999999999/results"), 404)
    secret = token_for(session, world["cohort"].people["coordinator"])
    assert_problem(client.get("/api/v1/cohorts/2147483647/results", headers=bearer(secret)), 404)
    assert_problem(client.get("/api/v1/cohorts", headers={"Authorization": "Bearer nope"}), 401)
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.content_type.startswith("text/html")


def test_a_wrong_method_is_json_405_with_allow(client):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/v1/cohorts")
        assert_problem(response, 405)
        assert "GET" in response.headers["Allow"]


def test_a_body_over_the_limit_is_json_413(app_factory):
    client = app_factory(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post("/api/v1/cohorts", data={"x": "y" * 4096})
    assert_problem(response, 413)


def test_rate_limits_and_crashes_are_json_too(app_factory):
    from flask import abort

    from lms.core.access import PUBLIC, require

    app = app_factory()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @require(PUBLIC)
    def limited():
        abort(429)

    @require(PUBLIC)
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/api/v1/_limited", "api_limited_test", limited)
    app.add_url_rule("/api/v1/_broken", "api_broken_test", broken)
    client = app.test_client()
    assert_problem(client.get("/api/v1/_limited"), 429)
    response = client.get("/api/v1/_broken")
    assert_problem(response, 500)
    assert "boom" not in response.get_data(as_text=True)
