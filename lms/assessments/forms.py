from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from lms.assessments.models import Aggregation
from lms.core.forms import Form

DT_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class AssessmentForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"))
    instructions = TextAreaField(
        _l("Instructions (Markdown)"), validators=[Optional(), Length(max=50000)], render_kw={"rows": 6}
    )
    opens_at = DateTimeLocalField(_l("Opens"), format=DT_FORMAT, validators=[Optional()])
    due_at = DateTimeLocalField(_l("Due"), format=DT_FORMAT, validators=[Optional()])
    cutoff_at = DateTimeLocalField(_l("Cut-off (nothing accepted after it)"), format=DT_FORMAT, validators=[Optional()])
    weight = DecimalField(
        _l("Weight in the final score"), places=2, default=1, validators=[InputRequired(), NumberRange(min=0, max=1000)]
    )
    rubric_id = SelectField(_l("Rubric"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    max_submissions = IntegerField(
        _l("Submissions allowed"), default=1, validators=[DataRequired(), NumberRange(min=1, max=20)]
    )
    aggregation = SelectField(
        _l("Several submissions count as"),
        default=Aggregation.MEAN.value,
        choices=[
            SelectChoice(Aggregation.MEAN.value, _l("the mean of all graded submissions")),
            SelectChoice(Aggregation.BEST.value, _l("the mean of the best N")),
        ],
    )
    best_n = IntegerField(_l("N (for best N)"), default=1, validators=[Optional(), NumberRange(min=1, max=20)])


def _sane_year(form, field):
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Choose a date between 2000 and 2100."))


class ExtensionForm(Form):
    participant_id = SelectField(_l("Participant"), coerce=int)
    cutoff_at = DateTimeLocalField(_l("New cut-off"), format=DT_FORMAT, validators=[DataRequired(), _sane_year])
