"""E-mail: render in the recipient's language, queue after the commit, send from a job.

``queue_mail`` (from templates) and ``queue_message`` (already rendered) record a
:class:`~lms.mail.models.MailMessage` and queue the task ``mail.send`` once the caller commits;
the task hands the message to :func:`send_mail`, the one place that talks SMTP (or, without
``LMS_SMTP_HOST``, writes an .eml file to the outbox folder). See docs/jobs.md.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from huey.exceptions import RetryTask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.core.urls import path_for
from lms.db import utcnow
from lms.jobs.queue import TaskRun, enqueue, task
from lms.mail.models import MailMessage, MailStatus

log = logging.getLogger("lms.mail")
DEV_BASE_URL = "http://127.0.0.1:5000"


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mail (``LMS_BASE_URL`` + the endpoint's path), with or without a request."""

    return (current_app.config["BASE_URL"] or DEV_BASE_URL).rstrip("/") + path_for(endpoint, **values)


def outbox_dir(app: Flask | None = None) -> str:
    app = app or current_app
    return app.config["MAIL_OUTBOX_DIR"] or os.path.join(app.instance_path, "outbox")


def queue_message(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    locale: str = "",
    user_id: int | None = None,
    purpose: str = "",
) -> MailMessage:
    """Record an already rendered message and send it from a job once ``session`` commits."""
    message = MailMessage(
        recipient=to,
        user_id=user_id,
        purpose=purpose,
        subject=str(subject)[:300],
        text_body=text,
        html_body=html,
        locale=locale or current_app.config["DEFAULT_LOCALE"],
        status=MailStatus.QUEUED,
        attempts=0,
    )
    session.add(message)
    session.flush()
    enqueue(session, "mail.send", message_id=message.id)
    return message


def queue_mail(
    session: Session,
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    locale: str,
    subject: Any,
    user_id: int | None = None,
    purpose: str = "",
) -> MailMessage:
    """Render ``mail/<template>.txt`` and ``.html`` and ``subject`` (a lazy string) in ``locale``, then
    :func:`queue_message`. Templates extend ``mail/base.*``; ``context["program"]`` names the program."""
    with force_locale(locale):
        values = {"base_url": absolute_url("home.dashboard"), **context}
        text = render_template(f"mail/{template}.txt", **values)
        html = render_template(f"mail/{template}.html", **values)
        rendered_subject = str(subject)
    return queue_message(
        session, to=to, subject=rendered_subject, text=text, html=html, locale=locale, user_id=user_id, purpose=purpose
    )


def latest_status(session: Session, user_ids: Iterable[int], purposes: Iterable[str]) -> dict[int, MailMessage]:
    """Each person's newest message of these purposes, in one query (for a list's "not sent")."""
    ids, kinds = list(user_ids), list(purposes)
    if not ids:
        return {}
    newest = (
        select(func.max(MailMessage.id))
        .where(MailMessage.user_id.in_(ids), MailMessage.purpose.in_(kinds))
        .group_by(MailMessage.user_id)
    )
    rows = session.scalars(select(MailMessage).where(MailMessage.id.in_(newest)))
    return {row.user_id: row for row in rows if row.user_id is not None}


# -- sending ---------------------------------------------------------------------------------------


class Bounce(Exception):
    """The server refused the recipient for good (5xx): trying again cannot help."""


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    email["Content-Language"] = message.locale  # after the body: set_content drops Content-* headers
    return email


def send_mail(email: EmailMessage) -> str:
    """Hand one message to the configured server, or to the outbox folder without one.

    Returns where it went. Raises :class:`Bounce` when the server refuses the recipient for good,
    any other exception when the attempt failed and may succeed later.
    """
    config = current_app.config
    if not config["SMTP_HOST"]:
        folder = outbox_dir()
        os.makedirs(folder, exist_ok=True)
        name = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{make_msgid().strip('<>').split('@')[0]}.eml"
        path = os.path.join(folder, name)
        with open(path + ".part", "wb") as handle:
            handle.write(bytes(email))
        os.replace(path + ".part", path)
        return path
    security = config["SMTP_SECURITY"]
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    tls = ssl.create_default_context()
    smtp: smtplib.SMTP = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls)
        if security == "ssl"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    with smtp:
        if security == "starttls":
            smtp.starttls(context=tls)
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        try:
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise Bounce(str(codes)) from exc
            raise
    return f"{host}:{port}"


def retry_delay(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: MAIL_RETRY_SECONDS, then twice as long each time."""
    return int(current_app.config["MAIL_RETRY_SECONDS"] * 2 ** max(0, attempts - 1))


@task("mail.send")
def deliver(run: TaskRun, *, message_id: int) -> None:
    """Send one recorded message; on a passing failure try again later (backoff), up to
    MAIL_MAX_ATTEMPTS; record sent, bounced or failed."""
    session = run.session
    message = session.get(MailMessage, message_id)
    if message is None or message.status != MailStatus.QUEUED:
        return  # sent already (a duplicate queue entry) or given up
    message.attempts += 1
    domain = message.recipient.rsplit("@", 1)[-1]
    try:
        where = send_mail(build_email(message, current_app.config["MAIL_FROM"]))
    except Bounce as exc:
        message.status, message.last_error = MailStatus.BOUNCED, f"refused: {exc}"[:300]
        log.warning("mail %s (%s) to @%s bounced", message.id, message.purpose, domain)
        return
    except Exception as exc:  # server down, timeout, TLS or login trouble: maybe later
        message.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            message.status = MailStatus.FAILED
            log.error(
                "mail %s (%s) to @%s not sent after %s attempts: %s",
                message.id,
                message.purpose,
                domain,
                message.attempts,
                message.last_error,
            )
            return
        delay = retry_delay(message.attempts)
        session.commit()  # the attempt is on record before the retry is scheduled
        log.warning(
            "mail %s (%s) to @%s failed (attempt %s), retrying in %ss: %s",
            message.id,
            message.purpose,
            domain,
            message.attempts,
            delay,
            message.last_error,
        )
        raise RetryTask(delay=delay) from exc
    message.status, message.sent_at, message.last_error = MailStatus.SENT, utcnow(), None
    log.info("mail %s (%s) to @%s: %r sent to %s", message.id, message.purpose, domain, message.subject, where)
