"""The search form of the audit log: sent with GET, so the address can be shared."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from lms.audit_queries import AuditFilter
from lms.forms import Form


class AuditSearchForm(Form):
    """Filters of the audit log; every one may stay empty."""

    class Meta:
        # A search changes nothing, and its address is bookmarked and shared.
        csrf = False

    actor = StringField(
        _l("Actor (email or user id)"), validators=[Optional(), Length(max=254)]
    )
    action = StringField(
        _l("Action (or its beginning)"), validators=[Optional(), Length(max=64)]
    )
    target_type = StringField(
        _l("Target type"), validators=[Optional(), Length(max=32)]
    )
    target_id = StringField(_l("Target id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(
        _l("From date"),
        validators=[Optional()],
    )
    date_to = DateField(
        _l("To date (inclusive)"),
        validators=[Optional()],
    )
    remote_addr = StringField(
        _l("Remote address (or its beginning)"),
        validators=[Optional(), Length(max=64)],
    )

    def validate_date_to(self, field: DateField) -> None:
        """Refuse a range that ends before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(
                _l("The end date must be on or after the start date.")
            )

    def audit_filter(self) -> AuditFilter:
        """Return the filters the admin entered."""
        return AuditFilter(
            actor=self.actor.data or "",
            action=self.action.data or "",
            target_type=self.target_type.data or "",
            target_id=self.target_id.data or "",
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            remote_addr=self.remote_addr.data or "",
        )

    def query_args(self) -> dict[str, str]:
        """Return the filters as they were sent, to carry them into links."""
        return {
            field.name: field.raw_data[0]
            for field in self
            if field.raw_data and field.raw_data[0]
        }
