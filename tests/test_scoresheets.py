"""Staff-entered scores and the final-result pages over HTTP: the grid (optimistic locking, audit),
the XLSX worksheet round trip, the program's result definition, re-applying, decisions; and what an
attacker from another cohort (or a peserta) gets: nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.cohorts.models import Cohort, Program
from lms.results import definitions, outcomes
from lms.results.definitions import ComponentData
from lms.results.models import DisciplinaryDecision, ResultScheme, SchemeEvent, WorkComponent
from lms.scoresheets import services as sheets
from lms.scoresheets.models import SheetEntry, SheetEvent
from tests.support import login

NOW = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def world(ctx, session, make_cohort, make_user):
    a = make_cohort(participants=3, instructors=1, name="Angkatan A")
    b = make_cohort(participants=1, instructors=1, name="Angkatan B")
    admin = make_user(is_admin=True)
    program = session.get(Program, session.get(Cohort, a.id).program_id)
    definitions.save_definition(
        session,
        program,
        [
            ComponentData("sikap", "Sikap perilaku", Decimal(40)),
            ComponentData("ujian", "Ujian", Decimal(60), minimum=Decimal(60)),
        ],
        admin,
        NOW,
        sources=set(),
    )
    made = {}
    for cohort in (a, b):
        made[cohort.id] = sheets.save_sheet(
            session,
            session.get(Cohort, cohort.id),
            None,
            sheets.SheetData(
                title="Sikap perilaku",
                criteria=[sheets.CriterionData("Integritas"), sheets.CriterionData("Kerja sama")],
                component_key="sikap",
            ),
        )
    session.commit()
    return {"a": a, "b": b, "admin": admin, "program": program, "sheet": made[a.id], "sheet_b": made[b.id]}


def _grid_form(
    page_sheet: Any,
    pid: int,
    values: dict[int, str],
    versions: dict[int, int] | None = None,
    originals: dict[int, str] | None = None,
) -> dict[str, str]:
    data = {}
    for c in page_sheet.criteria:
        if c.id in values:
            data[f"s-{pid}-{c.id}"] = values[c.id]
            data[f"o-{pid}-{c.id}"] = (originals or {}).get(c.id, "")
            data[f"v-{pid}-{c.id}"] = str((versions or {}).get(c.id, 0))
    return data


def test_grid_saves_audits_and_refuses_a_stale_cell_with_409(client, session, world):
    sheet = world["sheet"]
    teacher = world["a"].people["instructors"][0]
    person = world["a"].people["participants"][0]
    c1, c2 = (c.id for c in sheet.criteria)
    login(client, teacher)
    page = client.get(f"/score-sheets/{sheet.id}")
    assert page.status_code == 200 and "data-score-grid" in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True)  # the grid's JS is a module file (strict CSP)
    response = client.post(f"/score-sheets/{sheet.id}", data=_grid_form(sheet, person.id, {c1: "85,5", c2: "90"}))
    assert response.status_code == 303
    entries = {
        e.criterion_id: e for e in session.scalars(select(SheetEntry).where(SheetEntry.observer_id == teacher.id))
    }
    assert (entries[c1].score, entries[c2].score, entries[c1].version) == (Decimal("85.50"), Decimal("90.00"), 1)
    event = session.scalars(select(SheetEvent)).one()
    assert event.after == {str(c1): "85.50", str(c2): "90.00"} and event.actor_id == teacher.id
    # A second tab still showing version 0 with 70 typed: refused, nothing saved, the stored value shown.
    stale = client.post(f"/score-sheets/{sheet.id}", data=_grid_form(sheet, person.id, {c1: "70"}))
    assert stale.status_code == 409 and "table-warning" in stale.get_data(as_text=True)
    session.expire_all()
    assert session.get(SheetEntry, entries[c1].id).score == Decimal("85.50")
    # Bad input: a clear message, 422, nothing saved half-way (the good cell beside it is not saved either).
    bad = client.post(
        f"/score-sheets/{sheet.id}",
        data={**_grid_form(sheet, person.id, {c1: "101", c2: "75"}, {c1: 1, c2: 1}, {c1: "85.50", c2: "90.00"})},
    )
    assert bad.status_code == 422 and "0" in bad.get_data(as_text=True)
    session.expire_all()
    assert session.get(SheetEntry, entries[c2].id).score == Decimal("90.00")


def test_an_instructor_enters_only_their_own_observations(client, session, world):
    sheet = world["sheet"]
    teacher = world["a"].people["instructors"][0]
    coordinator = world["a"].people["coordinator"]
    person = world["a"].people["participants"][0]
    login(client, teacher)
    client.post(
        f"/score-sheets/{sheet.id}",
        data={
            "observer": coordinator.id,
            "observer_role": "penyelenggara",
            **_grid_form(sheet, person.id, {sheet.criteria[0].id: "80"}),
        },
    )
    assert session.scalars(select(SheetEntry).where(SheetEntry.observer_id == coordinator.id)).all() == []
    # Nor as penyelenggara: that role is a coordinator's.
    assert session.scalars(select(SheetEntry).where(SheetEntry.observer_role == "penyelenggara")).all() == []


def test_worksheet_round_trip_imports_only_changes_and_refuses_another_sheets_file(client, session, world):
    sheet = world["sheet"]
    coordinator = world["a"].people["coordinator"]
    people = world["a"].people["participants"]
    c1, c2 = (c.id for c in sheet.criteria)
    login(client, coordinator)
    client.post(f"/score-sheets/{sheet.id}", data=_grid_form(sheet, people[0].id, {c1: "80", c2: "80"}))
    download = client.get(f"/score-sheets/{sheet.id}/worksheet.xlsx")
    assert download.status_code == 200 and download.headers["Cache-Control"].startswith("no-store")
    book = load_workbook(io.BytesIO(download.data))
    ws = book["nilai"]
    rows = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    ws.cell(rows[people[1].id], 4).value = 77.25
    ws.cell(rows[people[1].id], 5).value = "88,5"
    out = io.BytesIO()
    book.save(out)
    response = client.post(
        f"/score-sheets/{sheet.id}/import",
        data={"file": (io.BytesIO(out.getvalue()), "nilai.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    scores = {(e.participant_id, e.criterion_id): e.score for e in session.scalars(select(SheetEntry))}
    assert scores == {
        (people[0].id, c1): Decimal("80.00"),
        (people[0].id, c2): Decimal("80.00"),
        (people[1].id, c1): Decimal("77.25"),
        (people[1].id, c2): Decimal("88.50"),
    }
    assert session.scalars(select(SheetEvent).where(SheetEvent.action == "import")).one().participant_id == people[1].id
    other = client.post(
        f"/score-sheets/{world['sheet_b'].id}/import",
        data={"file": (io.BytesIO(out.getvalue()), "nilai.xlsx")},
        content_type="multipart/form-data",
    )
    assert other.status_code == 403  # not their cohort at all
    client.post("/logout")
    login(client, world["b"].people["coordinator"])
    assert (
        client.post(
            f"/score-sheets/{world['sheet_b'].id}/import",
            data={"file": (io.BytesIO(out.getvalue()), "nilai.xlsx")},
            content_type="multipart/form-data",
        ).status_code
        == 422
    )


def test_definition_editor_validates_weights_and_reapplying_is_recorded(client, session, world):
    program = world["program"]
    cohort = world["a"]
    login(client, world["admin"])
    assert f"/programs/{program.id}/result" in client.get("/programs").get_data(as_text=True)
    page = client.get(f"/programs/{program.id}/result")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and ("defaults to review" in html or "nilai bawaan yang perlu ditinjau" in html)
    form = {
        "base_version": "1",
        "key": ["sikap", "ujian"],
        "name": ["Sikap perilaku", "Ujian"],
        "weight": ["40", "59"],
        "minimum": ["", "60"],
        "source": ["work", "work"],
    }
    refused = client.post(f"/programs/{program.id}/result", data=form)
    assert refused.status_code == 422 and "99" in refused.get_data(as_text=True)
    assert 'value="59"' in refused.get_data(as_text=True)  # what was typed stays
    form["weight"] = ["40", "60,00"]
    form["minimum"] = ["", "65"]
    assert client.post(f"/programs/{program.id}/result", data=form).status_code == 303
    second = session.scalar(select(ResultScheme).where(ResultScheme.version == 2))
    assert second is not None and second.components[1].minimum == Decimal(65)
    # The running cohort kept version 1; re-applying version 2 is recorded.
    assert outcomes.definition_of(session, session.get(Cohort, cohort.id)).version == 1
    client.post("/logout")
    login(client, cohort.people["coordinator"])
    first = session.scalar(select(ResultScheme).where(ResultScheme.version == 1))
    response = client.post(
        f"/cohorts/{cohort.id}/final-result/apply",
        data={"scheme_id": second.id, "base_scheme_id": first.id, "reason": ""},
    )
    assert response.status_code == 302
    assert outcomes.definition_of(session, session.get(Cohort, cohort.id)).version == 2
    assert (
        session.scalars(select(SchemeEvent).where(SchemeEvent.action == "reapply")).one().actor_id
        == cohort.people["coordinator"].id
    )


def test_tags_and_decisions_over_http(client, session, world):
    from lms.assessments import services as assessments

    cohort = session.get(Cohort, world["a"].id)
    exam = assessments.save_assessment(session, None, cohort, assessments.AssessmentFields(title="Ujian tulis"))
    session.commit()
    person = world["a"].people["participants"][0]
    login(client, world["a"].people["coordinator"])
    page = client.get(f"/cohorts/{cohort.id}/final-result")
    assert page.status_code == 200 and "Sikap perilaku" in page.get_data(as_text=True)
    assert client.post(f"/cohorts/{cohort.id}/final-result/tags", data={f"a-{exam.id}": "ujian"}).status_code == 302
    assert session.get(WorkComponent, exam.id).component_key == "ujian"
    client.post(f"/cohorts/{cohort.id}/final-result/decisions", data={"participant_id": person.id, "reason": ""})
    assert session.scalars(select(DisciplinaryDecision)).all() == []  # no grounds, no decision
    client.post(
        f"/cohorts/{cohort.id}/final-result/decisions",
        data={"participant_id": person.id, "reason": "Tidak mematuhi tata tertib"},
    )
    decision = session.scalars(select(DisciplinaryDecision)).one()
    assert outcomes.cohort_outcomes(session, cohort)[person.id].status == "tidak_lulus"
    client.post(f"/result-decisions/{decision.id}/withdraw", data={"reason": "Keberatan diterima"})
    session.expire_all()
    assert session.get(DisciplinaryDecision, decision.id).withdrawn_reason == "Keberatan diterima"
    assert outcomes.cohort_outcomes(session, cohort)[person.id].status == "ditunda"


# The URL rules _attacks() covers, ids written <id>; tests/test_access.py checks none is missing.
ATTACKED_RULES = {
    "/cohorts/<id>/final-result",
    "/cohorts/<id>/final-result/tags",
    "/cohorts/<id>/final-result/apply",
    "/cohorts/<id>/final-result/decisions",
    "/result-decisions/<id>/withdraw",
    "/cohorts/<id>/score-sheets/new",
    "/score-sheets/<id>",
    "/score-sheets/<id>/edit",
    "/score-sheets/<id>/worksheet.xlsx",
    "/score-sheets/<id>/import",
    "/score-sheets/<id>/history",
    "/programs/<id>/result",
}


def _attacks(world: dict[str, Any], session: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every new endpoint aimed at cohort A's objects."""
    a = world["a"]
    sheet = world["sheet"]
    pid = a.people["participants"][0].id
    decision = definitions.record_decision(session, session.get(Cohort, a.id), pid, "x", a.people["coordinator"], NOW)
    session.commit()
    return [
        ("get", f"/cohorts/{a.id}/final-result", {}),
        ("post", f"/cohorts/{a.id}/final-result/tags", {}),
        ("post", f"/cohorts/{a.id}/final-result/apply", {"scheme_id": "1", "reason": "x"}),
        ("post", f"/cohorts/{a.id}/final-result/decisions", {"participant_id": pid, "reason": "x"}),
        ("post", f"/result-decisions/{decision.id}/withdraw", {"reason": "x"}),
        ("get", f"/cohorts/{a.id}/score-sheets/new", {}),
        ("post", f"/cohorts/{a.id}/score-sheets/new", {"title": "x", "criteria": "x"}),
        ("get", f"/score-sheets/{sheet.id}", {}),
        ("post", f"/score-sheets/{sheet.id}", {f"s-{pid}-{sheet.criteria[0].id}": "99"}),
        ("get", f"/score-sheets/{sheet.id}/edit", {}),
        ("post", f"/score-sheets/{sheet.id}/edit", {"title": "x", "criteria": "x"}),
        ("get", f"/score-sheets/{sheet.id}/worksheet.xlsx", {}),
        ("post", f"/score-sheets/{sheet.id}/import", {}),
        ("get", f"/score-sheets/{sheet.id}/history", {}),
        ("get", f"/programs/{world['program'].id}/result", {}),
        ("post", f"/programs/{world['program'].id}/result", {"key": "x", "name": "x", "weight": "100"}),
    ]


@pytest.mark.parametrize("attacker", ["coordinator_b", "instructor_b", "participant_a"])
def test_people_outside_cohort_a_staff_get_403_everywhere(client, session, world, attacker):
    person = {
        "coordinator_b": world["b"].people["coordinator"],
        "instructor_b": world["b"].people["instructors"][0],
        "participant_a": world["a"].people["participants"][1],
    }[attacker]
    attacks = _attacks(world, session)
    login(client, person)
    for method, url, data in attacks:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, (attacker, method, url, response.status_code)
    assert session.scalars(select(SheetEntry)).all() == []
    assert len(session.scalars(select(DisciplinaryDecision)).all()) == 1


def test_instructor_of_the_cohort_enters_scores_but_manages_nothing(client, session, world):
    attacks = {(m, u): d for m, u, d in _attacks(world, session)}
    login(client, world["a"].people["instructors"][0])
    sheet = world["sheet"]
    allowed = {
        ("get", f"/cohorts/{world['a'].id}/final-result"),
        ("get", f"/score-sheets/{sheet.id}"),
        ("get", f"/score-sheets/{sheet.id}/worksheet.xlsx"),
    }
    for (method, url), data in attacks.items():
        if (method, url) in allowed:
            assert getattr(client, method)(url, data=data).status_code == 200, url
        elif url.endswith(("/import", f"/score-sheets/{sheet.id}")):
            continue  # entering scores is theirs (tested above)
        else:
            assert getattr(client, method)(url, data=data).status_code == 403, (method, url)


def test_outcomes_and_the_grid_run_a_fixed_number_of_queries(app, session, make_cohort, make_user):
    from lms.results.table import build_table
    from tests.support import count_queries

    counts = []
    program = Program(code="PKP", name="Pelatihan Kepemimpinan Pengawas")
    session.add(program)
    session.flush()
    definitions.save_definition(
        session, program, [ComponentData("sikap", "Sikap perilaku", Decimal(100))], None, NOW, sources=set()
    )
    session.commit()
    for size in (3, 12):
        made = make_cohort(participants=size, instructors=1, program=program)
        cohort = session.get(Cohort, made.id)
        sheet = sheets.save_sheet(
            session,
            cohort,
            None,
            sheets.SheetData(
                title="Sikap", criteria=[sheets.CriterionData("A"), sheets.CriterionData("B")], component_key="sikap"
            ),
        )
        teacher = made.people["instructors"][0]
        sheets.save_scores(
            session,
            sheet,
            teacher,
            teacher.id,
            sheets.ObserverRole.WIDYAISWARA,
            [sheets.CellInput(p.id, c.id, "80", 0) for p in made.people["participants"] for c in sheet.criteria],
            NOW,
        )
        session.commit()
        with app.test_request_context(), count_queries(app) as statements:
            table = build_table(session, cohort)
        assert {r.outcome.status for r in table.rows} == {"lulus"}
        client = app.test_client()
        login(client, teacher)
        with count_queries(app) as page:
            assert client.get(f"/score-sheets/{sheet.id}").status_code == 200
        counts.append((len(statements), len(page)))
        session.expire_all()
    assert counts[0] == counts[1], counts


def test_moving_work_or_reweighting_a_sheet_after_scoring_is_recorded(client, session, world):
    from lms.assessments import services as assessments

    cohort = session.get(Cohort, world["a"].id)
    exam = assessments.save_assessment(session, None, cohort, assessments.AssessmentFields(title="Ujian tulis"))
    session.commit()
    coordinator = world["a"].people["coordinator"]
    login(client, coordinator)
    client.post(f"/cohorts/{cohort.id}/final-result/tags", data={f"a-{exam.id}": "ujian"})
    assert session.scalars(select(SchemeEvent)).all() == []  # nothing scored yet: nothing moved
    sheet = world["sheet"]
    person = world["a"].people["participants"][0]
    client.post(f"/score-sheets/{sheet.id}", data=_grid_form(sheet, person.id, {sheet.criteria[0].id: "80"}))
    client.post(f"/cohorts/{cohort.id}/final-result/tags", data={f"a-{exam.id}": "", "reason": "Salah pilih"})
    client.post(
        f"/score-sheets/{sheet.id}/edit",
        data={
            "title": "Sikap perilaku",
            "criteria": "Integritas | 2\nKerja sama",
            "component_key": "sikap",
            "weight": "1",
            "combination": "median",
            "observers_required": "1",
        },
    )
    events = session.scalars(select(SchemeEvent).order_by(SchemeEvent.id)).all()
    assert [e.action for e in events] == ["retag", "sheet"]
    assert "Ujian tulis: ujian → —" in events[0].reason and "Salah pilih" in events[0].reason
    assert "median" in events[1].reason and events[1].actor_id == coordinator.id and events[1].graded == 1
    page = client.get(f"/cohorts/{cohort.id}/final-result").get_data(as_text=True)
    assert "Salah pilih" in page
