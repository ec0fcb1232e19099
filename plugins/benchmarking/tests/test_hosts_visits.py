"""Hosts, field visits and groups: rules, views and where they show."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.cohorts.models import Cohort, CohortStatus, Membership, Role
from plugins.benchmarking import lokus, services
from plugins.benchmarking.models import FieldVisit, GroupMember, Host, VisitGroup
from tests.support import count_queries, login

pytestmark = pytest.mark.usefixtures("plugin_on")


@pytest.fixture
def plugin_on(app):
    if "benchmarking" not in app.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")


@pytest.fixture
def host(session):
    host = services.save_host(
        session,
        None,
        name="Pemerintah Kota Pontianak",
        kind="city",
        region="Kalimantan Barat",
        recognition="**98,36** — Ombudsman RI 2016",
    )
    session.commit()
    return host


@pytest.fixture
def cohort(make_cohort, make_user, session):
    cohort = make_cohort(participants=0, instructors=1)
    from lms.cohorts.models import Membership, Role

    people = []
    for i, agency in enumerate(["Pemprov Kalteng"] * 5 + ["Pemkab Kapuas"] * 3 + ["Pemkot Palangka Raya"] * 2):
        person = make_user(name=f"Peserta {i:02d}", instansi=agency)
        session.add(Membership(cohort_id=cohort.id, user_id=person.id, role=Role.PARTICIPANT))
        people.append(person)
    session.commit()
    cohort.people["participants"] = people
    return cohort


def visit_form(host, **changes):
    start = date.today() + timedelta(days=7)
    data = {
        "host_id": host.id,
        "theme": "Inovasi pelayanan publik",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(),
        "location": "Balai Kota",
        "briefing": "Pelajari **rumah sakit tanpa kelas**.",
        "guiding_questions": "Apa?\n\nMengapa berhasil?\n",
    }
    data.update(changes)
    return data


def test_coordinator_adds_searches_and_archives_hosts(client, cohort, session):
    login(client, cohort.people["coordinator"])
    response = client.post(
        "/benchmarking/hosts/new",
        data={
            "name": "Pemerintah Kota Surabaya",
            "kind": "city",
            "region": "Jawa Timur",
            "recognition": "Kota *inovatif*",
        },
    )
    assert response.status_code == 302
    host = session.scalar(select(Host).where(Host.name == "Pemerintah Kota Surabaya"))
    page = client.get(f"/benchmarking/hosts/{host.id}").get_data(as_text=True)
    assert "<em>inovatif</em>" in page
    assert "Surabaya" in client.get("/benchmarking/hosts?q=jawa").get_data(as_text=True)
    assert "Surabaya" not in client.get("/benchmarking/hosts?q=bali").get_data(as_text=True)
    assert client.post(f"/benchmarking/hosts/{host.id}/archive", data={"archived": "1"}).status_code == 302
    assert "Surabaya" not in client.get("/benchmarking/hosts").get_data(as_text=True)
    assert "Surabaya" in client.get("/benchmarking/hosts?archived=1").get_data(as_text=True)


def test_host_edits_are_scoped_to_the_coordinators_own_visits(app, cohort, host, session, make_cohort, make_user):
    """Issue 10, item 17: a host is edited by the coordinators of every cohort that visits it (or,
    unused, by whoever added it) and by admins; scheduling a visit to a host gives no right to edit it."""
    other = make_cohort(name="Angkatan lain")
    mine, theirs, admin = app.test_client(), app.test_client(), app.test_client()
    login(mine, cohort.people["coordinator"])
    login(theirs, other.people["coordinator"])
    login(admin, make_user(is_admin=True))
    assert mine.post(f"/benchmarking/cohorts/{cohort.id}/visits/new", data=visit_form(host)).status_code == 302
    edit = f"/benchmarking/hosts/{host.id}/edit"
    assert mine.get(edit).status_code == 200 and "/edit" in mine.get(f"/benchmarking/hosts/{host.id}").get_data(
        as_text=True
    )
    assert theirs.get(edit).status_code == 403 and edit not in theirs.get(f"/benchmarking/hosts/{host.id}").get_data(
        as_text=True
    )
    for url in (edit, f"/benchmarking/hosts/{host.id}/archive", f"/benchmarking/hosts/{host.id}/delete"):
        assert theirs.post(url, data={"name": "Dibajak", "kind": "city", "archived": "1"}).status_code == 403
    # Once the other cohort visits it too, it is shared: only an admin edits it.
    assert theirs.post(f"/benchmarking/cohorts/{other.id}/visits/new", data=visit_form(host)).status_code == 302
    assert mine.get(edit).status_code == 403 and theirs.get(edit).status_code == 403
    assert admin.post(edit, data={"name": "Pemkot Pontianak", "kind": "city"}).status_code == 302
    session.expire_all()
    assert session.get(Host, host.id).name == "Pemkot Pontianak" and not session.get(Host, host.id).archived
    # A new host is its creator's until a visit uses it.
    assert (
        theirs.post("/benchmarking/hosts/new", data={"name": "Kabupaten Banyuwangi", "kind": "regency"}).status_code
        == 302
    )
    added = session.scalar(select(Host).where(Host.name == "Kabupaten Banyuwangi"))
    assert theirs.get(f"/benchmarking/hosts/{added.id}/edit").status_code == 200
    assert mine.get(f"/benchmarking/hosts/{added.id}/edit").status_code == 403


def test_duplicate_host_name_and_bad_website_are_refused(client, cohort, host, session):
    login(client, cohort.people["coordinator"])
    again = client.post("/benchmarking/hosts/new", data={"name": "pemerintah kota pontianak", "kind": "city"})
    assert again.status_code == 409
    bad = client.post("/benchmarking/hosts/new", data={"name": "X", "kind": "city", "website": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert session.scalar(select(func.count()).select_from(Host)) == 1


def test_host_catalogue_is_paginated(client, cohort, session, app):
    for i in range(app.config["PAGE_SIZE"] + 5):
        session.add(Host(name=f"Host {i:03d}"))
    session.commit()
    login(client, cohort.people["coordinator"])
    first = client.get("/benchmarking/hosts").get_data(as_text=True)
    assert "Host 000" in first and "Host 054" not in first
    assert "Host 054" in client.get("/benchmarking/hosts?page=2").get_data(as_text=True)


def test_a_host_used_by_a_visit_cannot_be_deleted_only_archived(client, cohort, host, session):
    login(client, cohort.people["coordinator"])
    assert client.post(f"/benchmarking/cohorts/{cohort.id}/visits/new", data=visit_form(host)).status_code == 302
    client.post(f"/benchmarking/hosts/{host.id}/delete")
    session.expire_all()
    assert session.get(Host, host.id) is not None
    unused = services.save_host(session, None, name="Unused", actor=cohort.people["coordinator"])
    session.commit()
    client.post(f"/benchmarking/hosts/{unused.id}/delete")
    session.expunge_all()
    assert session.get(Host, unused.id) is None


def test_visit_ending_before_it_starts_is_refused_and_nothing_saved(client, cohort, host, session):
    login(client, cohort.people["coordinator"])
    start = date.today()
    response = client.post(
        f"/benchmarking/cohorts/{cohort.id}/visits/new",
        data=visit_form(host, start_date=start.isoformat(), end_date=(start - timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 422
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(FieldVisit)) == 0


def test_service_refuses_visit_ending_before_start(ctx, session, cohort, host):
    from lms.core.errors import DomainError

    with pytest.raises(DomainError) as error:
        services.save_visit(
            session,
            None,
            cohort=session.get(Cohort, cohort.id),
            host=host,
            theme="x",
            start_date=date(2026, 9, 12),
            end_date=date(2026, 9, 11),
        )
    assert error.value.field == "end_date"


def test_a_host_contact_email_follows_the_one_email_rule(ctx, session, host):
    from lms.core.errors import DomainError

    with pytest.raises(DomainError) as error:
        services.save_host(session, None, name="Kabupaten Kotawaringin Timur", kind="regency", contact_email="a b@@c")
    assert error.value.field == "contact_email"
    saved = services.save_host(
        session, None, name="Kabupaten Kotawaringin Timur", kind="regency", contact_email=" Humas@Kotimkab.go.id "
    )
    assert saved.contact_email == "humas@kotimkab.go.id"


def schedule(session, cohort, host):
    visit = services.save_visit(
        session,
        None,
        cohort=session.get(Cohort, cohort.id),
        host=session.get(Host, host.id),
        theme="Inovasi",
        start_date=date.today() + timedelta(days=3),
        end_date=date.today() + timedelta(days=3),
        guiding_questions="Apa?\nMengapa?",
    )
    session.commit()
    return visit


def test_split_is_even_and_mixes_agencies(ctx, session, cohort, host):
    visit = schedule(session, cohort, host)
    groups = services.split_groups(session, visit, 3)
    session.commit()
    sizes = sorted(len(g.members) for g in groups)
    assert sizes == [3, 3, 4]
    agencies = {p.id: p.profile.instansi for p in cohort.people["participants"]}
    for group in groups:
        assert len({agencies[m.user_id] for m in group.members}) >= 2
        assert group.leader_id in {m.user_id for m in group.members}
    everyone = [m.user_id for g in groups for m in g.members]
    assert sorted(everyone) == sorted(p.id for p in cohort.people["participants"])


def test_database_refuses_one_participant_in_two_groups_of_a_visit(ctx, session, cohort, host):
    visit = schedule(session, cohort, host)
    a, b = services.split_groups(session, visit, 2)
    session.commit()
    someone = a.members[0].user_id
    session.add(GroupMember(group_id=b.id, visit_id=visit.id, user_id=someone))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_add_member_refuses_a_second_group(ctx, session, cohort, host):
    from lms.core.errors import Conflict

    visit = schedule(session, cohort, host)
    a, b = services.split_groups(session, visit, 2)
    session.commit()
    with pytest.raises(Conflict):
        services.add_member(session, b, a.members[0].user)


def test_hand_adjustment_with_leader_outside_group_saves_nothing(client, session, cohort, host, ctx):
    visit = schedule(session, cohort, host)
    a, b = services.split_groups(session, visit, 2)
    session.commit()
    before = {m.user_id: m.group_id for m in session.scalars(select(GroupMember))}
    mover = a.members[1].user_id
    form = {f"member-{uid}": str(gid) for uid, gid in before.items()}
    form[f"member-{mover}"] = str(b.id)
    form[f"leader-{a.id}"] = str(b.leader_id)  # b's leader is not in a
    form[f"leader-{b.id}"] = str(b.leader_id)
    login(client, cohort.people["coordinator"])
    response = client.post(f"/benchmarking/visits/{visit.id}/groups", data=form)
    assert response.status_code == 422
    session.expire_all()
    assert {m.user_id: m.group_id for m in session.scalars(select(GroupMember))} == before
    form[f"leader-{a.id}"] = str(a.leader_id)
    assert client.post(f"/benchmarking/visits/{visit.id}/groups", data=form).status_code == 302
    session.expire_all()
    assert session.scalar(select(GroupMember.group_id).where(GroupMember.user_id == mover)) == b.id


def test_participant_sees_visit_and_group_on_dashboard(client, session, cohort, host, ctx):
    visit = schedule(session, cohort, host)
    groups = services.split_groups(session, visit, 2)
    session.commit()
    person = groups[1].members[0].user
    login(client, person)
    page = client.get("/").get_data(as_text=True)
    assert 'id="next-visit"' in page and "Pemerintah Kota Pontianak" in page
    assert groups[1].name in page[page.index('id="my-group"') :]
    visit_page = client.get(f"/benchmarking/visits/{visit.id}").get_data(as_text=True)
    assert "Mengapa?" in visit_page
    assert "assign-groups" not in visit_page  # participants cannot rearrange groups
    assert client.post(f"/benchmarking/visits/{visit.id}/groups/split", data={"count": 2}).status_code == 403


def test_dashboard_card_shows_the_next_visit_in_one_query_whatever_the_number_of_visits(
    app, client, session, cohort, host, ctx, make_cohort, make_user
):
    person = cohort.people["participants"][0]
    visit = schedule(session, cohort, host)
    groups = services.split_groups(session, visit, 2)
    mine = next(g for g in groups if any(m.user_id == person.id for m in g.members))
    place = lokus.save(
        session, visit, None, lokus.LokusFields(host_id=host.id, name="RSUD Sultan Syarif", visit_date=visit.start_date)
    )
    mine.lokus_id = place.id
    session.commit()
    login(client, person)
    client.get("/")
    with count_queries(app) as first:
        page = client.get("/").get_data(as_text=True)
    card = page[page.index('id="next-visit"') :].split("</section>", 1)[0]
    assert "Pemerintah Kota Pontianak" in card and "Inovasi" in card and "Studi Lapangan" in card
    assert mine.name in card[card.index('id="my-group"') :]
    assert mine.leader.name in card and "RSUD Sultan Syarif" in card[card.index('id="my-lokus"') :]
    assert ", ".join(sorted((m.user.name for m in mine.members), key=str.lower)) in card

    # More visits, before and after, with more groups: the same queries, and still the soonest ahead.
    owner = session.get(Cohort, cohort.id)
    for theme, days, count in (("Yang lalu", -30, 3), ("Nanti", 20, 4)):
        other = services.save_visit(
            session,
            None,
            cohort=owner,
            host=session.get(Host, host.id),
            theme=theme,
            start_date=date.today() + timedelta(days=days),
            end_date=date.today() + timedelta(days=days),
        )
        services.split_groups(session, other, count)
    session.commit()
    with count_queries(app) as again:
        page = client.get("/").get_data(as_text=True)
    assert len(again) == len(first)
    card = page[page.index('id="next-visit"') :].split("</section>", 1)[0]
    assert "Inovasi" in card and "Nanti" not in card and "Yang lalu" not in card

    # Someone whose visits have all ended sees the latest of them, and no group yet.
    past = make_cohort(name="Angkatan lampau")
    late = make_user(name="Peserta lampau")
    session.add(Membership(cohort_id=past.id, user_id=late.id, role=Role.PARTICIPANT))
    for theme, days in (("Pertama", -60), ("Terakhir", -10), ("Kedua", -40)):
        services.save_visit(
            session,
            None,
            cohort=session.get(Cohort, past.id),
            host=session.get(Host, host.id),
            theme=theme,
            start_date=date.today() + timedelta(days=days),
            end_date=date.today() + timedelta(days=days),
        )
    session.commit()
    client.post("/logout")
    login(client, late)
    page = client.get("/").get_data(as_text=True)
    card = page[page.index('id="next-visit"') :].split("</section>", 1)[0]
    assert "Terakhir" in card and "Kedua" not in card and 'id="my-group"' not in card


def test_other_cohorts_see_nothing_of_the_visit(client, session, cohort, host, make_cohort):
    visit = schedule(session, cohort, host)
    other = make_cohort(participants=1, instructors=1, name="Angkatan Lain")
    for person in (other.people["participants"][0], other.people["instructors"][0], other.people["coordinator"]):
        client.post("/logout")
        login(client, person)
        assert client.get(f"/benchmarking/visits/{visit.id}").status_code == 403
        assert client.get(f"/benchmarking/cohorts/{cohort.id}/visits").status_code == 403
        assert client.post(f"/benchmarking/visits/{visit.id}/edit", data={}).status_code == 403


def test_instructor_sees_the_cohort_tab_but_cannot_schedule(client, session, cohort, host):
    schedule(session, cohort, host)
    login(client, cohort.people["instructors"][0])
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/benchmarking/cohorts/{cohort.id}/visits" in page
    assert client.get(f"/benchmarking/cohorts/{cohort.id}/visits").status_code == 200
    assert client.get(f"/benchmarking/cohorts/{cohort.id}/visits/new").status_code == 403


def test_closed_cohort_visits_are_read_only(client, session, cohort, host):
    visit = schedule(session, cohort, host)
    session.get(Cohort, cohort.id).status = CohortStatus.CLOSED
    session.commit()
    login(client, cohort.people["coordinator"])
    assert client.get(f"/benchmarking/visits/{visit.id}").status_code == 200
    assert client.post(f"/benchmarking/visits/{visit.id}/groups/split", data={"count": 2}).status_code == 403


def test_demo_data_has_pontianak_and_groups(app, session):
    assert app.test_cli_runner().invoke(args=["lms", "demo"]).exit_code == 0
    host = session.scalar(select(Host))
    assert host.name == "Pemerintah Kota Pontianak" and "98,36" in host.recognition
    # The current angkatan's visit (the demo's earlier angkatan visited the same host a year before).
    visit = session.scalars(select(FieldVisit).order_by(FieldVisit.start_date.desc())).first()
    assert visit.host_id == host.id
    # Three lokus, six groups formed by rule and sent to the lokus two by two (issue 16).
    assert [lk.name for lk in visit.lokus][0] == "Balai Kota Pontianak" and len(visit.lokus) == 3
    groups = session.scalars(
        select(VisitGroup).where(VisitGroup.visit_id == visit.id).order_by(VisitGroup.position)
    ).all()
    assert len(groups) == 6 and [g.lokus_id for g in groups] == [lk.id for lk in visit.lokus] * 2
    members = select(func.count()).select_from(GroupMember).join(VisitGroup).where(VisitGroup.visit_id == visit.id)
    assert session.scalar(members) == 25
    assert visit.plan_assessment_id is not None


def test_visit_page_runs_a_fixed_number_of_queries(app, make_cohort, session, host):
    from tests.support import count_queries

    counts = []
    for size in (4, 40):
        cohort = make_cohort(participants=size, name=f"Angkatan {size}")
        with app.test_request_context():  # group names are translated; requests below get their own context
            visit = schedule(session, cohort, host)
            services.split_groups(session, visit, 2)
            session.commit()
        client = app.test_client()
        login(client, cohort.people["coordinator"])
        with count_queries(app) as statements:
            assert client.get(f"/benchmarking/visits/{visit.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def people_rows(page: str) -> int:
    return page[page.index('id="people-table"') :].split("<tbody>", 1)[1].split("</tbody>")[0].count("<tr>")


def group_cards(page: str) -> int:
    return page.split('id="groups"', 1)[1].split('id="people"', 1)[0].count('<section class="card')


def test_visit_page_is_bounded_whatever_the_cohort_size(app, client, session, make_cohort, host):
    """No <select> per participant and no list longer than its page: 30 people, pages of 4."""
    cohort = make_cohort(participants=30, name="Angkatan Besar")
    visit = schedule(session, cohort, host)
    with app.test_request_context():
        services.split_groups(session, visit, 15)  # groups of 2
    session.commit()
    app.config["PAGE_SIZE"] = 4
    login(client, cohort.people["coordinator"])
    page = client.get(f"/benchmarking/visits/{visit.id}").get_data(as_text=True)
    assert people_rows(page) == 4
    assert group_cards(page) == 12, "twelve group cards a page"
    assert page.split('id="groups"', 1)[1].split("</main>")[0].count("<select") == 2 + 12, (
        "one filter, one 'move to' choice and a lokus choice per group card shown, not one per person"
    )
    assert page.count("make leader") <= 4
    second = client.get(f"/benchmarking/visits/{visit.id}?groups=2").get_data(as_text=True)
    assert group_cards(second) == 3
    last = client.get(f"/benchmarking/visits/{visit.id}?page=8").get_data(as_text=True)
    assert people_rows(last) == 2  # 30 = 7 × 4 + 2


def test_coordinator_finds_people_and_moves_the_chosen_to_a_group(client, session, cohort, host, make_cohort, app):
    visit = schedule(session, cohort, host)
    with app.test_request_context():
        a, b = services.split_groups(session, visit, 2)
    session.commit()
    login(client, cohort.people["coordinator"])
    found = client.get(f"/benchmarking/visits/{visit.id}?q=kapuas").get_data(as_text=True)
    table = found[found.index('id="people-table"') :].split("</tbody>")[0]
    assert people_rows(found) == 3 and "Pemkab Kapuas" in table and "Pemprov Kalteng" not in table
    in_a = [m.user_id for m in a.members]
    movers = [uid for uid in in_a if uid != a.leader_id][:2] + [a.leader_id]
    response = client.post(
        f"/benchmarking/visits/{visit.id}/groups/move",
        data={"person": [str(u) for u in movers], "to": str(b.id), "q": "x"},
    )
    assert response.status_code == 302 and "q=x" in response.headers["Location"]
    session.expire_all()
    assert {m.user_id for m in session.scalars(select(GroupMember).where(GroupMember.group_id == b.id))} >= set(movers)
    assert session.get(VisitGroup, a.id).leader_id is None, "the leader left: the group has none until one is named"
    # An outsider in the list: refused, nothing moves.
    outsider = make_cohort(participants=1, name="Angkatan Lain").people["participants"][0]
    stay = next(uid for uid in in_a if uid not in movers)
    response = client.post(
        f"/benchmarking/visits/{visit.id}/groups/move",
        data={"person": [str(stay), str(outsider.id)], "to": str(b.id)},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(GroupMember.group_id).where(GroupMember.user_id == stay)) == a.id
    assert session.scalar(select(GroupMember).where(GroupMember.user_id == outsider.id)) is None
    # Out of every group, then a leader for a.
    assert (
        client.post(f"/benchmarking/visits/{visit.id}/groups/move", data={"person": [str(stay)], "to": ""}).status_code
        == 302
    )
    session.expire_all()
    assert session.scalar(select(GroupMember).where(GroupMember.user_id == stay)) is None
    refused = client.post(f"/benchmarking/visits/{visit.id}/groups/leader", data={"leader": str(stay)})
    assert refused.status_code == 303
    new_leader = session.scalar(select(GroupMember.user_id).where(GroupMember.group_id == a.id))
    assert (
        client.post(f"/benchmarking/visits/{visit.id}/groups/leader", data={"leader": str(new_leader)}).status_code
        == 302
    )
    session.expire_all()
    assert session.get(VisitGroup, a.id).leader_id == new_leader
    # A group of another visit is refused.
    other = schedule(session, cohort, host)
    with app.test_request_context():
        foreign = services.split_groups(session, other, 1)[0]
    session.commit()
    assert (
        client.post(
            f"/benchmarking/visits/{visit.id}/groups/move", data={"person": [str(new_leader)], "to": str(foreign.id)}
        ).status_code
        == 303
    )
    session.expire_all()
    assert (
        session.scalar(
            select(GroupMember.group_id).where(GroupMember.user_id == new_leader, GroupMember.visit_id == visit.id)
        )
        == a.id
    )
