"""The printable sheet of activation codes (WeasyPrint, the same URL fetcher as the exports)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from lms.core.context import real_app
from lms.mail.services import absolute_url
from lms.results.exports.as_pdf import PDF_BASE_URL, make_fetcher


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
    from weasyprint import HTML  # noqa: PLC0415  (WeasyPrint takes ~2 s to import: only where a PDF is made)

    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=make_fetcher(app)).write_pdf()
