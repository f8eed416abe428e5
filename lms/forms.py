"""The base of every form of the app: fields get only what an HTML form sends them."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField


class Form(FlaskForm):
    """A Flask-WTF form whose text fields never receive a file, nor JSON values.

    Flask-WTF gives every field the uploaded files as well as the form fields, and
    reads a JSON body as if it were a form. A file sent under a text field's name,
    or a number or list in JSON, would then reach validators and views that expect
    text, and fail with a server error instead of a field error. Text holding a
    NUL character is refused too: no database column takes it.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            """Read the posted form fields, and files only into file fields."""
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given by the caller
            if not form.is_submitted():
                return None
            posted = MultiDict(request.form)
            for field in form:
                if isinstance(field, FileField):
                    posted.setlist(field.name, request.files.getlist(field.name))
            return posted or None

    def validate(self, extra_validators=None) -> bool:
        """Validate the fields; a field holding a NUL character gets an error."""
        valid = super().validate(extra_validators)
        for field in self:
            if _holds_nul(field):
                field.errors = [*field.errors, str(NUL_MESSAGE)]
                valid = False
        return valid


#: Said of a field holding NUL, which PostgreSQL text columns cannot store.
NUL_MESSAGE = _l("Remove the invisible NUL character from this field.")


def _holds_nul(field) -> bool:
    return any(isinstance(raw, str) and "\x00" in raw for raw in field.raw_data or ())
