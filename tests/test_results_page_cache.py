"""Kept results pages (lms/results/page_cache.py): a cohort's results page is built once per state of
its results and never served after a change the page shows. The oracle is a second app on the same
database with nothing kept: after every kind of change, both pages are the same."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import event, select

from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.results.models import CohortFigures
from lms.results.page_cache import KeptPage, PageCache
from lms.users.models import ParticipantProfile, User
from tests.factories import graded_world, zero_first_released_grade
from tests.support import login

_TOKENS = re.compile(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"')


def main_of(client: Any, url: str) -> str:
    """The page's ``<main>``, without the session's CSRF tokens."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return _TOKENS.sub(r'\1=""', html.split('<main id="main"', 1)[1].split("</main>", 1)[0])


class Pair:
    """The same coordinator reading the same page through an app that keeps pages and one that does not."""

    def __init__(self, app: Any, app_factory: Any, coordinator: Any) -> None:
        self.kept, self.plain = app.test_client(), app_factory(RESULTS_PAGE_CACHE_BYTES=0).test_client()
        login(self.kept, coordinator)
        login(self.plain, coordinator)

    def same(self, url: str) -> str:
        kept = main_of(self.kept, url)
        assert kept == main_of(self.plain, url)
        return kept


def count_queries(app: Any) -> list[str]:
    seen: list[str] = []
    event.listen(app.extensions["lms.db"].engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_kept_page_is_served_until_the_results_change(ctx, app, app_factory, session, make_cohort):
    world = graded_world(session, make_cohort, participants=6)
    cohort = world["cohort"]
    pair = Pair(app, app_factory, cohort.people["coordinator"])
    url = f"/cohorts/{cohort.id}/results"
    first = pair.same(url)
    queries = count_queries(app)
    again = main_of(pair.kept, url)
    assert again == first
    # Served from the kept body: no result row, cell or plugin column is read again.
    assert not [q for q in queries if "participant_result_cells" in q or "ranked" in q], queries
    statements = [q for q in queries if not q.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
    # The user, the cohort, the reader's roles, stale rows?, the generation, the bell: a fixed few.
    assert len(statements) <= 7, statements

    zero_first_released_grade(session)
    session.commit()
    changed = pair.same(url)
    assert changed != first


def test_names_profiles_and_certificates_show_at_once(ctx, app, app_factory, session, make_cohort):
    """What moves no score but the page shows: a peserta's name, NIP, agency, a certificate."""
    world = graded_world(session, make_cohort, participants=4)
    cohort = world["cohort"]
    person = world["participants"][0]
    pair = Pair(app, app_factory, cohort.people["coordinator"])
    url = f"/cohorts/{cohort.id}/results"
    before = pair.same(url)

    session.get(User, person.id).name = "Nama Yang Baru Sekali"
    session.commit()
    page = pair.same(url)
    assert "Nama Yang Baru Sekali" in page and page != before

    profile = session.scalar(select(ParticipantProfile).where(ParticipantProfile.user_id == person.id))
    if profile is None:
        profile = ParticipantProfile(user_id=person.id)
        session.add(profile)
    profile.instansi = "Badan Yang Baru"
    session.commit()
    assert "Badan Yang Baru" in pair.same(url)

    certificate = Certificate(
        cohort_id=cohort.id,
        participant_id=person.id,
        seq=1,
        number="CERT/0001/PAGE-CACHE",
        code="PAGECACHE0001",
        name="Nama Yang Baru Sekali",
        program_name="PKA",
        angkatan="I",
        issued_on=date(2026, 12, 1),
    )
    session.add(certificate)
    session.commit()
    assert "CERT/0001/PAGE-CACHE" in pair.same(url)

    # Revoking is an UPDATE statement (no row the listener sees) plus its event.
    certificates.revoke(session, certificate, cohort.people["coordinator"], "Salah cetak nama")
    session.commit()
    assert "CERT/0001/PAGE-CACHE" not in pair.same(url)


def test_the_query_and_the_language_are_part_of_the_key(ctx, app, app_factory, session, make_cohort):
    world = graded_world(session, make_cohort, participants=6)
    cohort = world["cohort"]
    pair = Pair(app, app_factory, cohort.people["coordinator"])
    base = f"/cohorts/{cohort.id}/results"
    pages = {url: pair.same(url) for url in (base, f"{base}?sort=name&dir=asc", f"{base}?q=zzz-nobody")}
    assert len(set(pages.values())) == 3
    for client in (pair.kept, pair.plain):
        client.post("/language", data={"locale": "en", "next": base})
    english = pair.same(base)
    assert english != pages[base]


def test_a_generation_names_one_state_for_good(ctx, session, make_cohort):
    """Random generations: a cohort whose figures row is created again (a reused id, a database
    filled again) does not start from a value a process may have kept a page under."""
    from lms.results import services

    world = graded_world(session, make_cohort, participants=3)
    cohort = world["cohort"]
    seen = set()
    for _ in range(5):
        services.new_generation(session, cohort.id)
        session.flush()
        session.expire_all()
        seen.add(session.get(CohortFigures, cohort.id).generation)
    assert len(seen) == 5 and 0 not in seen


def test_the_cache_is_bounded_by_bytes_least_recently_used_first():
    cache = PageCache(max_bytes=10_000)

    def page(n: int) -> KeptPage:
        return KeptPage(body=n * "x", participants=1, components=False, definition_version=None)  # type: ignore[arg-type]

    cache.put("a", page(2000))
    cache.put("b", page(2000))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", page(2000))  # 3 × ~4,200 bytes > 10,000: b goes first
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    cache.put("huge", page(6000))  # larger than the whole cache: not kept
    assert cache.get("huge") is None
    assert cache.get(None) is None
    off = PageCache(max_bytes=0)
    off.put("a", page(1))
    assert off.get("a") is None
