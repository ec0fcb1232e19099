"""The request owns the transaction and one handler answers refusals (lms.core.transaction)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import flash, redirect
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select
from wtforms import StringField

from lms import db
from lms.cohorts.models import Program
from lms.core.errors import Conflict, DomainError
from lms.core.forms import Form
from lms.core.views import act, after_commit, form_page, refuse_to

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

    for rule, view in (
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
