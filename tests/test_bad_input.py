"""Bad input gets a clear 4xx, never a 500: NUL bytes, ids past 32 bits, absurd dates, huge values,
long CSV headers, and two "create" of the same unique name at once (lms.core.bad_input)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort, Program
from tests.support import login

HUGE_ID = 2**31
NUL = "a\x00b"
# Field names the app's forms use, so that a replayed POST reaches the views' own parsing.
FIELDS = [
    "name",
    "code",
    "title",
    "description",
    "bands",
    "email",
    "body",
    "instructions",
    "comment",
    "feedback",
    "label",
    "descriptor",
    "location",
    "city",
    "address",
    "note",
    "reason",
    "summary",
    "year",
    "weight",
    "points",
    "version",
    "submission_id",
    "participant_id",
    "rubric_id",
    "role",
    "status",
    "kind",
    "start_date",
    "end_date",
    "opens_at",
    "due_at",
    "cutoff_at",
    "opens_on",
    "due_on",
    "password",
    "new_password",
    "confirm",
    "nip",
    "instansi",
    "unit",
    "jabatan",
    "golongan",
    "locale",
    "q",
    "text",
]


@pytest.fixture
def world(make_user, make_cohort, session):
    admin = make_user(is_admin=True)
    cohort = make_cohort(participants=2, instructors=1, coordinator=admin)
    return {"admin": admin, "cohort": cohort}


def post_rules(app: Any) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in (r.methods or set())), key=lambda r: r.rule)


def url_for_rule(rule: Any, value: int) -> str:
    return re.sub(r"<(?:int:)?[^>]+>", str(value), rule.rule)


def test_every_post_with_a_nul_byte_is_a_400_with_a_message(app, client, world):
    """Replays every POST of the url map, as an admin, with a NUL in every text field."""
    login(client, world["admin"])
    answers = {}
    for rule in post_rules(app):
        url = url_for_rule(rule, world["cohort"].id)
        form = {name: NUL for name in FIELDS}
        answers[rule.rule] = client.post(url, data=form)
    wrong = {url: r.status_code for url, r in answers.items() if r.status_code != 400}
    assert not wrong, wrong
    page = next(iter(answers.values())).get_data(as_text=True)
    assert "NUL" in page and "<html" in page


def test_nul_in_json_query_string_path_and_file_names_is_refused(app, client, world):
    login(client, world["admin"])
    assert client.get("/cohorts?q=" + NUL).status_code == 400
    assert client.get(f"/cohorts/{world['cohort'].id}/participants?x=%00").status_code == 400
    assert client.get("/users/%00").status_code in (400, 404)
    response = client.post(
        f"/cohorts/{world['cohort'].id}/roster", data={"file": (io.BytesIO(b"nip,nama,email\n"), "a\x00.csv")}
    )
    assert response.status_code == 400
    response = client.post("/api/v1/cohorts", json={"name": NUL})
    assert response.status_code == 400 and response.is_json and "NUL" in response.json["message"]


def test_nothing_with_a_nul_is_stored_on_either_backend(app, client, world, session):
    login(client, world["admin"])
    before = session.scalar(select(func.count()).select_from(Program))
    from lms.core.predicates import DEFAULT_BANDS, bands_to_text

    response = client.post("/programs/new", data={"code": "NUL1", "name": NUL, "bands": bands_to_text(DEFAULT_BANDS)})
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Program)) == before


@pytest.mark.parametrize("big", [HUGE_ID, 2**63, 10**30])
def test_ids_past_32_bits_are_404_on_every_page(app, client, world, big):
    login(client, world["admin"])
    wrong = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or "<int:" not in rule.rule:
            continue
        response = client.get(url_for_rule(rule, big))
        if response.status_code != 404:
            wrong[rule.rule] = response.status_code
        elif rule.rule.startswith("/api/v1/"):
            assert response.is_json, rule.rule
    assert not wrong, wrong


def test_the_largest_32_bit_id_is_still_an_ordinary_404(app, client, world):
    login(client, world["admin"])
    assert client.get(f"/cohorts/{HUGE_ID - 1}").status_code == 404
    assert client.get(f"/cohorts/{world['cohort'].id}").status_code == 200


def test_huge_values_in_every_form_are_never_a_500(app, client, world):
    """Replays every POST with numbers past 64 bits, long text and absurd dates in every field."""
    login(client, world["admin"])
    failures = {}
    for values in (
        {name: "9" * 30 for name in FIELDS},
        {name: "x" * 100_000 for name in FIELDS},
        {name: "9999-12-31" for name in FIELDS},
        {name: "9999-12-31T23:59" for name in FIELDS},
        {name: str(HUGE_ID) for name in FIELDS},
    ):
        for rule in post_rules(app):
            try:
                status = client.post(url_for_rule(rule, world["cohort"].id), data=values).status_code
            except Exception as exc:  # noqa: BLE001 - the harness reports every kind of crash
                status = f"{type(exc).__name__}: {str(exc)[:120]}"
            if not isinstance(status, int) or status >= 500:
                failures[(rule.rule, next(iter(values.values()))[:12])] = status
    assert not failures, failures


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_a_cohort_date_in_year_9999_is_refused_with_a_message(app, client, world, field):
    login(client, world["admin"])
    cohort = world["cohort"]
    data = {
        "name": "Angkatan X",
        "year": "2026",
        "status": "planned",
        "start_date": "2026-01-05",
        "end_date": "2026-02-05",
        field: "9999-12-31",
    }
    response = client.post(f"/programs/{cohort.program_id}/cohorts/new", data=data)
    assert response.status_code == 422
    assert "2200" in response.get_data(as_text=True)


def test_an_assessment_time_in_year_9999_is_refused_with_a_message(app, client, world):
    login(client, world["admin"])
    cohort = world["cohort"]
    response = client.post(
        f"/cohorts/{cohort.id}/assessments/new",
        data={
            "title": "Refleksi",
            "kind": "reflection",
            "weight": "1",
            "max_submissions": "1",
            "aggregation": "mean",
            "opens_at": "2026-01-01T08:00",
            "due_at": "9999-12-31T23:59",
            "rubric_id": "",
        },
    )
    assert response.status_code == 422, response.status_code
    assert "2200" in response.get_data(as_text=True)


@pytest.mark.parametrize("size", [140_000, 450_000])
def test_a_roster_with_an_endless_header_row_gets_a_clear_error(app, client, world, size):
    login(client, world["admin"])
    data = ("nip," + "x" * size + "\n198609262015051001,Budi\n").encode()
    response = client.post(f"/cohorts/{world['cohort'].id}/roster", data={"file": (io.BytesIO(data), "r.csv")})
    assert response.status_code in (200, 422), response.status_code
    page = response.get_data(as_text=True)
    assert "header" in page.lower() or "kepala" in page.lower() or "baris 1" in page.lower()
    assert "x" * 1000 not in page


def test_a_roster_with_an_endless_cell_names_the_row(app, client, world):
    login(client, world["admin"])
    data = (
        "nip,nama,email\n198609262015051001,Budi,b@example.go.id\n1," + "y" * 300_000 + ",c@example.go.id\n"
    ).encode()
    response = client.post(f"/cohorts/{world['cohort'].id}/roster", data={"file": (io.BytesIO(data), "r.csv")})
    assert response.status_code in (200, 422)
    assert "3" in response.get_data(as_text=True) and "y" * 1000 not in response.get_data(as_text=True)


# -- races: the second of two "create" with the same unique name is a 409, not a 500 ------------


def copy_of(obj: Any) -> Any:
    """A new row with the same column values (what the other request would insert)."""
    from sqlalchemy import inspect

    mapper = inspect(type(obj))
    values = {a.key: getattr(obj, a.key) for a in mapper.column_attrs if a.key != "id"}
    for rel in mapper.relationships:  # a parent given as an object has no id on the row before the flush
        parent = getattr(obj, rel.key) if rel.direction.name == "MANYTOONE" else None
        for local, remote in rel.local_remote_pairs if parent is not None else ():
            values[local.key] = getattr(parent, remote.key)
    return type(obj)(**{k: v for k, v in values.items() if v is not None})


@pytest.fixture
def rival(app):
    """Insert a same-named row from another connection just before the request's own flush: what
    a second request does when both checked "does it exist?" at the same moment."""
    engine = app.extensions["lms.db"].engine
    if not isinstance(engine, Engine):  # the shared test connection: the rival would not be another connection
        raise RuntimeError("the rival needs a connection of its own: mark the test @pytest.mark.real_database")
    armed: list[Any] = []

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        for obj in list(session.new):
            for kind, make in armed:
                if isinstance(obj, kind) and session.bind is not None:
                    armed.clear()
                    try:
                        with Session(bind=engine) as other:
                            other.add(make(obj))
                            other.commit()
                    except Exception as exc:  # the rival itself must work, or the test proves nothing
                        raise RuntimeError(f"the rival insert failed: {exc}") from exc
                    return

    event.listen(Session, "before_flush", before_flush)
    yield armed
    event.remove(Session, "before_flush", before_flush)


@pytest.mark.real_database
def test_two_programs_created_at_once_with_one_code_end_in_one_row_and_a_409(app, client, world, session, rival):
    login(client, world["admin"])
    rival.append((Program, copy_of))
    from lms.core.predicates import DEFAULT_BANDS, bands_to_text

    response = client.post(
        "/programs/new",
        data={"code": "PKP", "name": "Pelatihan Kepemimpinan Pengawas", "bands": bands_to_text(DEFAULT_BANDS)},
    )
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True) or "sudah ada" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).where(Program.code == "PKP")) == 1


@pytest.mark.real_database
def test_two_cohorts_created_at_once_with_one_name_end_in_one_row_and_a_409(app, client, world, session, rival):
    login(client, world["admin"])
    program_id = world["cohort"].program_id
    rival.append((Cohort, copy_of))
    response = client.post(
        f"/programs/{program_id}/cohorts/new",
        data={
            "name": "Angkatan Kembar",
            "year": "2026",
            "status": "planned",
            "start_date": "2026-01-05",
            "end_date": "2026-02-05",
        },
    )
    assert response.status_code == 409, response.status_code
    assert session.scalar(select(func.count()).where(Cohort.name == "Angkatan Kembar")) == 1


@pytest.mark.real_database
def test_a_conflict_under_the_api_is_the_problem_json(app, client, world):
    from sqlalchemy.exc import IntegrityError

    from lms.core.access import PUBLIC, require

    @require(PUBLIC)
    def clash():
        raise IntegrityError("INSERT", {}, Exception("duplicate"))

    app.add_url_rule("/api/v1/_clash", "api_clash_test", clash)
    response = client.get("/api/v1/_clash")
    assert response.status_code == 409 and response.is_json and response.json["error"] == "conflict"
    assert "Set-Cookie" not in response.headers


def test_a_200000_character_query_is_not_echoed_into_the_page_or_the_login_redirect(client):
    """A page hands its own address back (the language form's ``next``, the login's return): a
    huge query string is left out of it, not copied into every page or a Location header."""
    query = "q=" + "x" * 200_000
    page = client.get(f"/login?{query}")
    assert page.status_code == 200
    assert len(page.get_data()) < 50_000
    assert 'name="next" value="/login"' in page.get_data(as_text=True)
    short = client.get("/login?q=abc").get_data(as_text=True)
    assert 'name="next" value="/login?q=abc"' in short
    redirect = client.get(f"/grading/?{query}")
    assert redirect.status_code == 302
    assert len(redirect.headers["Location"]) < 2_100
