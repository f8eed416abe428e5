"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.i18n import time_zones

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


class TimeZoneForm(FlaskForm):
    """Choose the time zone that dates and times are shown in."""

    timezone = SelectField(_l("Time zone"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The usual zones first; the rest alphabetically.
        first = ["Europe/Copenhagen", "Atlantic/Faroe", "America/Nuuk"]
        rest = sorted(zone for zone in time_zones() if zone not in first)
        self.timezone.choices = [
            (zone, zone.replace("_", " ")) for zone in first + rest
        ]

    def validate_timezone(self, field) -> None:
        """Accept only a zone this machine knows."""
        if field.data not in time_zones():
            raise ValidationError(_l("Choose a time zone from the list."))
