"""Forms of the admin pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired

from lms.forms import Form


class ImportForm(Form):
    """A CSV file of users."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(), FileAllowed(["csv"], _l("Upload a .csv file."))],
    )
