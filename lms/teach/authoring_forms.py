"""Forms of the module authoring pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired

from lms.forms import Form


class UploadForm(Form):
    """A module package, zipped."""

    package = FileField(
        _l("Module package (.zip)"),
        validators=[
            FileRequired(_l("Choose a zip file with the module package.")),
            FileAllowed(["zip"], _l("The file must be a zip file (ending in .zip).")),
        ],
    )


class DraftActionForm(Form):
    """Publish or discard a draft; carries only the CSRF token."""
