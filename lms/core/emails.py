"""The one e-mail rule: which addresses Tolok accepts (email-validator) and the form it keeps.

Every path that writes an address goes through :func:`clean_email` (user forms and services,
enrolment, roster import, host contacts, the CLI); lookups compare :func:`email_key` forms.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from lms.core.errors import DomainError

INVALID_EMAIL = _l("Enter a valid email address.")


def email_key(email: str) -> str:
    """Emails are compared and stored lower-cased and trimmed."""
    return email.strip().lower()


def is_valid_email(value: str) -> bool:
    """Does email-validator accept ``value`` as an address (syntax only: no DNS look-up, so an
    agency's mail server being down never blocks enrolment)?"""
    try:
        validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def clean_email(value: str, field: str = "email") -> str:
    """``value`` as stored (normalised by email-validator, trimmed, lower-cased), or a
    ``DomainError`` on ``field`` for anything else: ``a b@@c``, no domain, over 254 characters."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(INVALID_EMAIL, field=field) from None
    return email_key(result.normalized)
