"""Forms of the certificate pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    """Revoke a certificate, saying why."""

    reason = TextAreaField(
        _l("Reason for the revocation"),
        validators=[
            DataRequired(message=_l("Write the reason for the revocation.")),
            Length(max=1000, message=_l("Write at most 1000 characters.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token, such as rotating the key."""
