"""Forms of the LRS client admin pages."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.forms import Form
from lms.models import LRS_SCOPES
from lms.operations.lrs_clients import KEY_RE


class ScopesField(SelectMultipleField):
    """A group of checkboxes, one per xAPI scope."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _scope_choices() -> list[SelectChoice]:
    return [SelectChoice(scope, scope) for scope in LRS_SCOPES]


class ClientForm(Form):
    """A new LRS client."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    key = StringField(
        _l("Key (leave empty to generate one)"),
        validators=[
            Optional(),
            Regexp(
                KEY_RE.pattern + "$",
                message=_l("Use 3-64 letters, digits or . _ ~ - (no colon or spaces)."),
            ),
        ],
    )
    scopes = ScopesField(
        _l("Scopes"),
        choices=_scope_choices(),
        default=["statements/write", "statements/read/mine"],
        validators=[DataRequired(_l("Choose at least one scope."))],
    )


class ScopesForm(Form):
    """A client's scopes."""

    scopes = ScopesField(
        _l("Scopes"),
        choices=_scope_choices(),
        validators=[DataRequired(_l("Choose at least one scope."))],
    )


class ToggleForm(Form):
    """Deactivate or reactivate a client (CSRF only)."""
