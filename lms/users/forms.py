from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.core.civil_service import golongan_choices
from lms.core.forms import EmailAddress, Form


class UserForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), EmailAddress(), Length(max=254)])
    is_manager = BooleanField(_l("Program manager (penyelenggara): may create programs and cohorts"))
    is_admin = BooleanField(_l("Administrator"))


class ProfileForm(Form):
    """The civil-service profile of a participant."""

    nip = StringField(
        _l("NIP"),
        validators=[DataRequired(), Length(max=30)],
        render_kw={"inputmode": "numeric", "placeholder": "19860926 201505 1 001"},
    )
    instansi = StringField(_l("Agency (instansi)"), validators=[Optional(), Length(max=200)])
    unit = StringField(_l("Work unit"), validators=[Optional(), Length(max=200)])
    jabatan = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    golongan = SelectField(_l("Rank (pangkat/golongan)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.golongan.choices = [SelectChoice("", _l("— not set —"))] + [
            SelectChoice(v, label) for v, label in golongan_choices()
        ]


class ParticipantForm(UserForm, ProfileForm):
    """Enrolling one participant: account and profile in one form."""

    is_manager = None
    is_admin = None
    # The NIP of an existing person the coordinator saw and confirmed on the previous answer.
    confirm = HiddenField()
