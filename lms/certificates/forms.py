"""Forms: a program's certificate template and a revocation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.certificates.models import DEFAULT_PATTERN
from lms.core.forms import Form


class TemplateForm(Form):
    letterhead = TextAreaField(_l("Letterhead"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 4})
    number_pattern = StringField(
        _l("Number pattern"), validators=[DataRequired(), Length(max=100)], default=DEFAULT_PATTERN
    )
    signer_name = StringField(_l("Signing official"), validators=[DataRequired(), Length(max=200)])
    signer_nip = StringField(_l("Signing official's NIP"), validators=[Optional(), Length(max=30)])
    signer_position = StringField(_l("Signing official's position"), validators=[Optional(), Length(max=200)])
    place = StringField(_l("Place of signing"), validators=[Optional(), Length(max=100)])


class RevokeForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=500)], render_kw={"rows": 3})
