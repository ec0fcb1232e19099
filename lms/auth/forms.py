from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.auth.passwords import password_problem
from lms.core.forms import Form


class LoginForm(Form):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"}
    )
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
        problem = password_problem(field.data or "", self.min_length)
        if problem:
            raise ValidationError(problem)
        if field.data == self.current.data:
            raise ValidationError(_l("The new password must differ from the current one."))


class NewPasswordForm(Form):
    """Choosing one's own password from an invitation link, a reset link or an activation code."""

    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, min_length: int = 8, email: str = "", name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.min_length, self.email, self.name = min_length, email, name

    def validate_new(self, field):
        problem = password_problem(field.data or "", self.min_length, email=self.email, name=self.name)
        if problem:
            raise ValidationError(problem)


class CodeForm(NewPasswordForm):
    code = StringField(
        _l("Activation code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"},
    )


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"}
    )


class LanguageForm(Form):
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]
    )
