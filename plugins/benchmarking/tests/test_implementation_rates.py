"""Did it work? Three cohorts of one host followed up at 3 and 12 months: the implementation page,
its CSV and the API show the rates this test computes from the facts it seeded itself, never from
the service; each audience sees what rules.py lets it see (issue 16)."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.api.services import create_token
from lms.cohorts.models import Cohort
from lms.core.errors import DomainError
from lms.users.models import ParticipantProfile
from plugins.benchmarking import followups, implementation, mentors, practices, services
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.models import (
    ChangeProjectLink,
    FollowupRound,
    GroupMember,
    Host,
    Lokus,
    Mentor,
    MentorReview,
    VisitGroup,
)
from plugins.benchmarking.tests.test_mentors import TODAY, invite, mentor_link
from plugins.benchmarking.tests.test_practices import logged, plugin_on, world  # noqa: F401  (fixtures)
from tests.support import login

pytestmark = pytest.mark.usefixtures("plugin_on")
NOW = datetime(2026, 9, 12, 10, 0, tzinfo=UTC)  # during the visit: practices are logged then
LATER = date(2030, 1, 1)  # every round is open by then (reports need an open round)
IMPLEMENTED = {"implemented", "sustained"}


@dataclass
class Spec:
    """One practice: its stage, its reports (months → status), the months whose report a mentor
    confirms, and whether it is published (so its title shows outside its cohort)."""

    title: str
    stage: str
    reports: dict[int, str] = field(default_factory=dict)
    confirmed: set[int] = field(default_factory=set)
    disputed: set[int] = field(default_factory=set)
    corrected_after_confirming: set[int] = field(default_factory=set)  # confirmed, then the report changed
    published: bool = False
    submitted: bool = True


PLAN: dict[str, list[Spec]] = {
    "Angkatan I": [
        Spec("Rumah sakit tanpa kelas", "adapted", {3: "implemented", 12: "sustained"}, {3, 12}, published=True),
        Spec("Mal pelayanan publik", "adopted", {3: "in_progress", 12: "implemented"}, {12}, published=True),
        Spec("Pengaduan satu aplikasi", "adopted", {3: "planned", 12: "discontinued"}, published=True),
        Spec("Survei kepuasan", "identified"),
        Spec("Tunjangan berbasis pengaduan", "identified"),
    ],
    "Angkatan II": [
        Spec("rumah sakit  tanpa kelas", "adapted", {3: "implemented", 12: "discontinued"}, {3}, published=True),
        Spec("Mal pelayanan publik", "adapted", {3: "implemented"}, disputed={3}, published=True),
        Spec("Pengaduan satu aplikasi", "adopted", {3: "in_progress"}, published=True),
        Spec("Papan antrean daring", "adopted", {3: "implemented", 12: "implemented"}, corrected_after_confirming={3}),
        Spec("Survei kepuasan", "identified"),
        Spec("Draft yang belum diserahkan", "adopted", submitted=False),
    ],
    "Angkatan III": [
        Spec("Rumah sakit tanpa kelas", "adopted", {3: "implemented", 12: "sustained"}, {12}, published=True),
        Spec("Pengaduan satu aplikasi", "adapted", {3: "planned"}, published=True),
        Spec("Survei kepuasan", "identified"),
    ],
}


def expected(specs: list[Spec]) -> dict[str, int]:
    """The counts, from the plan alone."""
    done = [s for s in specs if s.submitted]
    taken = [s for s in done if s.stage != "identified"]

    def implemented_at(s: Spec, months: int) -> bool:
        return s.reports.get(months) in IMPLEMENTED

    return {
        "identified": len(done),
        "adopted": sum(s.stage == "adopted" for s in done),
        "adapted": sum(s.stage == "adapted" for s in done),
        "implemented": sum(any(v in IMPLEMENTED for v in s.reports.values()) for s in taken),
        "sustained": sum(implemented_at(s, 12) for s in taken),
        "confirmed_by_mentor": sum(
            any(implemented_at(s, m) for m in s.confirmed - s.corrected_after_confirming) for s in taken
        ),
    }


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


FIELDS: dict[str, dict[str, Any]] = {
    "adopted": {"adoption_plan": "Menerapkan apa adanya di dinas kami."},
    "adapted": {
        "changes": "Dimulai di satu unit percontohan.",
        "reasons": ("budget",),
        "target_unit": "Dinas",
        "timeline": "6 bulan",
    },
    "identified": {},
}


@pytest.fixture
def three(ctx, session, make_cohort, make_user):
    """The host, its three cohorts (each with its coordinator) per PLAN, and a cohort of another host."""
    host = services.save_host(session, None, name="Pemerintah Kota Pontianak")
    other = services.save_host(session, None, name="Pemerintah Kabupaten Banyuwangi")
    cohorts = {}
    placed: list[tuple[int, Spec]] = []
    for index, (name, specs) in enumerate(PLAN.items()):
        cohort = make_cohort(participants=len(specs), instructors=1, name=name)
        cohorts[name] = cohort
        _seed(session, host, cohort, specs, agency=f"Pemkab {index}", lokus=2 if index == 0 else 1)
        placed.extend(zip([p.id for p in cohort.people["participants"]], specs, strict=True))
    stray = make_cohort(participants=1, name="Angkatan Lain")
    _seed(session, other, stray, [Spec("Rumah sakit tanpa kelas", "adopted", {3: "implemented"}, {3})], "Pemkab X")
    session.commit()
    return {"host": host, "other": other, "cohorts": cohorts, "stray": stray, "placed": placed}


def _seed(session: Any, host: Any, cohort: Any, specs: list[Spec], agency: str, lokus: int = 1) -> None:
    cohort_row = session.get(Cohort, cohort.id)
    visit = services.save_visit(
        session,
        None,
        cohort=cohort_row,
        host=host,
        theme="Inovasi pelayanan publik",
        start_date=date(2026, 9, 12),
        end_date=date(2026, 9, 12),
        guiding_questions="Apa?",
        min_practices=1,  # a peserta here logs one practice; the minimum is tested in test_lokus.py
    )
    practices.ensure_assessments(session, visit, None)
    visit.min_practices = 1  # each peserta here logs one practice
    if lokus == 2:
        lokus_service.save(
            session,
            visit,
            None,
            lokus_service.LokusFields(host_id=host.id, name="RSUD Sultan Syarif Mohamad Alkadrie"),
        )
    services.split_groups(session, visit, lokus)
    rounds = {
        months: followups.open_round(
            session,
            cohort_row,
            f"{months} bulan",
            followups.add_months(cohort_row.end_date, months),
            followups.add_months(cohort_row.end_date, months) + timedelta(days=30),
            months=months,
        )
        for months in (3, 12)
    }
    for person, spec in zip(cohort.people["participants"], specs, strict=True):
        session.get(ParticipantProfile, person.id).instansi = f"{agency} / {person.id % 2}"
        fields = practices.PracticeFields(
            title=spec.title, category="health", stage=spec.stage, identified="Apa yang dilakukan tuan rumah."
        )
        for key, value in FIELDS[spec.stage].items():
            setattr(fields, key, value)
        practice = practices.create_practice(session, visit, person, fields, NOW)
        if not spec.submitted:
            continue
        practices.submit_practice(session, practice, person, NOW)
        if spec.published:
            practices.set_published(session, practice, True)
        mentor = Mentor(participant_id=person.id, name="Atasan", email=f"atasan{person.id}@example.go.id")
        mentor.link_nonce = "n"
        session.add(mentor)
        session.flush()
        for months, status in spec.reports.items():
            report = followups.report(
                session,
                rounds[months],
                practice,
                person,
                status=status,
                outcome="Sudah berjalan." if status in IMPLEMENTED else "",
                discontinued_reason="Anggaran dipotong." if status == "discontinued" else "",
                evidence_links="",
                today=LATER,
                now=NOW + timedelta(days=months * 30),
            )
            for verdict, which in (("confirmed", spec.confirmed), ("disputed", spec.disputed)):
                if months in which:
                    mentors.answer(
                        session,
                        mentor,
                        rounds[months],
                        report.id,
                        verdict=verdict,
                        comment="" if verdict == "confirmed" else "Belum terlihat di lapangan.",
                        now=NOW + timedelta(days=months * 30 + 1),
                    )
            if months in spec.corrected_after_confirming:
                followups.report(
                    session,
                    rounds[months],
                    practice,
                    person,
                    status=status,
                    outcome="Sudah berjalan, diperbaiki.",
                    evidence_links="",
                    today=LATER,
                    now=NOW + timedelta(days=months * 30 + 2),
                )


def _page_rows(page: str) -> dict[int, dict[str, str]]:
    import re

    rows = {}
    for match in re.finditer(r"<tr data-cohort=\"(\d+)\"([^>]*)>", page):
        rows[int(match.group(1))] = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(2)))
    return rows


def test_three_cohorts_page_csv_and_api_show_the_rates_the_plan_gives(app, session, three, make_user):
    manager = make_user(is_manager=True)
    client = app.test_client()
    login(client, manager)
    host = three["host"]
    want = {three["cohorts"][name].id: expected(specs) for name, specs in PLAN.items()}

    # The page: one row per cohort of this host (never the other host's), with counts and rates.
    response = client.get(f"/benchmarking/hosts/{host.id}/implementation")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = _page_rows(page)
    assert set(rows) == set(want)
    for cohort_id, counts in want.items():
        row = rows[cohort_id]
        shown = {
            "identified": int(row["identified"]),
            "adopted": int(row["adopted"]),
            "adapted": int(row["adapted"]),
            "implemented": int(row["implemented"]),
            "sustained": int(row["sustained"]),
            "confirmed_by_mentor": int(row["confirmed"]),
        }
        assert shown == counts
        taken = counts["adopted"] + counts["adapted"]
        rate = percent(counts["implemented"], taken)
        assert row["implemented-rate"] == str(rate)
        assert row["sustained-rate"] == str(percent(counts["sustained"], taken))
    # Per lokus: each practice counts where its author's group went (the fixture's placement).
    where = dict(
        session.execute(
            select(GroupMember.user_id, Lokus.name)
            .join(VisitGroup, VisitGroup.id == GroupMember.group_id)
            .join(Lokus, Lokus.id == VisitGroup.lokus_id)
        ).all()
    )
    by_place: dict[str, list[Spec]] = {}
    for person_id, spec in three["placed"]:
        by_place.setdefault(where[person_id], []).append(spec)
    shown_lokus = {
        html.unescape(name): dict(re.findall(r'data-([a-z-]+)="([^"]*)"', attrs))
        for name, attrs in re.findall(r'<tr data-lokus="([^"]*)"([^>]*)>', page)
    }
    assert set(shown_lokus) == set(by_place) == {"Pemerintah Kota Pontianak", "RSUD Sultan Syarif Mohamad Alkadrie"}
    for place, specs in by_place.items():
        counts = expected(specs)
        row = shown_lokus[place]
        assert (int(row["identified"]), int(row["implemented"]), int(row["sustained"]), int(row["confirmed"])) == (
            counts["identified"],
            counts["implemented"],
            counts["sustained"],
            counts["confirmed_by_mentor"],
        )
    assert 'id="implementation-stages"' in page and 'id="implementation-rates"' in page  # the SVG charts
    assert "<script" not in page.split("</nav>", 1)[-1].split("<footer", 1)[0]
    # The practice that travels most: the hospital without classes, in three cohorts; titles that
    # differ in case and inner spaces are one practice; the one never implemented is named.
    travelling = page.split('id="travelling"', 1)[1].split("</table>", 1)[0].lower()
    assert travelling.count("rumah sakit tanpa kelas") == 1
    assert travelling.index("rumah sakit tanpa kelas") < travelling.index("mal pelayanan publik")
    never = page.split('id="never-implemented"', 1)[1].split("</ul>", 1)[0]
    assert "Pengaduan satu aplikasi" in never and "Rumah sakit" not in never
    assert "Papan antrean daring" not in page  # not published: its title stays in its cohort

    # The CSV: the same numbers, a total line, text cells through the one guard.
    response = client.get(f"/benchmarking/hosts/{host.id}/implementation.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body, total = lines[0], lines[1:-1], lines[-1]
    assert header[2:8] == ["identified", "adopted", "adapted", "implemented", "sustained", "confirmed_by_mentor"]
    by_title = {row[0]: row for row in body}
    for name, specs in PLAN.items():
        counts = expected(specs)
        row = by_title[three["cohorts"][name].title]
        assert [int(v) for v in row[2:8]] == list(counts.values())
        taken = counts["adopted"] + counts["adapted"]
        assert row[8] == str(percent(counts["implemented"], taken))
        assert row[9] == str(percent(counts["sustained"], taken))
        assert row[10] == str(percent(counts["confirmed_by_mentor"], taken))
    sums = {k: sum(c[k] for c in want.values()) for k in next(iter(want.values()))}
    assert [int(v) for v in total[2:8]] == list(sums.values())
    assert total[8] == str(percent(sums["implemented"], sums["adopted"] + sums["adapted"]))

    # The API: per cohort, the six counts.
    _token, secret = create_token(session, manager, "laporan", NOW)
    session.commit()
    response = client.get(f"/api/v1/hosts/{host.id}/implementation", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["host"] == {"id": host.id, "name": host.name}
    assert {c["id"]: {k: c[k] for k in sums} for c in data["cohorts"]} == want


def test_who_sees_a_hosts_implementation(app, session, three, make_user):
    host = three["host"]
    first = three["cohorts"]["Angkatan I"]
    url = f"/benchmarking/hosts/{host.id}/implementation"
    cases = {
        "admin": (make_user(is_admin=True), 200),
        "coordinator of Angkatan I": (first.people["coordinator"], 200),
        "instructor of Angkatan I": (first.people["instructors"][0], 403),
        "peserta of Angkatan I": (first.people["participants"][0], 403),
        "coordinator of the other host's cohort": (three["stray"].people["coordinator"], 403),
        "nobody in particular": (make_user(), 403),
    }
    for who, (user, status) in cases.items():
        client = app.test_client()
        login(client, user)
        for suffix in ("", ".csv"):
            assert client.get(url + suffix).status_code == status, (who, suffix)
    # A coordinator sees the cohorts they coordinate, and no other program's.
    client = app.test_client()
    login(client, first.people["coordinator"])
    assert set(_page_rows(client.get(url).get_data(as_text=True))) == {first.id}
    _token, secret = create_token(session, first.people["coordinator"], "laporan", NOW)
    session.commit()
    data = client.get(f"/api/v1/hosts/{host.id}/implementation", headers={"Authorization": f"Bearer {secret}"})
    assert [c["id"] for c in data.get_json()["cohorts"]] == [first.id]
    # The API's refusals are JSON problems.
    _token, secret = create_token(session, first.people["participants"][0], "x", NOW)
    session.commit()
    refused = client.get(f"/api/v1/hosts/{host.id}/implementation", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert client.get(f"/api/v1/hosts/{host.id}/implementation").status_code == 401
    missing = client.get("/api/v1/hosts/999999/implementation", headers={"Authorization": f"Bearer {secret}"})
    assert missing.status_code == 404


def test_the_api_path_is_in_the_openapi_document_and_answers_to_its_schema(app, session, three, make_user):
    pytest.importorskip("jsonschema")
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/hosts/{host_id}/implementation" in spec["paths"]
    try:
        from openapi_spec_validator import validate
        from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator
    except ImportError:
        pass
    else:
        validate(spec, cls=OpenAPIV31SpecValidator)
    routes = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("benchmarking_api.")}
    assert routes == {"/api/v1/hosts/<int:host_id>/implementation"}
    manager = make_user(is_manager=True)
    _token, secret = create_token(session, manager, "laporan", NOW)
    session.commit()
    answer = client.get(
        f"/api/v1/hosts/{three['host'].id}/implementation", headers={"Authorization": f"Bearer {secret}"}
    ).get_json()
    registry = Registry().with_resource(
        "urn:tolok-api", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(
        {"$ref": "urn:tolok-api#/components/schemas/HostImplementation"}, registry=registry
    )
    validator.validate(answer)


def test_counts_take_a_fixed_number_of_queries(app, session, three, make_user):
    """Flat at national scale: one aggregate query for the counts, whatever the number of cohorts."""
    from sqlalchemy import event

    from plugins.benchmarking import implementation

    statements: list[str] = []
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)

    def count(*args: Any) -> None:
        if not args[2].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = implementation.by_cohort(session, three["host"].id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 3 and len(statements) == 1
    assert session.scalar(select(Cohort.id).where(Cohort.id == three["stray"].id))


def test_three_month_round_mentors_confirm_through_their_links_and_a_second_use_after_it_closes_is_refused(
    app, session, world, make_user
):
    """The coordinator plans the rounds (3, 6, 12 months after the training's end); in the 3-month
    round two peserta report, invite their mentors, the mentors confirm through their links; once the
    round closes a second use of a link is refused (410) and records nothing; the host's
    implementation counts both confirmations."""
    cohort = session.get(Cohort, world["cohort"].id)
    world["visit"].min_practices = 1
    session.commit()
    coordinator = app.test_client()
    login(coordinator, world["coordinator"])
    assert coordinator.post(f"/benchmarking/cohorts/{cohort.id}/followups/plan").status_code == 302
    rounds = session.scalars(select(FollowupRound).where(FollowupRound.cohort_id == cohort.id)).all()
    assert sorted((r.months, r.opens_on) for r in rounds) == [
        (months, followups.add_months(cohort.end_date, months)) for months in (3, 6, 12)
    ]
    assert coordinator.post(f"/benchmarking/cohorts/{cohort.id}/followups/plan").status_code == 302
    assert session.scalar(select(func.count()).select_from(FollowupRound)) == 3  # planned once
    three_months = next(r for r in rounds if r.months == 3)
    # The test runs on the day the round opens.
    three_months.opens_on, three_months.due_on = TODAY - timedelta(days=1), TODAY + timedelta(days=29)
    session.commit()

    links = []
    for who, email in ((0, "atasan.satu@example.go.id"), (1, "atasan.dua@example.go.id")):
        person = world["people"][who]
        practice = logged(session, world, who=who, title=f"Praktik {who}")
        peserta = app.test_client()
        login(peserta, person)
        saved = peserta.post(
            f"/benchmarking/rounds/{three_months.id}/report",
            data={"practice_id": practice.id, "status": "implemented", "outcome": "Berjalan.", "evidence_links": ""},
        )
        assert saved.status_code == 302
        # A discontinued report needs its reason.
        assert (
            peserta.post(
                f"/benchmarking/rounds/{three_months.id}/report",
                data={"practice_id": practice.id, "status": "discontinued", "outcome": "", "evidence_links": ""},
            ).status_code
            == 422
        )
        assert invite(peserta, three_months, email=email).status_code == 303
        links.append(mentor_link(session, email))
    for link in links:
        mentor = app.test_client()
        page = mentor.get(link).get_data(as_text=True)
        followup_id = int(re.search(r'name="followup_id"[^>]*value="(\d+)"', page).group(1))
        assert mentor.post(link, data={"followup_id": followup_id, "verdict": "confirmed"}).status_code == 303
    assert session.scalar(select(func.count()).select_from(MentorReview)) == 2

    three_months.due_on = TODAY - timedelta(days=1)
    session.commit()
    for link in links:
        mentor = app.test_client()
        assert mentor.get(link).status_code == 410
        again = mentor.post(link, data={"followup_id": 1, "verdict": "disputed", "comment": "Ternyata belum."})
        assert again.status_code == 410
    assert session.scalar(select(func.count()).select_from(MentorReview)) == 2

    [row] = implementation.by_cohort(session, world["visit"].host_id)
    assert (row.implemented, row.confirmed_by_mentor, row.sustained) == (2, 2, 0)


def test_a_practice_is_linked_to_the_aksi_perubahan_by_a_structured_record(app, session, world):
    world["visit"].min_practices = 1
    practice = logged(session, world, who=0)
    person = world["people"][0]
    own = Mentor(participant_id=person.id, name="Dr. Sri", email="sri@example.go.id", link_nonce="n")
    stranger = Mentor(
        participant_id=world["people"][1].id, name="Orang lain", email="lain@example.go.id", link_nonce="n"
    )
    session.add_all([own, stranger])
    session.commit()
    client = app.test_client()
    login(client, person)
    url = f"/benchmarking/practices/{practice.id}/change-project"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"title": "Layanan satu standar", "stage": "short_term", "mentor_id": stranger.id})
    assert bad.status_code == 422 and session.scalar(select(func.count()).select_from(ChangeProjectLink)) == 0
    assert client.post(url, data={"title": " ", "stage": "short_term", "mentor_id": ""}).status_code == 422
    done = client.post(url, data={"title": "Layanan satu standar", "stage": "short_term", "mentor_id": own.id})
    assert done.status_code == 303
    link = session.scalar(select(ChangeProjectLink))
    assert (link.practice_id, link.title, link.stage.value, link.mentor_id) == (
        practice.id,
        "Layanan satu standar",
        "short_term",
        own.id,
    )
    other = app.test_client()
    login(other, world["people"][1])
    assert other.post(url, data={"title": "X", "stage": "done", "mentor_id": ""}).status_code == 403


def test_the_demo_has_an_earlier_angkatan_of_the_host_followed_up_for_a_year_with_mentors(app, session, make_user):
    assert app.test_cli_runner().invoke(args=["lms", "demo"]).exit_code == 0
    host = session.scalar(select(Host).where(Host.name == "Pemerintah Kota Pontianak"))
    rows = implementation.by_cohort(session, host.id)
    assert len(rows) == 2
    earlier, current = rows
    assert earlier.year < current.year or earlier.cohort_id != current.cohort_id
    assert earlier.sustained >= 3 and earlier.confirmed_by_mentor >= 4 and earlier.implemented > earlier.sustained
    assert session.scalar(select(func.count()).select_from(FollowupRound).where(FollowupRound.months == 12)) >= 1
    client = app.test_client()
    login(client, make_user(is_admin=True))
    page = client.get(f"/benchmarking/hosts/{host.id}/implementation")
    assert page.status_code == 200 and 'id="travelling"' in page.get_data(as_text=True)


def test_follow_up_checkpoints_are_set_per_visit_and_plan_the_rounds(session, world):
    cohort = session.get(Cohort, world["cohort"].id)
    visit = world["visit"]
    assert visit.followup_months == "3,6,12"  # the PKA default
    fields = {
        "cohort": cohort,
        "host": visit.host,
        "theme": visit.theme,
        "start_date": visit.start_date,
        "end_date": visit.end_date,
    }
    services.save_visit(session, visit, followup_months="12; 6", **fields)
    assert visit.followup_months == "6,12"
    for bad in ("0", "tiga", "61", " , "):
        with pytest.raises(DomainError):
            services.save_visit(session, visit, followup_months=bad, **fields)
    made = followups.plan_rounds(session, cohort)
    assert [(r.months, r.opens_on) for r in made] == [
        (6, followups.add_months(cohort.end_date, 6)),
        (12, followups.add_months(cohort.end_date, 12)),
    ]
    assert followups.plan_rounds(session, cohort) == []
    assert followups.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_a_peserta_planning_a_visit_sees_what_earlier_cohorts_took_from_the_host_and_whether_it_lasted(
    app, session, three, make_user
):
    client = app.test_client()
    login(client, make_user())  # anyone signed in reads the catalogue
    page = client.get(f"/benchmarking/catalogue?host={three['host'].id}").get_data(as_text=True)
    panel = page.split('id="host-lasted"', 1)[1].split("</section>", 1)[0]
    rows = {
        html.unescape(title).lower(): dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs))
        for title, attrs in re.findall(r'<tr data-title="([^"]*)"([^>]*)>', panel)
    }
    published = [s for specs in PLAN.values() for s in specs if s.published and s.stage != "identified"]
    for key in ("rumah sakit tanpa kelas", "mal pelayanan publik", "pengaduan satu aplikasi"):
        same = [s for s in published if " ".join(s.title.lower().split()) == key]
        counts = expected(same)
        assert rows[key] == {
            "taken": str(len(same)),
            "implemented": str(counts["implemented"]),
            "sustained": str(counts["sustained"]),
        }
    assert "papan antrean daring" not in rows  # not published
    assert 'id="host-lasted"' not in client.get("/benchmarking/catalogue").get_data(as_text=True)
