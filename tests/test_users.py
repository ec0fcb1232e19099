"""Admins create accounts, deactivate them and issue temporary passwords."""

import re

import pytest
from sqlalchemy import select

from lms.users.models import User
from tests.support import login


def test_admin_creates_a_user_who_must_choose_a_password(app, client, make_user, session):
    login(client, make_user(is_admin=True))
    response = client.post(
        "/admin/users/new", data={"name": "Rina Marlina", "email": "Rina@BPSDM.go.id", "is_manager": "y"}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'id="temp-password">([^<]+)<', response.get_data(as_text=True)).group(1).strip()
    created = session.scalar(select(User).where(User.email == "rina@bpsdm.go.id"))
    assert created.is_manager and created.must_change_password
    other = app.test_client()
    login(other, created, temporary)
    assert other.get("/programs").headers["Location"].endswith("/account/password")


def test_duplicate_email_is_refused_with_the_form_kept(client, make_user):
    existing = make_user()
    login(client, make_user(is_admin=True))
    response = client.post("/admin/users/new", data={"name": "Dua Kali", "email": existing.email.upper()})
    assert response.status_code == 409 and 'value="Dua Kali"' in response.get_data(as_text=True)


def test_deactivation_logs_the_user_out_and_admin_cannot_deactivate_self(app, client, make_user, session):
    admin = make_user(is_admin=True)
    victim = make_user()
    theirs = app.test_client()
    login(theirs, victim)
    login(client, admin)
    assert client.post(f"/admin/users/{victim.id}/active", data={"active": "0"}).status_code == 302
    assert theirs.get("/").status_code == 302
    client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    session.expire_all()
    assert session.get(User, admin.id).active and not session.get(User, victim.id).active


def test_user_list_searches_and_paginates(app, client, make_user):
    admin = make_user(is_admin=True)
    for i in range(app.config["PAGE_SIZE"] + 3):
        make_user(name=f"Peserta {i:03d}")
    login(client, admin)
    first = client.get("/admin/users").get_data(as_text=True)
    assert "Peserta 000" in first and "page=2" in first
    found = client.get("/admin/users?q=peserta 052").get_data(as_text=True)
    assert "Peserta 052" in found and "Peserta 000" not in found


def test_an_address_email_validator_refuses_is_refused_on_create_and_edit(client, make_user, session):
    admin = make_user(is_admin=True)
    login(client, admin)
    response = client.post("/admin/users/new", data={"name": "Spasi", "email": "a b@@c"})
    assert response.status_code == 422 and 'value="Spasi"' in response.get_data(as_text=True)
    assert session.scalar(select(User).where(User.name == "Spasi")) is None
    person = make_user()
    response = client.post(f"/admin/users/{person.id}/edit", data={"name": person.name, "email": "nama@@instansi"})
    assert response.status_code == 422
    session.expire_all()
    assert "@@" not in session.get(User, person.id).email


def test_the_service_refuses_what_the_form_would(session, make_user):
    from lms.core.errors import DomainError
    from lms.users import services

    for bad in ("a b@@c", "x@", "@instansi.go.id", "nama@instansi..go.id", f"{'a' * 250}@x.id"):
        with pytest.raises(DomainError) as refused:
            services.create_user(session, email=bad, name="Siapa")
        assert refused.value.field == "email"
    user = services.create_user(session, email="  Nama.Lengkap@Kalteng.go.id ", name="Siapa")
    assert user.email == "nama.lengkap@kalteng.go.id"
    with pytest.raises(DomainError):
        services.update_user(
            session, user, make_user(is_admin=True), email="a b@@c", name="Siapa", is_admin=False, is_manager=False
        )
