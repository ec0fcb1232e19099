import pytest

from lms.users.models import User
from tests.support import FAST_HASH, PASSWORD, login


def test_login_page_renders_in_indonesian_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="id"' in response.get_data(as_text=True)


def test_login_and_dashboard(client, make_user):
    user = make_user(name="Siti Rahayu")
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert "Siti Rahayu" in page


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "nobody@example.go.id", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 200

    def alert(response):
        text = response.get_data(as_text=True)
        return text[text.index('role="alert"') : text.index("</div>", text.index('role="alert"'))]

    assert alert(wrong) == alert(unknown)


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_anonymous_is_sent_to_login(client):
    response = client.get("/programs")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_open_redirect_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_change_password_logs_out_other_devices(app, client, make_user, session):
    user = make_user()
    other = app.test_client()
    login(client, user)
    login(other, user)
    response = client.post(
        "/account/password", data={"current": PASSWORD, "new": "baru-sekali-99", "confirm": "baru-sekali-99"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    session.expire_all()
    client.post("/logout")
    login(client, session.get(User, user.id), "baru-sekali-99")


def test_change_password_rejects_short_and_wrong_current(client, make_user):
    user = make_user()
    login(client, user)
    short = client.post("/account/password", data={"current": PASSWORD, "new": "abc", "confirm": "abc"})
    assert short.status_code == 200 and "8" in short.get_data(as_text=True)
    wrong = client.post(
        "/account/password", data={"current": "salah-salah", "new": "baru-sekali-99", "confirm": "baru-sekali-99"}
    )
    assert wrong.status_code == 200


def test_temporary_password_must_be_changed_first(client, make_user, session):
    from lms.users.services import reset_password

    admin = make_user(is_admin=True)
    user = make_user()
    temp = reset_password(session, user, "scrypt:1024:8:1")
    session.commit()
    login(client, user, temp)
    response = client.get("/programs")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    client.post("/account/password", data={"current": temp, "new": "pilihan-saya-1", "confirm": "pilihan-saya-1"})
    assert client.get("/").status_code == 200
    assert admin.id != user.id


def test_csrf_is_enforced_on_every_post(app_factory, make_user):
    app = app_factory(CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        user = make_user()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 400
        assert client.post("/logout").status_code == 400


def test_remember_me_sets_a_cookie(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in v for v in response.headers.getlist("Set-Cookie")
    )


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- sessions end server-side (issue 10 #4) ---------------------------------------------------------


def test_logout_refuses_a_replayed_session_cookie(app, client, make_user):
    user = make_user()
    login(client, user)
    stolen = client.get_cookie("session").value
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_refuses_a_replayed_remember_me_cookie(app, client, make_user):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    before = app.test_client()
    before.set_cookie("remember_token", remember)
    assert before.get("/").status_code == 200  # the cookie alone logs in, until logout
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_keeps_this_session_and_revokes_every_api_token(app, client, make_user, session):
    from lms.api.models import ApiToken
    from lms.api.services import create_token
    from lms.core.timezones import now_utc

    user = make_user()
    _token, secret = create_token(session, user, "script", now_utc())
    _token2, secret2 = create_token(session, user, "dashboard", now_utc())
    session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/cohorts", headers=bearer).status_code == 200
    login(client, user)
    response = client.post(
        "/account/password", data={"current": PASSWORD, "new": "baru-sekali-99", "confirm": "baru-sekali-99"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    for value in (secret, secret2):
        assert client.get("/api/v1/cohorts", headers={"Authorization": f"Bearer {value}"}).status_code == 401
    session.expire_all()
    assert all(t.revoked_at is not None for t in session.query(ApiToken).filter_by(user_id=user.id))


def test_admin_reset_revokes_api_tokens_too(client, make_user, session):
    from lms.api.services import create_token
    from lms.core.timezones import now_utc

    admin = make_user(is_admin=True)
    user = make_user()
    _token, secret = create_token(session, user, "script", now_utc())
    session.commit()
    login(client, admin)
    assert client.post(f"/users/{user.id}/reset-password").status_code == 200
    assert client.get("/api/v1/cohorts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# -- login timing (issue 10 #5) -------------------------------------------------------------------


def test_unknown_email_costs_one_hash_check_and_no_new_hash(ctx, make_user, session, monkeypatch):
    from lms.auth import services

    user = make_user()
    calls = {"generate": 0, "check": 0}
    real_generate, real_check = services.generate_password_hash, services.check_password_hash

    def generate(*args, **kwargs):
        calls["generate"] += 1
        return real_generate(*args, **kwargs)

    def check(*args, **kwargs):
        calls["check"] += 1
        return real_check(*args, **kwargs)

    monkeypatch.setattr(services, "generate_password_hash", generate)
    monkeypatch.setattr(services, "check_password_hash", check)
    services.authenticate(session, "nobody@example.go.id", "x", FAST_HASH)  # may make the dummy once
    for email in ("nobody@example.go.id", "other@example.go.id", user.email):
        calls.update(generate=0, check=0)
        assert services.authenticate(session, email, "wrong-password", FAST_HASH) is None
        assert calls == {"generate": 0, "check": 1}, email


# -- rate limits count failures only, per address and per account (issue 10 #6) -----------------


@pytest.fixture
def limited(app, app_factory):
    # Built after ``app`` (which make_user needs): the limiter is one instance that the last app configures.
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="5 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    from lms.extensions import limiter

    limiter.reset()
    return app


def test_a_class_of_40_logs_in_from_one_address(limited, make_user):
    people = [make_user() for _ in range(40)]
    for person in people:
        client = limited.test_client()
        response = client.post("/login", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 302, person.email


def test_failed_logins_are_limited_per_address(limited, make_user):
    user = make_user()
    client = limited.test_client()
    for n in range(5):
        assert client.post("/login", data={"email": f"guess{n}@example.go.id", "password": "x"}).status_code == 200
    assert client.post("/login", data={"email": "guess9@example.go.id", "password": "x"}).status_code == 429
    # Locked even with the right password, but another address is not.
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 429
    other = limited.test_client()
    response = other.post(
        "/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert response.status_code == 302


def test_failed_logins_are_limited_per_account_from_any_address(limited, make_user):
    user = make_user()
    bystander = make_user()
    for n in range(3):
        client = limited.test_client()
        response = client.post(
            "/login",
            data={"email": user.email.upper(), "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"},
        )
        assert response.status_code == 200
    fresh = limited.test_client()
    response = fresh.post(
        "/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.99"}
    )
    assert response.status_code == 429
    # Other people behind the same addresses log in.
    response = fresh.post(
        "/login", data={"email": bystander.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert response.status_code == 302


# -- caching and transport headers (issue 10 #23) ---------------------------------------------------


def test_no_store_on_every_page_of_a_logged_in_user_but_not_on_static_files(client, make_user):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, make_user())
    for url in ("/", "/account/password", "/no-such-page"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    static = client.get("/static/app.css")
    static.close()  # the file stays open until the response is closed
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_only_over_https_as_the_proxy_reports_it(app_factory):
    app = app_factory(PROXY_COUNT=1)
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    direct = app_factory().test_client()  # no proxy trusted: a forged header changes nothing
    assert "Strict-Transport-Security" not in direct.get("/login", headers={"X-Forwarded-Proto": "https"}).headers


def test_a_reset_link_revokes_api_tokens_too(client, make_user, session):
    from lms.api.services import create_token
    from lms.core.timezones import now_utc
    from lms.invitations.services import RESET, make_token

    user = make_user()
    _token, secret = create_token(session, user, "script", now_utc())
    session.commit()
    other = client.application.test_client()
    login(other, user)
    with client.application.test_request_context():
        link = make_token(user, RESET)
    response = client.post(f"/reset/{link}", data={"new": "baru-sekali-99", "confirm": "baru-sekali-99"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get("/api/v1/cohorts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert other.get("/").status_code == 302
