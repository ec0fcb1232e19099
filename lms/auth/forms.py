from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.core.forms import Form


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this device"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )

    def __init__(self, *args, min_length: int = 8, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_length = min_length

    def validate_new(self, field):
        if len(field.data or "") < self.min_length:
            raise ValidationError(_l("Use at least %(n)s characters.", n=self.min_length))
        if field.data == self.current.data:
            raise ValidationError(_l("The new password must differ from the current one."))


class LanguageForm(Form):
    locale = SelectField(_l("Language"), choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")])
