"""The base form: WTForms' own messages ("This field is required.") in the user's language.

WTForms ships no Indonesian catalogue, so its messages are marked below for extraction into
Tolok's catalogues and looked up there at validation time.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from lms.core.emails import INVALID_EMAIL, is_valid_email

# Dates people may type: a year like 9999 overflowed the time-zone conversion (a 500); nothing in
# a training program happens outside these years.
MIN_YEAR, MAX_YEAR = 1900, 2200


class _CatalogueTranslations:
    """WTForms formats its messages itself, so look them up without Flask-Babel's formatting."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _CatalogueTranslations:
            return _CatalogueTranslations()

    def validate(self, extra_validators: Any = None) -> bool:
        """WTForms' validation, and every date or time kept to years the app can compute with."""
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, date) and not MIN_YEAR <= field.data.year <= MAX_YEAR:
                field.errors = [
                    *field.errors,
                    _l("Choose a date between the years %(first)s and %(last)s.", first=MIN_YEAR, last=MAX_YEAR),
                ]
                valid = False
        return valid


class EmailAddress:
    """The one e-mail rule (``lms.core.emails``) as a field validator, so that a form refuses what
    the service would (an empty optional field passes)."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not is_valid_email(field.data):
            raise ValidationError(str(INVALID_EMAIL))


def int_or_none(raw: object) -> int | None:
    """A positive whole number typed in a form or a URL, or None: "12" → 12; "²", "1e3", "" or a
    number too long for the database → None (``str.isdigit`` alone accepts "²")."""
    text = str(raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    return None


def N_(string: str) -> str:  # marks a message for extraction only
    return string


def ngettext(singular: str, plural: str, n: int = 1) -> tuple[str, str]:  # marks a plural for extraction only
    return singular, plural


WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid email address."),
    N_("Not a valid date value."),
    N_("Not a valid integer value."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Field must be equal to %(other_name)s."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 2),
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 2),
)
