"""A cohort's certificates as one A4 PDF (WeasyPrint), each with its QR code inline as SVG.

The QR code holds the public verification address (``LMS_BASE_URL`` + ``/verify/<code>``); the
app's PDF renderer (:mod:`lms.core.pdf`) reads the app's static files and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import segno
from flask import Flask, render_template
from markupsafe import Markup

from lms.certificates.models import Certificate, CertificateTemplate
from lms.certificates.services import show_code, verify_url
from lms.core.pdf import renderer
from lms.results.exports.as_pdf import Formats

PDF_CSS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certificate.css")


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as an inline ``<svg>`` (no file, nothing to fetch)."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=3, border=2, dark="#000", omitsize=True))  # noqa: S704 (segno's own markup)


def render_pdf(certificates: Sequence[Certificate], template: CertificateTemplate, app: Flask | None = None) -> bytes:
    """One page per certificate, in the order given."""
    pages = [(c, verify_url(c), qr_svg(verify_url(c)), show_code(c.code)) for c in certificates]
    html = render_template(
        "certificates/pdf.html",
        pages=pages,
        template=template,
        fmt=Formats("id"),
        letterhead=[line for line in template.letterhead.splitlines() if line.strip()],
    )
    return renderer(app).render(html, stylesheets=[PDF_CSS])
