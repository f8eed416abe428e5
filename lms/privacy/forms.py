"""Forms of the privacy pages."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.forms import Form


class ExportForm(Form):
    """A download button; the CSRF token keeps other sites from triggering it."""


class EraseForm(Form):
    """Erase a person: type their e-mail to confirm, and say why."""

    email = EmailField(
        _l("Type the person's e-mail address to confirm"),
        validators=[DataRequired(message=_l("Type the e-mail address to confirm."))],
    )
    reason = TextAreaField(
        _l("Reason for the erasure"),
        validators=[
            DataRequired(message=_l("Write the reason for the erasure.")),
            Length(max=500, message=_l("Write at most 500 characters.")),
        ],
    )

    def matches(self, email: str) -> bool:
        """Return whether the typed address is the person's; note it if not."""
        typed = (self.email.data or "").strip().lower()
        if typed == email.lower():
            return True
        self.email.errors.append(_l("This is not the person's e-mail address."))
        return False
