"""Forms of the manager pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from lms.forms import Form


class AssignmentForm(Form):
    """Assign a module or programme to a unit with a due date."""

    target = SelectField(_l("Module or programme"), validators=[InputRequired()])
    due_on = DateField(
        _l("Due date"),
        validators=[InputRequired(message=_l("Enter a due date as YYYY-MM-DD."))],
    )
    include_subunits = BooleanField(_l("Include the units below"), default=True)
    job_roles = SelectMultipleField(
        _l("Only these job roles (none ticked: everyone)"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ActionForm(Form):
    """A button that only needs the CSRF token."""
