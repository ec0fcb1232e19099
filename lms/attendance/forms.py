"""Forms of the timetable and of the attendance sheet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from lms.attendance.services import MAX_JP
from lms.core.forms import Form, int_or_none


class SessionForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends_at = TimeField(_l("Ends at"), validators=[DataRequired()])
    jp = IntegerField(_l("JP (lesson hours)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_JP)], default=2)
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    instructor_id = SelectField(_l("Widyaiswara"), coerce=int_or_none, validate_choice=True)


class RecordForm(Form):
    """The sheet's CSRF token, version and the widyaiswara's presence; each peserta's status is
    read from the fields ``p-<user id>`` (one radio group per person)."""

    version = HiddenField()
    instructor_present = BooleanField(_l("The widyaiswara taught this session"), default=True)
