from lms.users.models import User
from tests.support import PASSWORD, login


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
        return text[text.index('role="alert"'):text.index("</div>", text.index('role="alert"'))]

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
    response = client.post("/account/password", data={"current": PASSWORD, "new": "baru-sekali-99", "confirm": "baru-sekali-99"})
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
    wrong = client.post("/account/password", data={"current": "salah-salah", "new": "baru-sekali-99", "confirm": "baru-sekali-99"})
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
        "remember_token" in v for v in response.headers.getlist("Set-Cookie"))


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
