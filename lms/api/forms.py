from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.core.forms import Form


class TokenForm(Form):
    name = StringField(
        _l("What is the token for?"),
        validators=[DataRequired(), Length(max=100)],
        render_kw={"placeholder": _l("e.g. the agency's results dashboard")},
    )
