"""Forms of the educator's pages."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from lms.forms import Form


class ReviewForm(Form):
    """A decision on a practice task; rubric scores are added per criterion."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve")),
            SelectChoice("return", _l("Return for revision")),
        ],
        validators=[InputRequired()],
    )
    feedback = TextAreaField(
        _l("Feedback to the learner"), validators=[DataRequired(), Length(max=10000)]
    )
