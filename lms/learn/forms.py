"""Forms of the learner's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class ActionForm(FlaskForm):
    """A button that changes something; carries only the CSRF token."""


class TaskForm(FlaskForm):
    """A practice task handed in as a written reflection."""

    text = TextAreaField(
        _l("Your reflection"),
        validators=[DataRequired(), Length(max=20000)],
    )
