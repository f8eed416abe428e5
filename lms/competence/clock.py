"""The time the dashboard and reminders judge by; tests replace it with a fixed one."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Copenhagen")


def now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in Denmark, which due dates are set in."""
    return now().astimezone(LOCAL).date()
