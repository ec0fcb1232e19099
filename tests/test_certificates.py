"""Certificates: template and number pattern, numbers without gaps or duplicates (also with two
issuers at once), one job for the cohort's PDF, revoking with an audit, and the public verification
page that shows only name, program, angkatan, date, number and validity."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.certificates import jobs as certificate_jobs
from lms.certificates import pdf, services
from lms.certificates.models import Certificate, CertificateEvent
from lms.cohorts.models import Membership, Role
from lms.core.errors import Conflict, DomainError
from lms.jobs.models import Job, JobStatus
from lms.results.outcomes import cohort_outcomes
from lms.users.models import ParticipantProfile, User
from tests.factories import graded_world
from tests.support import login, make_nip
from tests.test_exports import page_texts

TODAY = date(2026, 11, 20)


@dataclass(frozen=True)
class FakeOutcome:
    status: str
    predikat: str | None = None


def set_template(session, program, pattern="{seq}/PKA-{angkatan}/{year}"):
    services.save_template(
        session,
        program,
        letterhead="LEMBAGA ADMINISTRASI NEGARA\nJl. Veteran 10, Jakarta",
        number_pattern=pattern,
        signer_name="Dr. Kepala Pusat",
        signer_nip="197001012000031001",
        signer_position="Kepala Pusat Pelatihan",
        place="Jakarta",
    )
    session.commit()


@pytest.fixture
def world(ctx, session, make_cohort):
    cohort = make_cohort(participants=3, instructors=1, name="Angkatan XII")
    set_template(session, cohort.program)
    a, b, c = cohort.people["participants"]
    outcomes = {
        a.id: FakeOutcome("lulus", "Sangat Memuaskan"),
        b.id: FakeOutcome("tidak_lulus"),
        c.id: FakeOutcome("lulus", "Memuaskan"),
    }
    return {"cohort": cohort, "outcomes": outcomes}


def issued(session, world):
    made = services.issue_batch(session, world["cohort"], None, world["outcomes"], today=TODAY)
    session.commit()
    return made


def test_patterns_are_checked_and_numbers_formatted(world, session):
    cohort = world["cohort"]
    assert services.format_number("{seq}/PKA-{angkatan}/{year}", 7, cohort) == "007/PKA-XII/2026"
    assert services.format_number("SERT.{program}.{seq}", 12, cohort) == "SERT.PKA.012"
    for bad in ("PKA/{angkatan}/{year}", "{seq}/{tahun}", "{seq}/{seq.__class__}", "{seq}/{", " "):
        with pytest.raises(DomainError) as refused:
            services.check_pattern(bad)
        assert refused.value.field == "number_pattern"
    with pytest.raises(DomainError) as refused:
        services.save_template(
            session,
            cohort.program,
            letterhead="",
            number_pattern="{seq}",
            signer_name="X",
            signer_nip="123",
            signer_position="",
            place="",
        )
    assert refused.value.field == "signer_nip"
    session.rollback()


def test_only_lulus_peserta_get_numbers_in_order_once(world, session):
    a, b, c = world["cohort"].people["participants"]
    made = issued(session, world)
    assert [(x.participant_id, x.number) for x in made] == [(a.id, "001/PKA-XII/2026"), (c.id, "002/PKA-XII/2026")]
    assert made[0].predikat == "Sangat Memuaskan" and made[0].nip == a.profile.nip and made[0].issued_on == TODAY
    assert issued(session, world) == []  # nobody twice
    assert {uid: x.number for uid, x in services.issued_by_participant(session, world["cohort"]).items()} == {
        a.id: "001/PKA-XII/2026",
        c.id: "002/PKA-XII/2026",
    }
    world["outcomes"][b.id] = FakeOutcome("lulus", "Cukup Memuaskan")  # passed later (e.g. after remedial)
    assert [x.number for x in issued(session, world)] == ["003/PKA-XII/2026"]
    assert (
        session.scalar(select(func.count()).select_from(CertificateEvent).where(CertificateEvent.action == "issued"))
        == 3
    )
    assert all(services.normalise_code(x.code) == x.code for x in session.scalars(select(Certificate)))


def test_no_template_no_certificates(ctx, session, make_cohort):
    from lms.cohorts.models import Program

    program = Program(code="PKP", name="Pelatihan Kepemimpinan Pengawas")
    session.add(program)
    session.commit()
    cohort = make_cohort(participants=1, program=program)
    with pytest.raises(DomainError):
        services.issue_batch(
            session, cohort, None, {cohort.people["participants"][0].id: FakeOutcome("lulus")}, today=TODAY
        )
    session.rollback()


def many_peserta(session, cohort, n):
    people = [User(email=f"peserta{i}@bulk.go.id", name=f"Peserta {i:03d}") for i in range(n)]
    session.add_all(people)
    session.flush()
    for i, person in enumerate(people):
        session.add(ParticipantProfile(user_id=person.id, nip=make_nip(5000 + i), instansi="Pemprov Kalteng"))
        session.add(Membership(cohort_id=cohort.id, user_id=person.id, role=Role.PARTICIPANT))
    session.commit()
    return people


def test_two_issuers_at_once_give_200_distinct_gap_free_numbers(app, world, session):
    """Two workers (threads with their own database sessions and connections, as two consumers
    have) run the job's issuing loop on the same cohort at the same moment."""
    cohort = world["cohort"]
    people = many_peserta(session, cohort, 200)
    outcomes = {p.id: FakeOutcome("lulus", "Memuaskan") for p in people}
    engine = app.extensions["lms.db"].engine
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context(), Session(bind=engine, expire_on_commit=False) as own:
            mine = own.get(type(cohort), cohort.id)
            barrier.wait()
            try:
                counts.append(services.issue_all(own, mine, None, outcomes, today=TODAY, batch=7))
            except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sum(counts) == 200
    rows = session.execute(
        select(Certificate.seq, Certificate.number, Certificate.participant_id).where(
            Certificate.cohort_id == cohort.id
        )
    ).all()
    assert sorted(r.seq for r in rows) == list(range(1, 201))
    assert len({r.number for r in rows}) == 200 and len({r.participant_id for r in rows}) == 200


@pytest.mark.jobs_immediate
def test_one_job_numbers_the_cohort_and_writes_one_pdf(client, world, session, monkeypatch):
    monkeypatch.setattr(certificate_jobs, "cohort_outcomes", lambda s, c: world["outcomes"])
    cohort = world["cohort"]
    login(client, cohort.people["coordinator"])
    response = client.post(f"/cohorts/{cohort.id}/certificates/generate")
    assert response.status_code == 303
    job = session.scalars(select(Job)).one()
    assert job.status == JobStatus.DONE, job.error
    download = client.get(f"/jobs/{job.id}/download")
    texts = [text for text, _portrait in page_texts(download.get_data())]
    download.close()
    a, b, c = cohort.people["participants"]
    assert len(texts) == 2 and a.name in texts[0] and c.name in texts[1]
    assert "001/PKA-XII/2026" in texts[0] and "Dr. Kepala Pusat" in texts[0] and "Sangat Memuaskan" in texts[0]
    assert "19700101 200003 1 001" in texts[0] and b.name not in " ".join(texts)
    assert "/verify/" in texts[0]
    html = client.get(f"/cohorts/{cohort.id}/certificates").get_data(as_text=True)
    assert "002/PKA-XII/2026" in html


def test_the_qr_code_is_inline_svg_of_the_verification_address(world, session, app):
    made = issued(session, world)
    with app.test_request_context():
        url = services.verify_url(made[0])
        svg = str(pdf.qr_svg(url))
    assert url.endswith(f"/verify/{made[0].code}") and svg.startswith("<svg") and "<script" not in svg


def test_verification_page_valid_revoked_unknown(client, login_as, world, session):
    cohort = world["cohort"]
    first, second = issued(session, world)
    page = client.get(f"/verify/{first.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="validity"' in html and "alert-success" in html
    for shown in (first.name, first.number, cohort.program.name, "Angkatan XII 2026"):
        assert shown in html
    nip = first.nip
    for hidden in (
        nip,
        nip[:8] + " " + nip[8:14],
        "Pemprov Kalteng",
        "Sangat Memuaskan",
        first.participant_id and f"/users/{first.participant_id}",
    ):
        assert hidden not in html, hidden
    grouped = f"{first.code[:5].lower()}-{first.code[5:].lower()}"
    assert client.get(f"/verify/{grouped}").status_code == 200  # as typed from paper

    login_as(cohort.people["coordinator"])
    form = client.get(f"/certificates/{second.id}/revoke")
    assert form.status_code == 200
    assert client.post(f"/certificates/{second.id}/revoke", data={"reason": ""}).status_code == 422
    assert (
        client.post(
            f"/certificates/{second.id}/revoke", data={"reason": "Data NIP keliru, diterbitkan ulang"}
        ).status_code
        == 303
    )
    assert client.post(f"/certificates/{second.id}/revoke", data={"reason": "lagi lagi"}).status_code == 409
    events = session.scalars(
        select(CertificateEvent).where(CertificateEvent.certificate_id == second.id).order_by(CertificateEvent.id)
    ).all()
    assert [e.action for e in events] == ["issued", "revoked"] and events[1].actor_id == cohort.people["coordinator"].id
    client.post("/logout")
    with client.session_transaction() as sess:
        sess.clear()
    html = client.get(f"/verify/{second.code}").get_data(as_text=True)
    assert "alert-danger" in html and second.number in html and "Data NIP keliru" not in html

    for unknown in ("ZZZZZZZZZZ", "abc", "0000000000", "x" * 500):
        response = client.get(f"/verify/{unknown}")
        assert response.status_code == 404, unknown
        assert 'id="validity"' in response.get_data(as_text=True) and "alert-warning" in response.get_data(as_text=True)


def test_revoking_twice_in_the_service_is_a_conflict(world, session):
    made = issued(session, world)
    coordinator = world["cohort"].people["coordinator"]
    with pytest.raises(DomainError):
        services.revoke(session, made[0], coordinator, "no")
    services.revoke(session, made[0], coordinator, "Salah cetak nama")
    session.commit()
    with pytest.raises(Conflict):
        services.revoke(session, made[0], coordinator, "Salah cetak nama")
    session.rollback()


def test_who_may_do_what(client, login_as, world, session, make_cohort):
    cohort = world["cohort"]
    mine, _other = issued(session, world)
    a, b, c = cohort.people["participants"]
    stranger = make_cohort(participants=1, instructors=1, name="Angkatan XIII")
    login_as(a)  # the certificate's own peserta downloads it, nothing else
    assert client.get(f"/certificates/{mine.id}/pdf").status_code == 200
    for url in (
        f"/cohorts/{cohort.id}/certificates",
        f"/certificates/{mine.id}/revoke",
        f"/programs/{cohort.program_id}/certificate",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/cohorts/{cohort.id}/certificates/generate").status_code == 403
    login_as(b)
    assert client.get(f"/certificates/{mine.id}/pdf").status_code == 403
    for outsider in (
        stranger.people["coordinator"],
        stranger.people["instructors"][0],
        stranger.people["participants"][0],
    ):
        login_as(outsider)
        for url in (
            f"/cohorts/{cohort.id}/certificates",
            f"/certificates/{mine.id}/pdf",
            f"/certificates/{mine.id}/revoke",
        ):
            assert client.get(url).status_code == 403, (outsider.name, url)
        assert client.post(f"/cohorts/{cohort.id}/certificates/generate").status_code == 403
    login_as(cohort.people["instructors"][0])  # a widyaiswara reads the list, does not revoke
    assert client.get(f"/cohorts/{cohort.id}/certificates").status_code == 200
    assert client.get(f"/certificates/{mine.id}/revoke").status_code == 403
    assert client.get("/certificates/99999/pdf").status_code == 404


def test_verification_is_rate_limited(app_factory, world, session):
    made = issued(session, world)
    limited = app_factory(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    statuses = [client.get(f"/verify/{made[0].code}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_certificates_follow_the_cohorts_real_outcomes(ctx, session, make_cohort):
    """With the outcomes of lms.results.outcomes: a certificate for each peserta whose status is
    lulus, none for tidak lulus or ditunda, and the predikat the outcome gives."""
    world = graded_world(session, make_cohort)
    cohort = world["cohort"]
    set_template(session, cohort.program)
    outcomes = cohort_outcomes(session, cohort)
    assert sorted(o.status for o in outcomes.values()) == ["ditunda", "lulus", "lulus", "lulus"]
    services.issue_all(session, cohort, None, outcomes, today=TODAY)
    got = {c.participant_id: c.predikat for c in services.cohort_certificates(session, cohort)}
    assert got == {uid: (o.predikat or "") for uid, o in outcomes.items() if o.status == "lulus"}
    assert set(outcomes) - set(got) == {uid for uid, o in outcomes.items() if o.status != "lulus"}


def test_a_peserta_sees_their_own_certificate_only(client, login_as, world, session):
    cohort = world["cohort"]
    mine, _other = issued(session, world)
    a, b, _c = cohort.people["participants"]
    login_as(a)
    html = client.get(f"/cohorts/{cohort.id}/certificates/mine").get_data(as_text=True)
    assert mine.number in html and f"/certificates/{mine.id}/pdf" in html and _other.number not in html
    login_as(b)  # tidak lulus: no certificate, and nobody else's
    html = client.get(f"/cohorts/{cohort.id}/certificates/mine").get_data(as_text=True)
    assert 'id="my-certificate"' not in html and mine.number not in html
    login_as(cohort.people["instructors"][0])
    assert client.get(f"/cohorts/{cohort.id}/certificates/mine").status_code == 403
    services.revoke(session, mine, cohort.people["coordinator"], "Salah cetak nama")
    session.commit()
    login_as(a)  # a revoked certificate is no longer handed out to its peserta
    assert client.get(f"/certificates/{mine.id}/pdf").status_code == 403


def test_a_code_typed_from_paper_finds_the_page(client, world, session):
    made = issued(session, world)
    assert client.get("/verify").status_code == 200
    response = client.get("/verify", query_string={"code": f" {made[0].code[:5].lower()} {made[0].code[5:]} "})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/verify/{made[0].code}")
    assert client.get("/verify", query_string={"code": "12345"}).status_code == 422
