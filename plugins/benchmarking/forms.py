from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from lms.core.forms import Form
from plugins.benchmarking.models import HostKind
from plugins.benchmarking.services import HOST_KIND_LABELS


class HostForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"placeholder": "Pemerintah Kota Pontianak"})
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, HOST_KIND_LABELS[k]) for k in HostKind],
                       default=HostKind.CITY.value)
    region = StringField(_l("Region"), validators=[Optional(), Length(max=200)],
                         render_kw={"placeholder": "Kalimantan Barat"})
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          render_kw={"placeholder": "https://"})
    recognition = TextAreaField(_l("Recognition (Markdown)"), validators=[Optional(), Length(max=20000)],
                                render_kw={"rows": 5})
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(_l("Contact email"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)])


class VisitForm(Form):
    host_id = SelectField(_l("Host organisation"), coerce=int, validators=[DataRequired()])
    theme = StringField(_l("Theme"), validators=[DataRequired(), Length(max=300)],
                        render_kw={"placeholder": "Inovasi pelayanan publik"})
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[DataRequired()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=300)])
    briefing = TextAreaField(_l("Briefing (Markdown)"), validators=[Optional(), Length(max=50000)], render_kw={"rows": 8})
    guiding_questions = TextAreaField(_l("Guiding questions, one per line"), validators=[Optional(), Length(max=10000)],
                                      render_kw={"rows": 5})

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The visit ends before it starts."))


class SplitForm(Form):
    count = IntegerField(_l("Number of groups"), validators=[DataRequired(), NumberRange(min=1, max=100)], default=4)
