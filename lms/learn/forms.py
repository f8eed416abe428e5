"""Forms of the learner's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.forms import Form
from lms.uploads import ACCEPT


class ActionForm(Form):
    """A button that changes something; carries only the CSRF token."""


class TaskForm(Form):
    """A practice task handed in as a written reflection, with an optional file."""

    text = TextAreaField(
        _l("Your reflection"),
        validators=[DataRequired(), Length(max=20000)],
    )
    # Checked by content in lms.uploads; "accept" only helps the file chooser.
    file = FileField(_l("Attach a file (optional)"), render_kw={"accept": ACCEPT})
