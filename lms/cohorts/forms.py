from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from lms.cohorts.models import CohortStatus, Role
from lms.cohorts.services import FOLLOW_DATES, ROLE_LABELS, STATUS_LABELS
from lms.core.forms import EmailAddress, Form
from lms.core.predicates import BandsError, parse_bands

# What the participants list does with the ticked people (each asks for confirmation first).
BULK_ACTIONS = {
    "invite": _l("Invite (or invite again)"),
    "extension": _l("Give an extension"),
    "remove": _l("Remove from the cohort"),
}


class BulkForm(Form):
    action = SelectField(
        _l("With the ticked participants"),
        choices=[SelectChoice(k, v) for k, v in BULK_ACTIONS.items()],
        validators=[DataRequired()],
    )
    assessment_id = SelectField(_l("Assessment"), coerce=int, validate_choice=True, validators=[Optional()])
    cutoff_at = DateTimeLocalField(
        _l("New cut-off"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )


class ProgramForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)], render_kw={"placeholder": "PKA"})
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": "Pelatihan Kepemimpinan Administrator"},
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    bands = TextAreaField(_l("Predicate bands"), validators=[DataRequired()], render_kw={"rows": 6})
    attendance_minimum = DecimalField(
        _l("Attendance minimum in percent"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100)],
        render_kw={"inputmode": "decimal", "placeholder": "90"},
    )
    show_rank = BooleanField(_l("Show each participant's ranking (peringkat)"), default=False)

    def validate_bands(self, field):
        try:
            self.parsed_bands = parse_bands(field.data or "")
        except BandsError as exc:
            raise ValidationError(exc.args[0]) from None


class CohortForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=200)], render_kw={"placeholder": "Angkatan XII"}
    )
    year = IntegerField(
        _l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)], default=lambda: date.today().year
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), choices=lambda: status_choices(), default=FOLLOW_DATES)

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date is before the start date."))


class StaffForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), EmailAddress()])
    # Asked always (not only for unknown addresses), so the form does not tell who has an account;
    # an existing account keeps its own name.
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)],
    )
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in (Role.INSTRUCTOR, Role.COORDINATOR)]
    )


class StatusForm(Form):
    status = SelectField(_l("Status"), choices=lambda: status_choices())


def status_choices() -> list[SelectChoice]:
    """ "Follow the dates" first, then each status to set by hand."""
    return [SelectChoice(FOLLOW_DATES, _l("Follow the dates (planned, running, finished)"))] + [
        SelectChoice(s.value, _l("%(status)s (set by hand)", status=STATUS_LABELS[s])) for s in CohortStatus
    ]


def chosen_status(value: str) -> CohortStatus | None:
    """The status a cohort form chose; None when it follows the dates."""
    return None if value == FOLLOW_DATES else CohortStatus(value)


class RosterUploadForm(Form):
    file = FileField(_l("Roster file (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))])
