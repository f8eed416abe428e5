"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from lms.forms import Form

MIN_PASSWORD = 10


class LoginForm(Form):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(Form):
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


class LanguageForm(Form):
    """Choose the UI language."""

    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")],
    )
