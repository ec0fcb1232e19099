"""The printable sheet of activation codes, made by the app's PDF renderer (:mod:`lms.core.pdf`)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from lms.core.context import real_app
from lms.core.pdf import renderer
from lms.mail.services import absolute_url


def render_codes_pdf(cohort: Any, issued: list[tuple[Any, str]]) -> bytes:
    """One A4 sheet, a cut-out slip per participant: name, NIP, login, code and where to type it."""

    app = real_app()
    html = render_template(
        "invitations/codes_pdf.html",
        cohort=cohort,
        issued=issued,
        where=absolute_url("invitations.code"),
        days=app.config["INVITATION_DAYS"],
    )
    return renderer(app).render(html)
