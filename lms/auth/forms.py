"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

MIN_PASSWORD = 10


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    """Change the password, confirming the current one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new", message=_l("The two passwords are not the same.")),
        ],
    )


class LanguageForm(FlaskForm):
    """Choose the UI language."""

    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")],
    )
