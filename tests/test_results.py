"""The cohort result table: scores from released grades only, the final score, predicates, ranks,
plugin columns, the results page with its charts, a participant's own sheet, and fixed query counts.

The cohorts with grades it reads (``arrange``, ``give``, ``graded_world``, ``demo_with_results``)
are built by tests/factories.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from lms.assessments.models import Aggregation
from lms.cohorts.models import Cohort, Membership
from lms.grading import services as grading
from lms.plugins import manager
from lms.plugins.types import PackedValues, packed_ids
from lms.results.charts import criterion_averages, histogram
from lms.results.details import criterion_rows
from lms.results.table import (
    AssessmentColumn,
    Cell,
    CellState,
    ResultRow,
    build_table,
    final_score,
    rank_rows,
)
from lms.users.models import User
from tests.factories import NOW, arrange, give, graded_world
from tests.support import count_queries, login


def user(session: Any, user_id: int) -> User:
    return session.get(User, user_id)


class Cells(HTMLParser):
    """The results page's table: per participant row, the cells with their data attributes."""

    def __init__(self, table_id: str = "results") -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: dict[int, dict[str, str]] = {}
        self.row: dict[str, str] | None = None
        self.key: str | None = None
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "tr" and a.get("data-participant"):
            self.row = self.rows.setdefault(int(a["data-participant"]), {})
        elif tag == "td" and self.row is not None:
            classes = (a.get("class") or "").split()
            if a.get("data-assessment"):
                self.key = "a" + a["data-assessment"]
            elif a.get("data-column"):
                self.key = "c" + a["data-column"]
            else:
                self.key = next((c for c in ("rank", "nip", "name", "final", "predicate") if c in classes), None)
            if self.key:
                self.row[self.key] = ""
        elif tag == "span" and self.row is not None and self.key and a.get("data-state"):
            self.row[self.key + ":state"] = a["data-state"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.key = None
        elif tag == "tr":
            self.row = None
        elif tag == "table" and self.inside:
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.row is not None and self.key:
            self.row[self.key] = (self.row[self.key] + data).strip()


def screen_rows(html: str, table_id: str = "results") -> dict[int, dict[str, str]]:
    parser = Cells(table_id)
    parser.feed(html)
    return parser.rows


# -- the rules, as pure functions ------------------------------------------------------------------


def column(aid: int, weight: str) -> AssessmentColumn:
    return AssessmentColumn(
        id=aid, title=f"A{aid}", kind="reflection", weight=Decimal(weight), aggregation="mean", best_n=1
    )


def test_packed_values_read_like_the_dict_of_every_asked_id():
    ids = packed_ids([40, 7, 300, 7])
    assert list(ids) == [7, 40, 300]
    counts, scores = PackedValues(ids, fill=0), PackedValues(ids, kind="score")
    counts.put(counts.index(300), 3)
    scores.put(scores.index(7), Decimal("87.50"))
    scores.put(scores.index(40), Decimal("100.00"))
    assert counts == {7: 0, 40: 0, 300: 3}
    assert scores == {7: Decimal("87.50"), 40: Decimal("100.00"), 300: None}
    # The same Decimal back (two places: an export writes its text), None and missing ids as a dict.
    assert str(scores.get(7)) == "87.50" and str(scores[40]) == "100.00"
    assert scores.get(8) is None and counts.get(8, "x") == "x" and counts.index(8) is None
    with pytest.raises(KeyError):
        counts[8]
    with pytest.raises(ValueError):
        scores.put(0, Decimal("87.5"))  # not two places: it would not read back the same


def test_final_score_is_the_weighted_mean_of_weighted_assessments():
    cols = [column(1, "1"), column(2, "2"), column(3, "0")]
    cells = {
        1: Cell(CellState.SCORED, Decimal("100")),
        2: Cell(CellState.SCORED, Decimal("75")),
        3: Cell(CellState.NOT_SUBMITTED),
    }
    assert final_score(cols, cells) == Decimal("83.33")


def test_final_score_rounds_once_from_exact_assessment_scores():
    """Item 10.18: half-way values round up, and the final comes from the exact assessment scores."""
    from fractions import Fraction

    cols = [column(1, "1"), column(2, "1")]
    half_way = {1: Cell(CellState.SCORED, Decimal("65.62")), 2: Cell(CellState.SCORED, Decimal("65.63"))}
    assert final_score(cols, half_way) == Decimal("65.63")  # exactly 65.625
    # A mean of 70.00 and 70.01 is exactly 70.005 (shown 70.01); with 80 the final is exactly 75.0025:
    # 75.00, where rounding the shown 70.01 again gave 75.01.
    cells = {
        1: Cell(CellState.SCORED, Decimal("70.01"), Fraction(70005, 1000)),
        2: Cell(CellState.SCORED, Decimal("80.00"), Fraction(80)),
    }
    assert final_score(cols, cells) == Decimal("75.00")
    thirds = [column(1, "1"), column(2, "1"), column(3, "1")]
    exact_thirds = {i: Cell(CellState.SCORED, Decimal("65.62"), Fraction(65625, 1000)) for i in (1, 2, 3)}
    assert final_score(thirds, exact_thirds) == Decimal("65.63")


@pytest.mark.parametrize("state", [CellState.NOT_GRADED, CellState.NOT_SUBMITTED, CellState.UNSCORED])
def test_missing_work_makes_the_final_incomplete_never_zero(state):
    cols = [column(1, "1"), column(2, "2")]
    assert final_score(cols, {1: Cell(CellState.SCORED, Decimal("90")), 2: Cell(state)}) is None


def test_no_weighted_assessment_means_no_final_score():
    assert final_score([column(1, "0")], {1: Cell(CellState.SCORED, Decimal("90"))}) is None


def row_with(final: str | None, name: str) -> ResultRow:
    return ResultRow(
        participant_id=hash(name) % 1000,
        name=name,
        email="",
        nip="",
        instansi="",
        unit="",
        jabatan="",
        golongan="",
        cells={},
        final=None if final is None else Decimal(final),
    )


def test_ties_share_a_rank_and_the_next_rank_skips():
    rows = [
        row_with("80.00", "A"),
        row_with("95.00", "B"),
        row_with("80.00", "C"),
        row_with(None, "D"),
        row_with("70.10", "E"),
    ]
    rank_rows(rows)
    assert {r.name: r.rank for r in rows} == {"B": 1, "A": 2, "C": 2, "E": 4, "D": None}


@pytest.mark.parametrize(
    ("score", "band"),
    [
        ("0", "0–10"),
        ("10", "0–10"),
        ("10.01", "10–20"),
        ("90", "80–90"),
        ("90.01", "90–100"),
        ("100", "90–100"),
        ("55.5", "50–60"),
    ],
)
def test_histogram_bands_close_on_the_right_like_the_predicates(score, band):
    bins = histogram([Decimal(score), None])
    assert sum(b.count for b in bins) == 1
    assert next(b for b in bins if b.count).label == band


# -- the table from real grades --------------------------------------------------------------------


@pytest.fixture
def world(ctx, session, make_cohort):
    return graded_world(session, make_cohort)


def table_of(session, world):
    return build_table(session, session.get(Cohort, world["cohort"].id))


def test_scores_come_from_released_grades_and_missing_work_is_marked(world, session):
    table = table_of(session, world)
    a1, a2, a0 = (a.id for a in world["assessments"])
    p = [r.id for r in world["participants"]]
    rows = {r.participant_id: r for r in table.rows}
    assert rows[p[0]].cells[a1][:2] == (CellState.SCORED, Decimal("100.00"))
    assert rows[p[0]].cells[a2][:2] == (CellState.SCORED, Decimal("75.00"))
    assert rows[p[0]].cells[a0][:2] == (CellState.SCORED, Decimal("25.00"))
    # A final grade that is not released yet is "not graded"; so is work without any grade.
    assert rows[p[3]].cells[a1] == Cell(CellState.NOT_GRADED)
    assert rows[p[3]].cells[a2] == Cell(CellState.NOT_GRADED)
    assert rows[p[3]].cells[a0] == Cell(CellState.NOT_SUBMITTED)
    assert rows[p[3]].final is None and not rows[p[3]].complete and rows[p[3]].rank is None


def test_final_predicate_and_rank(world, session):
    table = table_of(session, world)
    p = [r.id for r in world["participants"]]
    rows = {r.participant_id: r for r in table.rows}
    # (100·1 + 75·2) / 3; the weight-0 assessment (25) does not count.
    assert rows[p[0]].final == Decimal("83.33") and rows[p[0]].predicate == "Memuaskan" and rows[p[0]].rank == 1
    assert rows[p[1]].final == rows[p[2]].final == Decimal("50.00")
    assert rows[p[1]].predicate == "Tidak Memuaskan"
    assert rows[p[1]].rank == rows[p[2]].rank == 2
    assert table.ranked == 3
    assert [r.participant_id for r in table.rows][:1] == [p[0]], "ranked rows come first"


def test_predicate_follows_the_programs_own_bands(world, session):
    cohort = session.get(Cohort, world["cohort"].id)
    cohort.program.predicate_bands = [
        {"above": 80, "label": "Lulus dengan pujian"},
        {"above": 45, "label": "Lulus"},
        {"above": None, "label": "Belum lulus"},
    ]
    session.commit()
    rows = {r.participant_id: r for r in table_of(session, world).rows}
    p = [r.id for r in world["participants"]]
    assert rows[p[0]].predicate == "Lulus dengan pujian"
    assert rows[p[1]].predicate == "Lulus"


def test_best_of_n_aggregates_released_attempts(ctx, session, make_cohort):
    world = arrange(session, make_cohort, 1, weights=(1,), max_submissions=3, aggregation=Aggregation.BEST, best_n=2)
    (a,) = world["assessments"]
    give(session, world, a, 0, (0, 0))  # 25
    give(session, world, a, 0, (3, 3))  # 100
    give(session, world, a, 0, (1, 1))  # 50
    row = table_of(session, world).rows[0]
    assert row.cells[a.id][:2] == (CellState.SCORED, Decimal("75.00"))  # best two: (100 + 50) / 2
    assert row.final == Decimal("75.00")


def test_a_released_grade_without_rubric_is_graded_without_score(ctx, session, make_cohort):
    world = arrange(session, make_cohort, 1, weights=(1,))
    (a,) = world["assessments"]
    a.rubric_id = None
    session.commit()
    submission = give(session, world, a, 0, None)
    grade = grading.save_grade(
        session,
        submission,
        world["teacher"],
        grading.GradeInput(levels={}, comments={}, feedback="Catatan saja.", finalize=True),
        None,
        NOW,
    )
    grading.release(session, grade, world["teacher"], NOW)
    session.commit()
    row = table_of(session, world).rows[0]
    assert row.cells[a.id] == Cell(CellState.UNSCORED)
    assert row.released and not row.complete


def test_people_who_left_the_cohort_are_not_in_the_table(world, session):
    leaver = world["participants"][0]
    session.execute(Membership.__table__.delete().where(Membership.user_id == leaver.id))
    session.commit()
    table = table_of(session, world)
    assert leaver.id not in {r.participant_id for r in table.rows}
    assert all(item.participant_id != leaver.id for item in criterion_rows(session, table))


def test_criterion_averages_over_released_grades(world, session):
    table = table_of(session, world)
    a1 = world["assessments"][0]
    averages = {c.title: c for c in criterion_averages(session, table)[a1.id]}
    # Released on Tugas 1: levels 4, 2, 2 points (participant 3's final grade is not released).
    assert averages["Relevansi"].average == Decimal("2.67") and averages["Relevansi"].graded == 3
    assert averages["Relevansi"].max_points == Decimal(4)
    # 8 of 12 points: 66.67 %, from the exact mean (not 66.75 from the rounded 2.67: round once).
    assert averages["Relevansi"].percent == Decimal("66.67")


# -- the page ----------------------------------------------------------------------------------------


def test_results_page_shows_the_table_and_charts(world, session, client):
    cohort = world["cohort"]
    login(client, cohort.people["coordinator"])
    response = client.get(f"/cohorts/{cohort.id}/results")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = screen_rows(html)
    p = [r.id for r in world["participants"]]
    a1, a2, a0 = (a.id for a in world["assessments"])
    assert rows[p[0]]["final"] == "83,33" and rows[p[0]]["predicate"] == "Memuaskan"
    assert "rank" not in rows[p[0]], "a program ranks its peserta only when it says so"
    cohort.program.show_rank = True
    session.commit()
    ranked = screen_rows(client.get(f"/cohorts/{cohort.id}/results").get_data(as_text=True))
    assert ranked[p[0]]["rank"] == "1"
    assert rows[p[3]][f"a{a1}:state"] == "not_graded" and rows[p[3]][f"a{a0}:state"] == "not_submitted"
    assert rows[p[3]]["final:state"] == "incomplete"
    marked = [(r[k.split(":")[0]], r[k]) for r in rows.values() for k in r if k.endswith(":state")]
    assert marked and not [text for text, _state in marked if re.search(r"\d", text)], "missing work is never a number"
    for chart in ("chart-final", "chart-predicates", f"chart-assessment-{a1}"):
        assert re.search(rf'<svg[^>]+id="{chart}"', html), chart
    assert "<script>" not in html.split("</main>")[0].split('<main id="main"')[1]
    assert 'style="' not in html
    assert f'id="criteria-{a1}"' in html
    # One bar per score band; participant 0's 83.33 sits in 80–90.
    final_chart = html.split('id="chart-final"')[1].split("</svg>")[0]
    assert final_chart.count('class="bar"') == 10
    assert "80–90: 1" in final_chart


def test_results_tab_for_staff_and_my_results_for_participants(world, client):
    cohort = world["cohort"]
    login(client, cohort.people["instructors"][0])
    assert f'href="/cohorts/{cohort.id}/results"' in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, world["participants"][0])
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f'href="/cohorts/{cohort.id}/results/mine"' in page and f'href="/cohorts/{cohort.id}/results"' not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 200), ("instructor", 200), ("participant", 403), ("outsider", 403), ("admin", 200)],
)
def test_who_sees_the_results_page_and_exports(world, client, make_user, who, status):
    cohort = world["cohort"]
    person = {
        "coordinator": cohort.people["coordinator"],
        "instructor": cohort.people["instructors"][0],
        "participant": world["participants"][0],
        "outsider": make_user(),
        "admin": make_user(is_admin=True),
    }[who]
    login(client, person)
    assert client.get(f"/cohorts/{cohort.id}/results").status_code == status
    assert client.get(f"/cohorts/{cohort.id}/results/export?format=csv").status_code == status


def test_another_cohorts_staff_cannot_see_results(world, session, client, make_cohort):
    other = make_cohort(participants=1, instructors=1, name="Angkatan Lain")
    login(client, other.people["coordinator"])
    assert client.get(f"/cohorts/{world['cohort'].id}/results").status_code == 403
    assert client.get(f"/cohorts/{world['cohort'].id}/results/export?format=xlsx").status_code == 403
    assert client.get("/cohorts/999999/results").status_code == 404


def test_sort_links_sort_and_keep_missing_values_last(world, client):
    cohort = world["cohort"]
    a1 = world["assessments"][0].id
    login(client, cohort.people["coordinator"])
    html = client.get(f"/cohorts/{cohort.id}/results?sort=a{a1}&dir=asc").get_data(as_text=True)
    order = list(screen_rows(html))
    p = [r.id for r in world["participants"]]
    assert order[:3] == [p[1], p[2], p[0]] or order[:3] == [p[2], p[1], p[0]]
    assert order[-1] == p[3]  # not graded: last whichever way
    html = client.get(f"/cohorts/{cohort.id}/results?sort=a{a1}&dir=desc").get_data(as_text=True)
    order = list(screen_rows(html))
    assert order[0] == p[0] and order[-1] == p[3]
    assert 'aria-sort="descending"' in html
    assert f'href="/cohorts/{cohort.id}/results?sort=a{a1}&amp;dir=asc"' in html
    # Names A to Z, and back.
    names = [
        r["name"]
        for r in screen_rows(client.get(f"/cohorts/{cohort.id}/results?sort=name").get_data(as_text=True)).values()
    ]
    assert names == sorted(names, key=str.casefold)
    names = [
        r["name"]
        for r in screen_rows(
            client.get(f"/cohorts/{cohort.id}/results?sort=name&dir=desc").get_data(as_text=True)
        ).values()
    ]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert client.get(f"/cohorts/{cohort.id}/results?sort=nonsense&dir=sideways").status_code == 200


# -- a participant's own results ------------------------------------------------------------------


def test_participant_downloads_own_sheet_once_released(world, client, session):
    cohort = world["cohort"]
    released, waiting = world["participants"][0], world["participants"][3]
    login(client, waiting)
    page = client.get(f"/cohorts/{cohort.id}/results/mine")
    assert page.status_code == 200 and "results/mine.pdf" not in page.get_data(as_text=True)
    refused = client.get(f"/cohorts/{cohort.id}/results/mine.pdf")
    assert refused.status_code == 403 and 'id="results-problem"' in refused.get_data(as_text=True)
    client.post("/logout")
    login(client, released)
    page = client.get(f"/cohorts/{cohort.id}/results/mine").get_data(as_text=True)
    assert 'id="download-sheet"' in page and "83,33" in page and "Bagus." in page
    pdf = client.get(f"/cohorts/{cohort.id}/results/mine.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    assert released.profile.nip in pdf.headers["Content-Disposition"]
    from tests.test_exports import pdf_text

    text = pdf_text(pdf.data)
    assert released.name in text and "83,33" in text
    assert waiting.name not in text and world["participants"][1].name not in text, "only one's own sheet"


def test_staff_have_no_own_sheet(world, client):
    login(client, world["cohort"].people["coordinator"])
    assert client.get(f"/cohorts/{world['cohort'].id}/results/mine").status_code == 403


def test_own_results_show_released_grades_only(world, client, session):
    cohort = world["cohort"]
    login(client, world["participants"][3])  # a final grade exists, not released
    page = client.get(f"/cohorts/{cohort.id}/results/mine").get_data(as_text=True)
    assert "100,00" not in page and "Analisis baik" not in page


# -- plugin columns ---------------------------------------------------------------------------------


def with_results_plugin(monkeypatch):
    real = manager.discover

    def discover():
        found = real()
        found["resultsdemo"] = EntryPoint(name="resultsdemo", value="tests.results_plugin", group=manager.GROUP)
        return found

    monkeypatch.setattr(manager, "discover", discover)


@pytest.fixture
def plugin_app(app_factory, monkeypatch):
    from tests import results_plugin

    with_results_plugin(monkeypatch)
    results_plugin.calls.clear()
    return app_factory(PLUGINS=["resultsdemo"])


def test_plugin_columns_are_asked_once_for_everyone_and_rendered(plugin_app, session, make_cohort):
    from tests import results_plugin

    with plugin_app.test_request_context():
        world = graded_world(session, make_cohort)
    client = plugin_app.test_client()
    login(client, world["cohort"].people["coordinator"])
    results_plugin.calls.clear()
    html = client.get(f"/cohorts/{world['cohort'].id}/results").get_data(as_text=True)
    assert results_plugin.calls == [sorted(r.id for r in world["participants"])], "one batched call"
    rows = screen_rows(html)
    p = [r.id for r in world["participants"]]
    assert rows[p[0]]["csubmitted"] == "3"
    assert rows[p[3]]["csubmitted"] == "2"
    assert rows[p[1]]["cmotto"] == '=HYPERLINK("http://x","y")'
    assert rows[p[0]]["cvisit"] == "77,50" and rows[p[2]]["cvisit"] == "—"
    assert "Submitted works" in html
    # The count column is summed in the totals chart (the adoption funnel, with the benchmarking plugin).
    totals = html.split('id="chart-totals"')[1].split("</svg>")[0]
    with plugin_app.test_request_context():
        from flask_babel import gettext

        assert f"Submitted works: {gettext('%(total)s (%(people)s participants)', total='9', people=4)}" in totals


def test_plugin_sorting_by_its_column(plugin_app, session, make_cohort):
    with plugin_app.test_request_context():
        world = graded_world(session, make_cohort)
    client = plugin_app.test_client()
    login(client, world["cohort"].people["coordinator"])
    html = client.get(f"/cohorts/{world['cohort'].id}/results?sort=cvisit&dir=desc").get_data(as_text=True)
    order = list(screen_rows(html))
    assert order[0] == world["participants"][0].id
    assert order[-1] in {world["participants"][2].id, world["participants"][3].id}


def test_a_malformed_plugin_column_fails_loudly(plugin_app, session, make_cohort, monkeypatch):
    from lms.plugins.types import ResultColumn
    from tests import results_plugin

    with plugin_app.test_request_context():
        world = arrange(session, make_cohort, 1)
        cohort = session.get(Cohort, world["cohort"].id)
        monkeypatch.setattr(results_plugin, "EXTRA", [ResultColumn("odd", "Odd", {}, kind="colour")])
        with pytest.raises(ValueError, match="kind 'colour'"):
            build_table(session, cohort)


# -- query counts -------------------------------------------------------------------------------------


def queries_for(app, client, url):
    client.get(url)  # warm: first-request work is not the page's
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("path", ["", "?sort=final&dir=desc", "/export?format=csv", "/export?format=xlsx"])
def test_page_and_exports_run_a_fixed_number_of_queries(app, session, make_cohort, path):
    counts = []
    for size in (3, 12):
        with app.test_request_context():
            world = graded_world(session, make_cohort, participants=size)
        client = app.test_client()
        login(client, world["cohort"].people["coordinator"])
        counts.append(queries_for(app, client, f"/cohorts/{world['cohort'].id}/results{path}"))
    assert counts[0] == counts[1], counts


def test_own_sheet_runs_a_fixed_number_of_queries(app, session, make_cohort):
    counts = []
    for size in (3, 12):
        with app.test_request_context():
            world = graded_world(session, make_cohort, participants=size)
        client = app.test_client()
        login(client, world["participants"][0])
        counts.append(queries_for(app, client, f"/cohorts/{world['cohort'].id}/results/mine.pdf"))
    assert counts[0] == counts[1], counts
