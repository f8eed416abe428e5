"""Forms of the forwarding admin pages."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, PasswordField, StringField, URLField
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from lms.forms import Form
from lms.forwarding.operations import url_problem


class EndpointForm(Form):
    """An external LRS: where it is and how to sign in to it."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )
    url = URLField(
        _l("xAPI endpoint URL"),
        validators=[DataRequired(_l("Enter the endpoint URL.")), Length(max=2000)],
    )
    username = StringField(
        _l("User name (HTTP Basic)"),
        validators=[
            DataRequired(_l("Enter a user name.")),
            Length(max=200),
            Regexp(r"^[^:]*$", message=_l("A user name cannot contain a colon.")),
        ],
    )
    secret = PasswordField(
        _l("Secret (HTTP Basic password)"), validators=[Length(max=500)]
    )

    def __init__(self, *args, secret_required: bool = True, **kwargs):
        """Require the secret for a new endpoint; on edit, empty keeps the old."""
        super().__init__(*args, **kwargs)
        self.secret_required = secret_required

    def validate_url(self, field) -> None:
        """Accept only http(s) addresses without credentials, query or fragment."""
        problem = url_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_secret(self, field) -> None:
        """Require a secret when there is none stored yet."""
        if self.secret_required and not field.data:
            raise ValidationError(_l("Enter the secret."))


class ActionForm(Form):
    """A button that changes an endpoint (CSRF only)."""


class BackfillForm(Form):
    """Send the statements stored before the endpoint got them, from a day on."""

    since = DateField(
        _l("Stored on or after (UTC; empty: all)"),
        validators=[Optional()],
    )
