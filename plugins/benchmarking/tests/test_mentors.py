"""Mentors confirm implementation (issue 16): a peserta invites their superior, the e-mail arrives
(read from a real SMTP server), the mentor answers through the link without an account, the answer
is recorded and shown to the peserta and the staff, and the link is refused once the round closes,
when replaced, when tampered with, and for anyone else's reports."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.mail.models import MailMessage
from lms.notifications.models import Notification
from lms.users.models import User
from plugins.benchmarking import evidence, followups
from plugins.benchmarking.models import Attachment, FollowupRound, Mentor, MentorReview, MentorVerdict
from plugins.benchmarking.tests.test_practices import PNG_1PX, logged, plugin_on, world  # noqa: F401  (fixtures)
from tests.mailserver import body, smtp_server
from tests.support import login
from tests.test_invitations import smtp_app

pytestmark = pytest.mark.usefixtures("plugin_on")
TODAY = date.today()
NOW = datetime.now(UTC).replace(microsecond=0)
LINK = re.compile(r"https://lms\.example\.go\.id(/benchmarking/mentor/[A-Za-z0-9_.\-]+)")
VALID_NIP = "198609262015051001"
# Every mentor endpoint, each attacked below (tests/test_access.py fails on a new one missing here).
ATTACKED_RULES = {
    "/benchmarking/mentor/<token>",  # public by token: tampered, replaced, closed round, another peserta
    "/benchmarking/mentor/<token>/files/<id>",  # public by token: another peserta's, another round's, closed
    "/benchmarking/rounds/<id>/mentor",  # a peserta of another cohort
    "/benchmarking/rounds/<id>/participants/<id>/mentor",  # a peserta; a person outside the cohort
}
PUBLIC_BY_TOKEN = {"/benchmarking/mentor/<token>", "/benchmarking/mentor/<token>/files/<int:attachment_id>"}


def reported(
    session: Any,
    world: Any,
    who: int = 0,  # noqa: F811  (the fixture passed on)
    title: str = "Rumah sakit tanpa kelas",
) -> tuple[Any, Any]:
    """A submitted adapted practice of peserta ``who`` and their report in the cohort's open round."""
    practice = logged(session, world, who=who, title=title)
    round_ = session.scalar(select(FollowupRound).where(FollowupRound.cohort_id == world["cohort"].id))
    if round_ is None:
        round_ = followups.open_round(
            session,
            session.get(type(world["visit"].cohort), world["cohort"].id),
            "3 bulan setelah kunjungan",
            TODAY - timedelta(days=1),
            TODAY + timedelta(days=30),
        )
    followup = followups.report(
        session,
        round_,
        practice,
        world["people"][who],
        status="implemented",
        outcome="Ruang percontohan berjalan sejak Juli.",
        evidence_links="https://rsud.example.go.id/bukti",
        today=TODAY,
        now=NOW,
    )
    session.commit()
    return round_, followup


def invite(client: Any, round_: Any, **fields: str) -> Any:
    data = {
        "name": "Dr. Sri Wahyuni",
        "position": "Direktur RSUD",
        "nip": "",
        "email": "sri.wahyuni@rsud.example.go.id",
    }
    data.update(fields)
    return client.post(f"/benchmarking/rounds/{round_.id}/mentor", data=data)


def mentor_link(session: Any, email: str) -> str:
    message = session.scalars(
        select(MailMessage).where(MailMessage.recipient == email).order_by(MailMessage.id.desc())
    ).first()
    found = LINK.search(message.text_body) or re.search(
        r"https?://[^\s]+(/benchmarking/mentor/[A-Za-z0-9_.\-]+)", message.text_body
    )
    assert found, message.text_body
    return found.group(1)


def reviews(session: Any) -> list[MentorReview]:
    session.expire_all()
    return list(session.scalars(select(MentorReview).order_by(MentorReview.id)))


def test_peserta_invites_mentor_mail_arrives_mentor_confirms_recorded_visible_refused_after_close(
    app_factory, world, session
):  # noqa: F811  (fixture)
    round_, followup = reported(session, world)
    person = world["people"][0]
    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port)
        client = app.test_client()
        login(client, person)
        page = client.get(f"/benchmarking/rounds/{round_.id}/report").get_data(as_text=True)
        assert f"/benchmarking/rounds/{round_.id}/mentor" in page

        # Bad input: the project's e-mail and NIP rules, a clear message, 422, nothing saved.
        bad = invite(client, round_, email="sri@@rsud")
        assert bad.status_code == 422 and "Enter a valid email address." in bad.get_data(as_text=True)
        bad = invite(client, round_, nip="1986092620150510")
        assert bad.status_code == 422 and "NIP must have 18 digits" in bad.get_data(as_text=True)
        assert session.scalar(select(func.count()).select_from(Mentor)) == 0

        done = invite(client, round_, nip=VALID_NIP)
        assert done.status_code == 303
        mentor = session.scalar(select(Mentor))
        assert (mentor.participant_id, mentor.nip, mentor.email) == (
            person.id,
            VALID_NIP,
            "sri.wahyuni@rsud.example.go.id",
        )
        mails = [m for m in inbox.messages if m["To"] == "sri.wahyuni@rsud.example.go.id"]
        assert len(mails) == 1
        text = body(mails[0], "plain")
        assert person.name in text and "3 bulan setelah kunjungan" in text and "confirm" in text
        link = LINK.search(text).group(1)
        assert link in body(mails[0], "html")

        # The mentor needs no account; the page shows this peserta's report and nothing else.
        other_round, other = reported(session, world, who=1, title="Mal pelayanan publik")
        mentor_client = app.test_client()
        page = mentor_client.get(link)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        html = page.get_data(as_text=True)
        assert "Rumah sakit tanpa kelas" in html and "Ruang percontohan berjalan" in html
        assert "Mal pelayanan publik" not in html

        answered = mentor_client.post(link, data={"followup_id": followup.id, "verdict": "confirmed", "comment": ""})
        assert answered.status_code == 303
        [review] = reviews(session)
        assert (review.mentor_id, review.round_id, review.followup_id, review.verdict) == (
            mentor.id,
            round_.id,
            followup.id,
            MentorVerdict.CONFIRMED,
        )
        assert review.at is not None and review.reported_at == followup.reported_at

        # Replay of the same answer: a conflict, still one row.
        again = mentor_client.post(link, data={"followup_id": followup.id, "verdict": "disputed", "comment": "x"})
        assert again.status_code == 409 and len(reviews(session)) == 1

        # The peserta is told, and sees the answer; so does the staff's round page.
        told = session.scalars(select(Notification).where(Notification.kind == "benchmarking.mentor_confirmed")).all()
        assert [n.recipient_id for n in told] == [person.id]
        mine = client.get(f"/benchmarking/rounds/{round_.id}/report").get_data(as_text=True)
        assert 'data-verdict="confirmed"' in mine and "Dr. Sri Wahyuni" in mine
        staff = app.test_client()
        login(staff, world["teacher"])
        table = staff.get(f"/benchmarking/rounds/{round_.id}").get_data(as_text=True)
        assert 'data-verdict="confirmed"' in table and "Dr. Sri Wahyuni" in table

    # The round closes: the link is refused with a clear page, and nothing more is recorded.
    session.get(FollowupRound, round_.id).due_on = TODAY - timedelta(days=1)
    session.commit()
    closed = mentor_client.get(link)
    assert closed.status_code == 410 and "closed on" in closed.get_data(as_text=True)
    late = mentor_client.post(link, data={"followup_id": other.id, "verdict": "confirmed"})
    assert late.status_code == 410 and len(reviews(session)) == 1


def test_dispute_needs_a_comment_and_a_link_gives_nothing_of_anyone_else(
    app,
    world,
    session,  # noqa: F811
    make_cohort,
):
    round_, followup = reported(session, world)
    _r, other = reported(session, world, who=1, title="Mal pelayanan publik")
    person = world["people"][0]
    client = app.test_client()
    login(client, person)
    assert invite(client, round_).status_code == 303
    link = mentor_link(session, "sri.wahyuni@rsud.example.go.id")
    mentor_client = app.test_client()

    # Another peserta's report through this link: nothing, and nothing recorded.
    assert mentor_client.post(link, data={"followup_id": other.id, "verdict": "confirmed"}).status_code == 404
    assert mentor_client.post(link, data={"followup_id": "x", "verdict": "confirmed"}).status_code == 404
    # A dispute without a comment is refused; with one it is recorded and the peserta is told why.
    bare = mentor_client.post(link, data={"followup_id": followup.id, "verdict": "disputed", "comment": " "})
    assert bare.status_code == 422 and reviews(session) == []
    done = mentor_client.post(
        link,
        data={
            "followup_id": followup.id,
            "verdict": "disputed",
            "comment": "Ruang percontohan belum dibuka; baru rapat.",
        },
    )
    assert done.status_code == 303
    [review] = reviews(session)
    assert review.verdict == MentorVerdict.DISPUTED and review.comment == "Ruang percontohan belum dibuka; baru rapat."
    [note] = session.scalars(select(Notification).where(Notification.kind == "benchmarking.mentor_disputed")).all()
    assert note.recipient_id == person.id and note.payload["comment"] == review.comment
    page = client.get(f"/benchmarking/rounds/{round_.id}/report").get_data(as_text=True)
    assert 'data-verdict="disputed"' in page and "baru rapat" in page

    # A corrected report can be answered again (the earlier answer is kept).
    followups.report(
        session,
        session.get(FollowupRound, round_.id),
        followup.practice,
        person,
        status="in_progress",
        outcome="",
        evidence_links="",
        today=TODAY,
        now=NOW + timedelta(minutes=5),
    )
    session.commit()
    more = mentor_client.post(
        link, data={"followup_id": followup.id, "verdict": "more_evidence", "comment": "Kirim foto ruangannya."}
    )
    assert more.status_code == 303 and [r.verdict for r in reviews(session)] == [
        MentorVerdict.DISPUTED,
        MentorVerdict.MORE_EVIDENCE,
    ]

    # Tampered, forged or replaced links: 410, never a page.
    token = link.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "not-a-token", token.split(".")[0]):
        assert mentor_client.get(f"/benchmarking/mentor/{bad}").status_code == 410
    assert invite(client, round_).status_code == 303  # invited again: a new link, the old one stops
    assert mentor_client.get(link).status_code == 410
    assert mentor_client.get(mentor_link(session, "sri.wahyuni@rsud.example.go.id")).status_code == 200

    # Inviting for someone else: a peserta of another cohort is refused, a coordinator of another
    # cohort too, and a coordinator cannot name a person outside the round's cohort.
    stranger_cohort = make_cohort(participants=1)
    stranger = stranger_cohort.people["participants"][0]
    outsider = app.test_client()
    login(outsider, stranger)
    assert invite(outsider, round_).status_code == 403
    assert outsider.get(f"/benchmarking/rounds/{round_.id}/participants/{person.id}/mentor").status_code == 403
    assert client.get(f"/benchmarking/rounds/{round_.id}/participants/{person.id}/mentor").status_code == 403
    coordinator = app.test_client()
    login(coordinator, world["coordinator"])
    assert coordinator.get(f"/benchmarking/rounds/{round_.id}/participants/{stranger.id}/mentor").status_code == 404
    for_person = coordinator.post(
        f"/benchmarking/rounds/{round_.id}/participants/{person.id}/mentor",
        data={"name": "Ir. Budi", "position": "Sekretaris Daerah", "nip": "", "email": "budi@pemda.example.go.id"},
    )
    assert for_person.status_code == 303
    budi = session.scalar(select(Mentor).where(Mentor.email == "budi@pemda.example.go.id"))
    assert budi.participant_id == person.id and budi.invited_by_id == world["coordinator"].id
    assert session.get(User, stranger.id) is not None


def test_mentor_opens_the_reports_evidence_files_through_the_link_and_nothing_else(app, world, session):  # noqa: F811
    """The peserta uploads a photo to their report; the mentor's link lists and serves it without a
    login; another peserta's file, a practice's own file, a tampered link and a closed round are refused."""
    round_, followup = reported(session, world)
    _r, other = reported(session, world, who=1, title="Mal pelayanan publik")
    person, neighbour = world["people"][0], world["people"][1]
    client = app.test_client()
    login(client, person)
    sent = client.post(
        f"/benchmarking/followups/{followup.id}/files",
        data={"file": (io.BytesIO(PNG_1PX), "ruang-percontohan.png")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    [photo] = session.scalars(select(Attachment).where(Attachment.followup_id == followup.id)).all()
    assert (photo.owner_id, photo.practice_id, photo.content_type) == (person.id, None, "image/png")
    # Someone else's report takes no file from this peserta.
    assert (
        client.post(
            f"/benchmarking/followups/{other.id}/files",
            data={"file": (io.BytesIO(PNG_1PX), "x.png")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
    other_client = app.test_client()
    login(other_client, neighbour)
    other_client.post(
        f"/benchmarking/followups/{other.id}/files",
        data={"file": (io.BytesIO(PNG_1PX), "bukan-milik-mentor.png")},
        content_type="multipart/form-data",
    )
    theirs = session.scalar(select(Attachment).where(Attachment.followup_id == other.id))
    assert theirs is not None

    assert invite(client, round_).status_code == 303
    link = mentor_link(session, "sri.wahyuni@rsud.example.go.id")
    mentor_client = app.test_client()
    page = mentor_client.get(link).get_data(as_text=True)
    assert "ruang-percontohan.png" in page and "bukan-milik-mentor.png" not in page
    got = mentor_client.get(f"{link}/files/{photo.id}")
    assert got.status_code == 200 and got.data == PNG_1PX
    assert got.headers["Content-Disposition"].startswith("attachment") and got.headers["Cache-Control"] == "no-store"
    got.close()
    assert mentor_client.get(f"{link}/files/{theirs.id}").status_code == 404
    assert mentor_client.get(f"{link}x/files/{photo.id}").status_code == 410
    # A practice's own evidence (from the visit) is not the round's.
    own = logged(session, world, who=0, title="Survei kepuasan", submit=False)
    practice_file = evidence.add(session, own, person, PNG_1PX, "host.png", max_file=10**6, max_practice=10**7)
    session.commit()
    assert mentor_client.get(f"{link}/files/{practice_file.id}").status_code == 404

    session.get(FollowupRound, round_.id).due_on = TODAY - timedelta(days=1)
    session.commit()
    assert mentor_client.get(f"{link}/files/{photo.id}").status_code == 410
    # Nor can the peserta add evidence to a closed round.
    late = client.post(
        f"/benchmarking/followups/{followup.id}/files",
        data={"file": (io.BytesIO(PNG_1PX), "telat.png")},
        content_type="multipart/form-data",
    )
    assert late.status_code == 303
    assert (
        session.scalar(select(func.count()).select_from(Attachment).where(Attachment.followup_id == followup.id)) == 1
    )
