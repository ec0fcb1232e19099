"""Structured logs: one JSON line per request and per security event, with a request id (issue 10 #24)."""

from __future__ import annotations

import json
import logging

import pytest

from lms.core.logging import JsonFormatter
from tests.support import PASSWORD, login


def records(caplog, logger):
    return [r for r in caplog.records if r.name == logger]


def events(caplog, name):
    return [r for r in caplog.records if r.name == "lms.security" and r.getMessage() == name]


def lines(caplog):
    """Every record as the stderr handler writes it: one JSON object per line."""
    formatter = JsonFormatter()
    out = [formatter.format(r) for r in caplog.records if r.name.startswith("lms")]
    assert all("\n" not in line for line in out)
    return [json.loads(line) for line in out]


@pytest.fixture(autouse=True)
def _info(caplog):
    caplog.set_level(logging.INFO, logger="lms")


def test_one_record_per_request_with_its_fields(client, make_user, caplog):
    user = make_user()
    login(client, user)
    caplog.clear()
    response = client.get("/")
    assert response.status_code == 200
    [record] = records(caplog, "lms.request")
    line = lines(caplog)[-1]
    assert line["event"] == "request" and line["logger"] == "lms.request"
    assert (line["method"], line["path"], line["status"], line["user_id"]) == ("GET", "/", 200, user.id)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"] and len(line["request_id"]) >= 8
    assert record.status == 200


def test_the_request_id_is_taken_from_a_sane_header_and_shown_on_the_error_page(client, caplog):
    response = client.get("/no-such-page", headers={"X-Request-ID": "proxy-abc-12345678"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "proxy-abc-12345678"
    assert "proxy-abc-12345678" in response.get_data(as_text=True)
    assert lines(caplog)[-1]["request_id"] == "proxy-abc-12345678"
    bad = client.get("/no-such-page", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert bad.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert bad.headers["X-Request-ID"] in bad.get_data(as_text=True)
    assert "alert(1)" not in bad.get_data(as_text=True)


def test_login_failure_and_lockout_are_logged_without_password_or_email(app_factory, app, make_user, caplog):
    from lms.extensions import limiter

    limited = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    limiter.reset()
    user = make_user(nip="198001012005011001")
    client = limited.test_client()
    for _ in range(3):
        client.post("/login", data={"email": user.email, "password": "Tebakan-Rahasia-1"})
    assert len(events(caplog, "login.failed")) == 2
    [locked] = events(caplog, "login.locked")
    assert locked.scope == "address"
    text = "\n".join(json.dumps(line) for line in lines(caplog))
    assert "Tebakan-Rahasia-1" not in text and user.email not in text
    assert "198001012005011001" not in text and PASSWORD not in text


def test_password_change_and_tokens_are_security_events(client, make_user, session, caplog):
    user = make_user()
    login(client, user)
    response = client.post("/account/tokens", data={"name": "rekap"})
    secret = response.get_data(as_text=True).split("tolok_", 1)[1][:20]
    [created] = events(caplog, "token.created")
    assert created.owner_id == user.id and created.user_id == user.id
    client.post("/account/password", data={"current": PASSWORD, "new": "baru-sekali-99", "confirm": "baru-sekali-99"})
    [changed] = events(caplog, "password.changed")
    assert changed.subject_id == user.id
    [revoked] = events(caplog, "token.revoked")
    assert revoked.tokens_revoked == 1
    text = "\n".join(json.dumps(line) for line in lines(caplog))
    assert secret not in text and "baru-sekali-99" not in text and PASSWORD not in text


def test_a_rolled_back_change_logs_nothing(ctx, session, make_user, caplog):
    from lms.auth.services import change_password
    from lms.core.timezones import now_utc

    user = make_user()
    change_password(session, user, "baru-sekali-99", "scrypt:1024:8:1", now_utc())
    session.rollback()
    assert not events(caplog, "password.changed")


def test_refused_access_is_a_security_event(client, make_user, caplog):
    login(client, make_user())
    assert client.get("/admin/users").status_code == 403
    [refused] = events(caplog, "access.refused")
    assert refused.endpoint == "users.index" and refused.path == "/admin/users"


def test_grade_changes_are_security_events(app, session, make_cohort, ctx, caplog):
    from tests.test_grading import levels, rubric_data, submitted  # noqa: F401
    from tests.test_grading import world as grading_world

    world = grading_world.__wrapped__(ctx, session, make_cohort)
    submission = submitted(session, world)
    client = app.test_client()
    login(client, world["instructors"][0])
    form = {f"level-{c.id}": str(c.levels[3].id) for c in world["rubric"].criteria} | {"version": "", "action": "save"}
    assert client.post(f"/grading/submissions/{submission.id}", data=form).status_code == 302
    [changed] = events(caplog, "grade.changed")
    assert changed.submission_id == submission.id and changed.actor_id == world["instructors"][0].id
    assert changed.score_before is None and changed.score_after == "100.00"


def test_lines_go_to_stderr_as_json(client, capsys):
    client.get("/login")
    err = capsys.readouterr().err.strip().splitlines()
    parsed = [json.loads(line) for line in err if line.startswith("{")]
    assert any(p["event"] == "request" and p["path"] == "/login" for p in parsed)
