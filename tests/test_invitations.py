"""Getting people in: a roster of 40 invited by e-mail read from a real SMTP server, links that
work once and expire, "forgot password" that tells nobody who has an account, activation codes on
a printed sheet, the password rule, and a mail server that is down."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from sqlalchemy import select

from lms.mail.models import MailMessage, MailStatus
from lms.users.models import User
from tests.mailserver import body, free_port, smtp_server
from tests.support import login
from tests.test_roster import csv_file, import_token, person, token_in, upload

LINK = re.compile(r"https://lms\.example\.go\.id(/activate/[A-Za-z0-9_.\-]+|/reset/[A-Za-z0-9_.\-]+)")


def smtp_app(app_factory: Any, port: int, **extra: Any) -> Any:
    config = {
        "JOBS_IMMEDIATE": True,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": 5,
        "BASE_URL": "https://lms.example.go.id",
        "DEFAULT_LOCALE": "en",
    }
    config.update(extra)
    return app_factory(**config)


@pytest.fixture
def cohort(make_cohort):
    return make_cohort()


def staff_client(app: Any, cohort: Any) -> Any:
    client = app.test_client()
    login(client, cohort.people["coordinator"])
    return client


def import_roster(client: Any, cohort: Any, rows: list[dict[str, str]]) -> None:
    preview = upload(client, cohort, csv_file(rows))
    assert preview.status_code == 200, preview.get_data(as_text=True)[:500]
    done = import_token(client, cohort, token_in(preview))
    assert done.status_code == 302


def link_in(message: Any) -> str:
    found = LINK.search(body(message, "plain"))
    assert found, body(message, "plain")
    assert found.group(0) in body(message, "html")
    return found.group(1)


def access_of(client: Any, cohort: Any) -> dict[str, str]:
    page = client.get(f"/cohorts/{cohort.id}/participants?page=1").get_data(as_text=True)
    rows = re.findall(r'<div class="small text-muted">([^<]+@[^<]+)</div>.*?data-access="(\w+)"', page, re.S)
    return dict(rows)


def test_roster_of_40_invited_read_from_smtp_follow_one_link_log_in_link_used_once(app_factory, cohort, session):
    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port, PAGE_SIZE=50)
        client = staff_client(app, cohort)

        # A malformed address is reported on its row, and nothing is imported.
        bad = upload(client, cohort, csv_file([person(1), person(2, email="dewi@@example")]))
        assert bad.status_code == 422 and "dewi@@example" in bad.get_data(as_text=True) and token_in(bad) is None

        import_roster(client, cohort, [person(i) for i in range(1, 41)])
        assert set(access_of(client, cohort).values()) == {"not_invited"}
        response = client.post(f"/cohorts/{cohort.id}/invitations", data={"scope": "all"}, follow_redirects=True)
        assert response.status_code == 200 and "40 invitations are being sent." in response.get_data(as_text=True)
        invitations = [m for m in inbox.messages if "/activate/" in body(m, "plain")]  # (the importer is told too)
        assert len(invitations) == 40 and len({m["To"] for m in invitations}) == 40
        states = access_of(client, cohort)
        assert len(states) == 40 and set(states.values()) == {"invited"}

        first = invitations[0]
        address = first["To"]
        path = link_in(first)
        visitor = app.test_client()
        page = visitor.get(path)
        assert page.status_code == 200 and address in page.get_data(as_text=True)
        weak = visitor.post(path, data={"new": "password123", "confirm": "password123"})
        assert weak.status_code == 422 and "common" in weak.get_data(as_text=True)
        done = visitor.post(path, data={"new": "Kopi-pagi-2026", "confirm": "Kopi-pagi-2026"})
        assert done.status_code == 302 and done.headers["Location"].endswith("/")
        assert visitor.get("/").status_code == 200  # logged in

        again = app.test_client().get(path)
        assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
        assert (
            app.test_client().post(path, data={"new": "Lain-lagi-2026", "confirm": "Lain-lagi-2026"}).status_code == 410
        )

        fresh = app.test_client()
        assert fresh.post("/login", data={"email": address, "password": "Kopi-pagi-2026"}).status_code == 302
        assert access_of(client, cohort)[address] == "active"

        # Re-send to one who did not react: a new message; the 39 not yet active can be invited again.
        second = invitations[1]["To"]
        user_id = session.scalar(select(User.id).where(User.email == second))
        client.post(f"/cohorts/{cohort.id}/invitations", data={"scope": "ticked", "user_ids": [str(user_id)]})
        assert len(inbox.to(second)) == 2


def test_an_expired_link_is_refused_with_a_way_to_ask_for_a_new_one(app_factory, cohort, session, monkeypatch):
    from lms.invitations.services import INVITATION, make_token

    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port)
        client = staff_client(app, cohort)
        import_roster(client, cohort, [person(1)])
        user = session.scalar(select(User).where(User.email == person(1)["email"].lower()))
        eight_days_ago = time.time() - 8 * 86400
        with app.app_context(), monkeypatch.context() as m:
            m.setattr(time, "time", lambda: eight_days_ago)
            token = make_token(user, INVITATION)
        page = app.test_client().get(f"/activate/{token}")
        text = page.get_data(as_text=True)
        assert page.status_code == 410 and "expired" in text and 'action="/forgot-password"' in text
        asked = app.test_client().post("/forgot-password", data={"email": user.email.upper()}, follow_redirects=True)
        assert asked.status_code == 200
        assert len(inbox.to(user.email)) == 1
        path = link_in(inbox.to(user.email)[0])
        assert path.startswith("/reset/")
        visitor = app.test_client()
        assert visitor.post(path, data={"new": "Teh-sore-2026", "confirm": "Teh-sore-2026"}).status_code == 302
        forged = app.test_client().get(f"/activate/{token[:-4]}abcd")
        assert forged.status_code == 410 and "not valid" in forged.get_data(as_text=True)


def test_forgot_password_never_tells_who_has_an_account_and_is_rate_limited(app_factory, make_user, session):
    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port, RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="3 per minute")
        known = make_user(email="ada@example.go.id")
        answers = []
        for email in ("ada@example.go.id", "tidak-ada@example.go.id"):
            response = app.test_client().post("/forgot-password", data={"email": email}, follow_redirects=True)
            answers.append(re.sub(r'(name="csrf_token"|name="csrf-token")[^>]*>', "", response.get_data(as_text=True)))
        assert answers[0] == answers[1]
        assert [m["To"] for m in inbox.messages] == [known.email]
        client = app.test_client()
        codes = [client.post("/forgot-password", data={"email": "x@example.go.id"}).status_code for _ in range(4)]
        assert codes[-1] == 429 and 500 not in codes


def test_smtp_down_shows_not_sent_on_the_list_never_a_500(app_factory, cohort, session):
    app = smtp_app(app_factory, free_port(), MAIL_MAX_ATTEMPTS=2)  # nothing listens on that port
    client = staff_client(app, cohort)
    import_roster(client, cohort, [person(1), person(2)])
    response = client.post(f"/cohorts/{cohort.id}/invitations", data={"scope": "all"})
    assert response.status_code == 302
    assert set(access_of(client, cohort).values()) == {"not_sent"}  # retrying, and said so
    messages = session.scalars(select(MailMessage)).all()
    assert {m.status for m in messages} == {MailStatus.QUEUED} and all("Connection" in m.last_error for m in messages)


def test_activation_codes_sheet_each_code_works_once(app_factory, cohort, session):
    from pypdf import PdfReader

    app = app_factory(DEFAULT_LOCALE="en")
    client = staff_client(app, cohort)
    import_roster(client, cohort, [person(1), person(2), person(3)])
    response = client.post(f"/cohorts/{cohort.id}/activation-codes")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    codes = re.findall(r"(?<![A-Z2-9])[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text)
    assert len(codes) == 3 and person(1)["name"] in text

    visitor = app.test_client()
    wrong = visitor.post(
        "/activate", data={"code": "AAAA-BBBB-CCCC", "new": "Nasi-uduk-2026", "confirm": "Nasi-uduk-2026"}
    )
    assert wrong.status_code == 422 and "not valid" in wrong.get_data(as_text=True)
    done = visitor.post(
        "/activate", data={"code": codes[0].lower(), "new": "Nasi-uduk-2026", "confirm": "Nasi-uduk-2026"}
    )
    assert done.status_code == 302 and visitor.get("/").status_code == 200
    again = app.test_client().post(
        "/activate", data={"code": codes[0], "new": "Nasi-uduk-2027", "confirm": "Nasi-uduk-2027"}
    )
    assert again.status_code == 422

    # A new sheet is for the two still not active; their first codes stop working.
    second = client.post(f"/cohorts/{cohort.id}/activation-codes")
    new_codes = re.findall(
        r"(?<![A-Z2-9])[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}",
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(second.data)).pages),
    )
    assert len(new_codes) == 2
    stale = app.test_client().post(
        "/activate", data={"code": codes[1], "new": "Nasi-uduk-2026", "confirm": "Nasi-uduk-2026"}
    )
    assert stale.status_code == 422


def test_another_cohorts_coordinator_cannot_invite_and_foreign_ids_are_ignored(
    app_factory, cohort, make_cohort, session
):
    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port)
        client = staff_client(app, cohort)
        import_roster(client, cohort, [person(1)])
        other = make_cohort(participants=0)
        outsider = staff_client(app, other)
        assert outsider.post(f"/cohorts/{cohort.id}/invitations", data={"scope": "all"}).status_code == 403
        assert outsider.post(f"/cohorts/{cohort.id}/activation-codes").status_code == 403
        victim = session.scalar(select(User.id).where(User.email == person(1)["email"].lower()))
        outsider.post(f"/cohorts/{other.id}/invitations", data={"scope": "ticked", "user_ids": [str(victim)]})
        assert not [m for m in inbox.messages if "/activate/" in body(m, "plain")]  # no invitation went out


def test_an_admin_can_require_a_new_password_at_next_login(app_factory, make_user, session):
    app = app_factory(DEFAULT_LOCALE="en")
    admin, person_ = make_user(is_admin=True), make_user()
    admin_client = app.test_client()
    login(admin_client, admin)
    assert admin_client.post(f"/users/{person_.id}/require-password-change").status_code == 302
    client = app.test_client()
    login(client, person_)
    assert client.get("/").headers["Location"].endswith("/account/password")
    weak = client.post("/account/password", data={"current": "rahasia-123", "new": "qwerty123", "confirm": "qwerty123"})
    assert weak.status_code != 302 and "common" in weak.get_data(as_text=True)
    ok = client.post(
        "/account/password", data={"current": "rahasia-123", "new": "Soto-ayam-2026", "confirm": "Soto-ayam-2026"}
    )
    assert ok.status_code == 302 and client.get("/").status_code == 200
    assert app.test_client().post(f"/users/{admin.id}/require-password-change").status_code == 302  # anonymous → login
    login(client := app.test_client(), make_user())
    assert client.post(f"/users/{person_.id}/require-password-change").status_code == 403
