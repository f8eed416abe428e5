"""Forms of the certificate pages."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.forms import Form


class RevokeForm(Form):
    """Revoke a certificate, saying why."""

    reason = TextAreaField(
        _l("Reason for the revocation"),
        validators=[
            DataRequired(message=_l("Write the reason for the revocation.")),
            Length(max=1000, message=_l("Write at most 1000 characters.")),
        ],
    )


class ConfirmForm(Form):
    """A button that only needs the CSRF token, such as rotating the key."""
