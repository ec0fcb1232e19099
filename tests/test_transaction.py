"""The request owns the transaction and one handler answers refusals (lms.core.transaction)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import flash, redirect
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select, update
from wtforms import StringField

from lms import db
from lms.cohorts.models import Program
from lms.core.errors import Conflict, DomainError
from lms.core.forms import Form
from lms.core.views import act, after_commit, form_page, reads_only, refuse_to
from lms.db import ReadOnlyViolation

calls: list[str] = []


class NameForm(Form):
    code = StringField()


def _add(code: str) -> Program:
    program = Program(code=code, name="Program " + code)
    db.session.add(program)
    db.session.flush()
    return program


@pytest.fixture
def test_app(app_factory: Any) -> Any:
    app = app_factory()
    app.jinja_loader = ChoiceLoader(
        [DictLoader({"t/form.html": "form:{{ form.code.errors|join(',') }}"}), app.jinja_loader]
    )
    calls.clear()

    def ok() -> Any:
        _add("OK")
        after_commit(lambda: calls.append("after"))
        return "saved"

    def refused() -> Any:
        _add("NO")
        after_commit(lambda: calls.append("after"))
        raise Conflict("taken")

    def not_found() -> Any:
        _add("GONE")
        return "nothing here", 404

    def button() -> Any:
        def action() -> None:
            _add("BTN")
            raise DomainError("not now")

        return act(action, back="/back", message="done")

    def duplicate() -> Any:
        refuse_to("/list")
        flash("created", "success")
        db.session.add(Program(code="DUP", name="again"))  # the unique clash surfaces at the commit
        return redirect("/list")

    def form() -> Any:
        form = NameForm(meta={"csrf": False})
        page = form_page(form, "t/form.html")
        if form.validate_on_submit():
            _add(form.code.data)
            raise DomainError("This code is taken.", field="code")
        return page()

    def api() -> Any:
        _add("API")
        raise DomainError("refused in the API")

    @reads_only
    def reads() -> Any:
        codes = ",".join(sorted(db.session.scalars(select(Program.code))))
        driver = db.session.connection().connection.dbapi_connection
        if hasattr(driver, "info"):  # psycopg: is a transaction open on the server after the read?
            calls.append(driver.info.transaction_status.name)
        return codes

    @reads_only
    def writes_by_mistake() -> Any:
        _add("SNEAKY")
        return "saved?"

    @reads_only
    def updates_by_mistake() -> Any:
        db.session.execute(update(Program).values(name="renamed"))
        return "saved?"

    for rule, view in (
        ("/t/reads", reads),
        ("/t/writes-by-mistake", writes_by_mistake),
        ("/t/updates-by-mistake", updates_by_mistake),
        ("/t/ok", ok),
        ("/t/refused", refused),
        ("/t/404", not_found),
        ("/t/button", button),
        ("/t/duplicate", duplicate),
        ("/t/form", form),
        ("/api/v1/t", api),
    ):
        app.add_url_rule(rule, view.__name__, view, methods=["GET", "POST"])
    return app


def _codes(session: Any) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Program.code)))


def test_a_view_that_returns_commits_and_then_runs_after_commit(test_app, session):
    response = test_app.test_client().post("/t/ok")
    assert response.status_code == 200
    assert _codes(session) == {"OK"}
    assert calls == ["after"]


def test_a_refusal_rolls_back_and_after_commit_never_runs(test_app, session):
    response = test_app.test_client().post("/t/refused")
    assert response.status_code == 409
    assert "taken" in response.get_data(as_text=True)
    assert _codes(session) == set()
    assert calls == []


def test_an_error_status_rolls_back(test_app, session):
    assert test_app.test_client().post("/t/404").status_code == 404
    assert _codes(session) == set()


def test_a_button_refusal_flashes_and_goes_back_with_nothing_saved(test_app, session):
    client = test_app.test_client()
    response = client.post("/t/button")
    assert response.status_code == 303 and response.headers["Location"] == "/back"
    with client.session_transaction() as flashed:
        assert flashed["_flashes"] == [("danger", "not now")]
    assert _codes(session) == set()


def test_a_clash_at_the_commit_is_answered_as_declared_and_drops_the_success_message(test_app, session):
    session.add(Program(code="DUP", name="first"))
    session.commit()
    client = test_app.test_client()
    response = client.post("/t/duplicate")
    assert response.status_code == 303 and response.headers["Location"] == "/list"
    with client.session_transaction() as flashed:
        categories = [category for category, _text in flashed["_flashes"]]
    assert categories == ["danger"]
    assert _codes(session) == {"DUP"}


def test_a_form_page_renders_422_with_errors_and_a_refusal_under_its_field(test_app, session):
    client = test_app.test_client()
    assert client.get("/t/form").status_code == 200
    response = client.post("/t/form", data={"code": "ABC"})
    assert response.status_code == 422
    assert response.get_data(as_text=True) == "form:This code is taken."
    assert _codes(session) == set()


def test_a_refusal_under_the_api_is_problem_json(test_app, session):
    response = test_app.test_client().post("/api/v1/t")
    assert response.status_code == 422
    assert response.get_json() == {"error": "refused", "message": "refused in the API"}
    assert _codes(session) == set()


def test_a_view_that_reads_only_reads_outside_a_transaction_and_refuses_to_write(test_app, session):
    session.add(Program(code="SEEN", name="Program SEEN"))
    session.commit()
    client = test_app.test_client()
    assert client.get("/t/reads").get_data(as_text=True) == "SEEN"
    # In the test's own transaction the level stays the test's; on a database of its own it is
    # AUTOCOMMIT (test_reads_only_pages_skip_begin_and_commit_on_a_real_database).
    for path in ("/t/writes-by-mistake", "/t/updates-by-mistake"):
        with pytest.raises(ReadOnlyViolation):
            client.get(path)
    assert _codes(session) == {"SEEN"}
    session.expire_all()
    assert session.scalars(select(Program.name)).all() == ["Program SEEN"]
    # Declared for its GET only: a POST to the same view is an ordinary request with its transaction.
    assert client.post("/t/writes-by-mistake").status_code == 200
    assert _codes(session) == {"SEEN", "SNEAKY"}


@pytest.mark.real_database
def test_reads_only_pages_skip_begin_and_commit_on_a_real_database(backend, test_app, session):
    if backend != "postgresql":
        pytest.skip("the round trips saved are PostgreSQL's; SQLite's driver shows no transaction state")
    client = test_app.test_client()
    assert client.get("/t/reads").status_code == 200
    assert client.post("/t/reads").status_code == 200
    # The GET's read left no transaction open on the server (no BEGIN, no COMMIT); the POST's did.
    assert calls == ["IDLE", "INTRANS"]
    # The pooled connection went back with its usual level: the next request is in a transaction.
    assert client.post("/t/ok").status_code == 200
    assert _codes(session) == {"OK"}
