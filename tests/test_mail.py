"""E-mail through a real SMTP server (aiosmtpd) started in the test: multipart, the recipient's
language, absolute links, STARTTLS/SSL with login, the outbox without a server, and a server that
is down or refuses the address."""

from __future__ import annotations

import email
import email.policy
import os
import ssl
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from lms.mail.models import MailMessage, MailStatus
from tests.mailserver import body, free_port, smtp_server


def queue_invitation(app: Any, to: str = "peserta@example.go.id", locale: str = "id", commit: bool = True) -> int:
    from lms import db
    from lms.mail.services import queue_mail

    with app.app_context():
        message = queue_mail(
            db.session,
            to=to,
            template="invitation",
            locale=locale,
            subject=_subject(),
            purpose="invitation",
            context={
                "name": "Dewi Lestari",
                "cohort": "PKA Angkatan I 2026",
                "program": "Pelatihan Kepemimpinan Administrator",
                "email": to,
                "expires": "10 Desember 2026",
                "link": "https://lms.example.go.id/activate/abc",
            },
        )
        message_id = message.id
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
    return message_id


def _subject() -> Any:
    from flask_babel import lazy_gettext as _l

    return _l("Your invitation to Tolok")


def smtp_app(app_factory: Any, port: int, **extra: Any) -> Any:
    config = {
        "JOBS_IMMEDIATE": True,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": 5,
        "MAIL_FROM": "Tolok PKA <noreply@bpsdm.example.go.id>",
        "BASE_URL": "https://lms.example.go.id",
    }
    config.update(extra)
    return app_factory(**config)


def test_a_queued_message_arrives_multipart_in_the_recipients_language(app_factory, session):
    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port)
        queue_invitation(app, "dewi@example.go.id", "id")
        queue_invitation(app, "john@example.go.id", "en")
    assert len(inbox.messages) == 2
    dewi, john = inbox.to("dewi@example.go.id")[0], inbox.to("john@example.go.id")[0]
    assert dewi["From"] == "Tolok PKA <noreply@bpsdm.example.go.id>" and dewi["Message-ID"] and dewi["Date"]
    assert dewi.get_content_type() == "multipart/alternative"
    # Each in the language asked for (the catalogue's words are checked by test_translations).
    assert dewi["Content-Language"] == "id" and john["Content-Language"] == "en"
    assert '<html lang="id">' in body(dewi, "html") and '<html lang="en">' in body(john, "html")
    assert "Hello Dewi Lestari" in body(john, "plain") and john["Subject"] == "Your invitation to Tolok"
    html = body(dewi, "html")
    assert 'href="https://lms.example.go.id/activate/abc"' in html and "Pelatihan Kepemimpinan Administrator" in html
    assert "https://lms.example.go.id/" in body(dewi, "plain")  # the footer's link is absolute too
    statuses = session.scalars(select(MailMessage.status)).all()
    assert statuses == [MailStatus.SENT, MailStatus.SENT]


def test_nothing_is_sent_when_the_transaction_rolls_back(app_factory, session):
    with smtp_server() as (inbox, port):
        app = smtp_app(app_factory, port)
        queue_invitation(app, commit=False)
    assert inbox.messages == [] and session.scalars(select(MailMessage)).all() == []


def _certificate(tmp_path: Any) -> tuple[str, str]:
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _authenticator(seen: list[tuple[str, str]]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        seen.append((login, password))
        ok = (login, password) == ("tolok", "s3cret-smtp")
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself

    return check


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(app_factory, session, tmp_path, monkeypatch, security):
    cert, key = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the client trusts the test's certificate, and only that
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    seen: list[tuple[str, str]] = []
    # PLAIN only: smtplib's LOGIN fallback after a refused PLAIN stalls against aiosmtpd.
    kwargs: dict[str, Any] = {
        "authenticator": _authenticator(seen),
        "auth_require_tls": True,
        "auth_exclude_mechanism": ["LOGIN"],
    }
    if security == "starttls":
        kwargs.update(tls_context=server_tls, require_starttls=True)
    else:  # TLS from the first byte; aiosmtpd only knows TLS it negotiated itself (STARTTLS)
        kwargs.update(ssl_context=server_tls, auth_require_tls=False)
    with smtp_server(**kwargs) as (inbox, port):
        app = smtp_app(app_factory, port, SMTP_SECURITY=security, SMTP_USER="tolok", SMTP_PASSWORD="s3cret-smtp")
        queue_invitation(app)
        bad = smtp_app(app_factory, port, SMTP_SECURITY=security, SMTP_USER="tolok", SMTP_PASSWORD="wrong")
        wrong_id = queue_invitation(bad, "other@example.go.id")
    assert seen[0] == ("tolok", "s3cret-smtp") and len(inbox.messages) == 1
    wrong = session.get(MailMessage, wrong_id)
    assert wrong.status == MailStatus.QUEUED and "Authentication" in wrong.last_error  # retried later, not lost


def test_a_server_that_is_down_is_retried_with_growing_waits_then_marked_not_sent(app_factory, session):
    from lms.jobs.queue import get_queue

    app = smtp_app(app_factory, free_port(), MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_SECONDS=30)  # nothing listens there
    message_id = queue_invitation(app)
    huey = get_queue(app).huey
    waits = []
    for attempt in (1, 2, 3):
        session.expire_all()
        message = session.get(MailMessage, message_id)
        assert message.attempts == attempt and "ConnectionRefusedError" in message.last_error
        scheduled = huey.scheduled()
        if attempt < 3:
            assert message.status == MailStatus.QUEUED and len(scheduled) == 1
            waits.append((scheduled[0].eta.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds())
            huey.storage.flush_schedule()
            get_queue(app).send("mail.send", {"message_id": message_id})  # the consumer's retry, now
        else:
            assert message.status == MailStatus.FAILED and scheduled == []
    assert 25 < waits[0] <= 30 and 55 < waits[1] <= 60  # 30 s, then twice as long


def test_a_refused_address_bounces_without_retrying(app_factory, session):
    from lms.jobs.queue import get_queue

    with smtp_server() as (inbox, port):
        inbox.refuse.add("gone@example.go.id")
        app = smtp_app(app_factory, port)
        message_id = queue_invitation(app, "gone@example.go.id")
    message = session.get(MailMessage, message_id)
    assert message.status == MailStatus.BOUNCED and "550" in message.last_error
    assert get_queue(app).huey.scheduled() == [] and inbox.messages == []


def test_without_a_server_each_message_is_an_eml_file_in_the_outbox(app_factory, session, caplog):
    app = app_factory(JOBS_IMMEDIATE=True)
    caplog.set_level("INFO", logger="lms.mail")
    queue_invitation(app)
    folder = app.config["MAIL_OUTBOX_DIR"]
    files = [name for name in os.listdir(folder) if name.endswith(".eml")]
    assert len(files) == 1 and not [n for n in os.listdir(folder) if n.endswith(".part")]
    with open(os.path.join(folder, files[0]), "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    assert "https://lms.example.go.id/activate/abc" in body(message, "plain")
    assert session.scalar(select(MailMessage.status)) == MailStatus.SENT
    logged = caplog.text
    assert files[0] in logged and str(message["Subject"]) in logged
    assert "activate/abc" not in logged and "peserta@example.go.id" not in logged  # never a link (token) or an address


def test_make_run_prints_the_outbox(app):
    result = app.test_cli_runner().invoke(args=["lms", "outbox"])
    assert result.exit_code == 0 and app.config["MAIL_OUTBOX_DIR"] in result.output
