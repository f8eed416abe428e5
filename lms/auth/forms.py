"""Sign-in and account forms."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.auth import passwords
from lms.forms import Form
from lms.i18n import time_zones
from lms.operations.accounts import check_policy


def _strip(value: str | None) -> str | None:
    """Drop spaces around an email, as phones' autocompletion adds them."""
    return value.strip() if isinstance(value, str) else value


class LoginForm(Form):
    """Email and password."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email()],
        filters=[_strip],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


def policy_messages(codes: list[str]) -> list[str]:
    """Turn policy problem codes into messages in the user's language."""
    config = current_app.config
    messages = {
        passwords.TOO_SHORT: _(
            "Use at least %(num)d characters.", num=config["LMS_PASSWORD_MIN_LENGTH"]
        ),
        passwords.TOO_LONG: _(
            "Use at most %(num)d characters.", num=config["LMS_PASSWORD_MAX_LENGTH"]
        ),
        passwords.COMMON: _(
            "This password is too common and easy to guess. Choose another one."
        ),
        passwords.IS_EMAIL: _("The password must not be your email address."),
    }
    return [messages[code] for code in codes]


def password_hint() -> str:
    """Describe the policy beside the new password field."""
    return _(
        "At least %(num)d characters. Avoid common passwords; a few unrelated "
        "words make a good one.",
        num=current_app.config["LMS_PASSWORD_MIN_LENGTH"],
    )


class NewPasswordForm(Form):
    """A new password, checked against the policy, typed twice."""

    #: The email of the account, which the password must not be; set by the view.
    account_email: str | None = None

    new = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_new(self, field) -> None:
        """Apply the password policy."""
        messages = policy_messages(check_policy(field.data or "", self.account_email))
        if messages:
            raise ValidationError(" ".join(messages))


class PasswordForm(NewPasswordForm):
    """Change the password, confirming the current one."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(Form):
    """Ask for a reset link."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email()],
        filters=[_strip],
        render_kw={"autocomplete": "email"},
    )


class CodeForm(Form):
    """A six-digit code from the authenticator app."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=12)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
        },
    )


class DisableTwoFactorForm(CodeForm):
    """Turn off two-step verification: password and a current code."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(Form):
    """Choose the UI language."""

    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")],
    )


class TimeZoneForm(Form):
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
