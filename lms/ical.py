"""iCalendar (RFC 5545) files for scheduled sessions, written by hand.

The format needs only a few rules: CRLF line endings (3.1), lines folded at 75
octets without splitting a UTF-8 character (3.1), TEXT values with backslash,
semicolon, comma and newline escaped (3.3.11), and UTC times ending in "Z" (3.3.5).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Bliv Digital Kompetent//LMS//EN"
_LIMIT = 75


@dataclass(frozen=True)
class Event:
    """One VEVENT: a session with its stable UID and its revision number."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    url: str
    description: str = ""
    sequence: int = 0
    cancelled: bool = False


def escape_text(text: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc(moment: datetime) -> str:
    """Format an aware datetime as a UTC DATE-TIME such as 20260329T080000Z."""
    if moment.tzinfo is None:
        raise ValueError("iCalendar times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold a content line into parts of at most 75 octets (RFC 5545 3.1)."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        # Continuation lines begin with one space, which counts towards the limit.
        if size + width > _LIMIT:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def calendar(events: list[Event], *, now: datetime | None = None) -> bytes:
    """Return a VCALENDAR holding the events, as UTF-8 bytes."""
    stamp = utc(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for event in events:
        lines += _event(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def _event(event: Event, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"URL:{event.url}",
        f"LOCATION:{escape_text(event.url)}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append("END:VEVENT")
    return lines
