"""String formats used by xAPI: IRI, UUID, timestamps, durations, language tags."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "is_duration",
    "is_iri",
    "is_irl",
    "is_language_tag",
    "is_mailto_iri",
    "is_media_type",
    "is_sha1_hex",
    "is_sha2_hex",
    "is_timestamp",
    "is_uri",
    "is_uuid",
]

# --- IRI (RFC 3987, best effort as Data 2.2.s4.b6 allows) -------------------------
# IRI characters: no whitespace, no controls, none of <>"{}|\^`; a "%" must start a
# percent-encoded octet (checked separately: a per-character alternation is slow).
_IRI_CHAR = r"[^\s\x00-\x1f\x7f-\x9f<>\"{}|\\^`]"
_AUTHORITY_CHAR = r"[^\s\x00-\x1f\x7f-\x9f<>\"{}|\\^`/?#]"
# http(s) IRIs need a non-empty authority; any other scheme needs a non-empty rest.
_IRI_RE = re.compile(
    rf"(?i:https?)://{_AUTHORITY_CHAR}+{_IRI_CHAR}*"
    rf"|(?!(?i:https?):)[A-Za-z][A-Za-z0-9+.\-]*:{_IRI_CHAR}+"
)
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# --- UUID (RFC 4122 standard string form, any case, Data 2.4.1 and 4.4) ------------
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)

# --- mailto IRI, SHA-1 / SHA-2 hex ---------------------------------------------------
_MAILTO_RE = re.compile(r"mailto:[^\s\x00-\x1f\x7f@<>\"]+@[^\s\x00-\x1f\x7f@<>\"/?#]+")
_SHA1_RE = re.compile(r"[0-9a-fA-F]{40}")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_SHA2_HEX_LENGTHS = frozenset({56, 64, 96, 128})  # SHA-224, -256, -384, -512

# --- Internet media type (RFC 2045 / RFC 6838 / RFC 7231 syntax) --------------------
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\x09\x20-\x7e])*"'
_MEDIA_TYPE_RE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*"
)

# --- RFC 5646 language tag (full ABNF of section 2.1, case-insensitive) -------------
_LANGTAG = (
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language [-extlang]
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
)
_PRIVATE_USE = r"x(?:-[a-z0-9]{1,8})+"
_GRANDFATHERED = (
    r"en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo"
    r"|i-navajo|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de"
    r"|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan"
    r"|zh-xiang"
)
_LANGUAGE_TAG_RE = re.compile(
    rf"{_LANGTAG}|{_PRIVATE_USE}|{_GRANDFATHERED}", re.IGNORECASE | re.ASCII
)

# --- ISO 8601 combined date and time (Data 4.5) --------------------------------------
# Calendar date and time of day in extended (or basic) format, reduced precision down
# to minutes, optional decimal fraction of the second, optional zone designator.
_YEAR = r"(?!0000)[0-9]{4}"
_MONTH = r"0[1-9]|1[0-2]"
_DAY = r"0[1-9]|[12][0-9]|3[01]"
_HOUR = r"[01][0-9]|2[0-3]"
_MINUTE = r"[0-5][0-9]"
_FRACTION = r"[.,][0-9]+"
_TIMESTAMP_EXTENDED_RE = re.compile(
    rf"({_YEAR})-({_MONTH})-({_DAY})T(?:{_HOUR}):{_MINUTE}"
    rf"(?::{_MINUTE}(?:{_FRACTION})?)?"
    rf"(?:Z|[+-](?:{_HOUR})(?::?{_MINUTE})?)?"
)
_TIMESTAMP_BASIC_RE = re.compile(
    rf"({_YEAR})({_MONTH})({_DAY})T(?:{_HOUR}){_MINUTE}"
    rf"(?:{_MINUTE}(?:{_FRACTION})?)?"
    rf"(?:Z|[+-](?:{_HOUR})(?:{_MINUTE})?)?"
)
# ISO 8601 has no negative zero offset; RFC 3339 uses it for "unknown local offset".
_NEGATIVE_ZERO_OFFSETS = ("-00", "-0000", "-00:00")
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# --- ISO 8601 duration, format of ISO 8601:2004 4.4.3.2 (Data 4.6) ------------------
# At least one component; "T" only when a time component follows.
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION_RE = re.compile(
    rf"P(?:{_NUMBER}W"
    rf"|(?=[0-9T])(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=[0-9])(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)"
)
# Only the lowest-order component may have a decimal fraction: at most one fraction,
# and it is followed by nothing but the final designator.
_FRACTION_LAST_RE = re.compile(r"[^.,]*[.,][0-9]+[A-Z]")


# Valid IRIs and language tags repeat a lot (verb ids, activity types, extension
# keys, "en-US"): remember short valid ones; a set lookup beats a regex match.
_KNOWN_IRIS: set[str] = set()
_KNOWN_LANGUAGE_TAGS: set[str] = set()
_KNOWN_LIMIT = 4096
_KNOWN_MAX_LENGTH = 256


def _remember(known: set[str], value: str) -> None:
    """Add a valid ``value`` to a bounded set of known-good values."""
    if len(value) <= _KNOWN_MAX_LENGTH:
        if len(known) >= _KNOWN_LIMIT:
            known.clear()
        known.add(value)


def is_iri(value: str) -> bool:
    """Return whether ``value`` is an absolute IRI (scheme required, best effort)."""
    if value in _KNOWN_IRIS:
        return True
    if _IRI_RE.fullmatch(value) is None:
        return False
    if "%" in value and _BAD_PERCENT_RE.search(value) is not None:
        return False
    _remember(_KNOWN_IRIS, value)
    return True


def is_irl(value: str) -> bool:
    """Return whether ``value`` is an absolute IRL; checked like an IRI."""
    return is_iri(value)


def is_uri(value: str) -> bool:
    """Return whether ``value`` is an absolute URI, i.e. an ASCII-only IRI."""
    return value.isascii() and is_iri(value)


def is_uuid(value: str) -> bool:
    """Return whether ``value`` is a UUID in standard string form, any letter case."""
    return _UUID_RE.fullmatch(value) is not None


def is_mailto_iri(value: str) -> bool:
    """Return whether ``value`` has the form ``mailto:local@domain``."""
    return _MAILTO_RE.fullmatch(value) is not None


def is_sha1_hex(value: str) -> bool:
    """Return whether ``value`` is a hex-encoded SHA-1 digest (40 hex digits)."""
    return _SHA1_RE.fullmatch(value) is not None


def is_sha2_hex(value: str) -> bool:
    """Return whether ``value`` is a hex-encoded SHA-224/256/384/512 digest."""
    return len(value) in _SHA2_HEX_LENGTHS and _HEX_RE.fullmatch(value) is not None


def is_media_type(value: str) -> bool:
    """Return whether ``value`` is an Internet Media Type such as ``text/plain``."""
    return _MEDIA_TYPE_RE.fullmatch(value) is not None


def is_language_tag(value: str) -> bool:
    """Return whether ``value`` is a well-formed RFC 5646 language tag."""
    if value in _KNOWN_LANGUAGE_TAGS:
        return True
    if _LANGUAGE_TAG_RE.fullmatch(value) is None:
        return False
    _remember(_KNOWN_LANGUAGE_TAGS, value)
    return True


def is_timestamp(value: str) -> bool:
    """Return whether ``value`` is an ISO 8601 combined date and time on a real day."""
    match = _TIMESTAMP_EXTENDED_RE.fullmatch(value) or _TIMESTAMP_BASIC_RE.fullmatch(
        value
    )
    if match is None or value.endswith(_NEGATIVE_ZERO_OFFSETS):
        return False
    year, month, day = match.groups()
    return day <= "28" or int(day) <= _days_in_month(int(year), int(month))


def _days_in_month(year: int, month: int) -> int:
    """Return the number of days of ``month`` in the proleptic Gregorian ``year``."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month]


def is_duration(value: str) -> bool:
    """Return whether ``value`` is an ISO 8601 duration (PnYnMnDTnHnMnS or PnW)."""
    if _DURATION_RE.fullmatch(value) is None:
        return False
    if "." in value or "," in value:
        return _FRACTION_LAST_RE.fullmatch(value) is not None
    return True


def is_mapping(value: object) -> bool:
    """isinstance(value, Mapping), without the ABC's check for the usual dict.

    The write path walks every statement of a batch several times, with a dozen
    of these tests each; the ABC's check costs several times the dict test.
    """
    return type(value) is dict or isinstance(value, Mapping)
