"""Forms of the educator's cohort and session pages."""

from datetime import date, datetime, time, tzinfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TimeField,
    URLField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
)

from lms.forms import Form
from lms.models.cohorts import MAX_DURATION_MINUTES
from lms.operations.sessions import is_https_url, local_start


class CohortForm(Form):
    """A cohort: its name, module or programme, and when it runs."""

    name = StringField(
        _l("Name of the cohort"),
        validators=[DataRequired(_l("Give the cohort a name.")), Length(max=200)],
    )
    module = SelectField(
        _l("Module"),
        validators=[InputRequired(_l("Choose the module the cohort takes."))],
    )
    programme = SelectField(_l("Programme (optional)"))
    starts_on = DateField(
        _l("Start date"),
        validators=[InputRequired(_l("Give a start date."))],
    )
    ends_on = DateField(
        _l("End date"),
        validators=[InputRequired(_l("Give an end date."))],
    )

    def validate_ends_on(self, field: DateField) -> None:
        """The cohort cannot end before it starts."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(
                _l("The end date must be on or after the start date.")
            )


class SessionForm(Form):
    """A webinar or meeting, entered in the educator's time zone."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the session a title.")), Length(max=200)],
    )
    kind = RadioField(
        _l("Kind of session"),
        choices=[
            SelectChoice("webinar", _l("Webinar")),
            SelectChoice("meeting", _l("Meeting")),
        ],
        validators=[InputRequired(_l("Choose webinar or meeting."))],
    )
    activity = SelectField(_l("Counts for"), validate_choice=True)
    day = DateField(_l("Date"), validators=[InputRequired(_l("Give a date."))])
    at = TimeField(_l("Start time"), validators=[InputRequired(_l("Give a time."))])
    duration = IntegerField(
        _l("Duration in minutes"),
        validators=[
            InputRequired(_l("Give the duration in minutes.")),
            NumberRange(
                min=1,
                max=MAX_DURATION_MINUTES,
                message=_l(
                    "The duration must be between 1 and %(max)d minutes.",
                    max=MAX_DURATION_MINUTES,
                ),
            ),
        ],
    )
    meeting_url = URLField(
        _l("Link to the online meeting"),
        validators=[
            DataRequired(_l("Give the link to the online meeting.")),
            Length(max=2000),
        ],
        filters=[lambda text: text.strip() if text else text],
    )

    def __init__(self, *args, zone: tzinfo, today: date, kinds: dict, **kwargs):
        """Take the time zone, today's date there and each activity's kind."""
        super().__init__(*args, **kwargs)
        self.zone, self.today, self.kinds = zone, today, kinds
        #: The start already saved; an unchanged past start stays allowed.
        self.saved_start: datetime | None = None

    def validate_meeting_url(self, field: URLField) -> None:
        """Only an https link keeps the meeting private on the way."""
        if field.data and not is_https_url(field.data):
            raise ValidationError(
                _l("The link must be a full address that starts with https://.")
            )

    def validate_day(self, field: DateField) -> None:
        """A new start must be today or later."""
        if field.data and field.data < self.today and not self._unchanged_start():
            raise ValidationError(_l("Choose today or a later date."))

    def validate_at(self, field: TimeField) -> None:
        """Refuse a time that the clocks skip when summer time begins."""
        if self.day.data and field.data and self.starts_at is None:
            raise ValidationError(
                _l("This time does not exist on that date: the clocks go forward.")
            )

    def validate_activity(self, field: SelectField) -> None:
        """A session counts only for an activity of its own kind."""
        if field.data and self.kinds.get(field.data) != self.kind.data:
            raise ValidationError(
                _l("Choose an activity of the same kind as the session, or none.")
            )

    @property
    def starts_at(self) -> datetime | None:
        """Return the start as an aware datetime, or None if it does not exist."""
        if not isinstance(self.day.data, date) or not isinstance(self.at.data, time):
            return None
        return local_start(self.day.data, self.at.data, self.zone)

    def _unchanged_start(self) -> bool:
        return self.saved_start is not None and self.starts_at == self.saved_start


class MemberFileForm(Form):
    """A file of learners' email addresses."""

    file = FileField(
        _l("File with email addresses"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt"], _l("Upload a .csv or .txt file.")),
        ],
    )
