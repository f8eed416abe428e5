"""String formats of xAPI Data 4.x: IRIs, UUIDs, timestamps, durations, tags."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xapi import formats
from xapi.formats import (
    is_duration,
    is_iri,
    is_irl,
    is_language_tag,
    is_mailto_iri,
    is_media_type,
    is_sha1_hex,
    is_sha2_hex,
    is_timestamp,
    is_uri,
    is_uuid,
)

FAST = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    "value",
    [
        "http://adlnet.gov/expapi/verbs/completed",
        "https://example.com",
        "HTTPS://EXAMPLE.COM/A",
        "http://example.com/xapi/verbs#defenestrated",
        "http://example.com/فعل/خواندن",
        "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "mailto:a@example.com",
        "tag:example.com,2024:x",
        "http://example.com/a%20b",
        "ftp://example.com/file.txt",
        "x:y",
    ],
)
def test_valid_iris(value: str) -> None:
    """Data 3.1/4.3: absolute IRIs, non-ASCII characters allowed."""
    assert is_iri(value)
    assert is_irl(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "example.com/verbs/completed",
        "/relative/path",
        "#fragment",
        "//example.com/x",
        "1http://example.com",
        "http://",
        "https:///path",
        "http:example.com",
        "urn:",
        "http://example.com/a b",
        "http://example.com/\n",
        "http://example.com/<x>",
        'http://example.com/"x"',
        "http://example.com/%",
        "http://example.com/%zz",
        "http://example.com/%4",
    ],
)
def test_invalid_iris(value: str) -> None:
    """Data 2.2.s4.b1.b8: IRIs need a scheme; whitespace and bad escapes are invalid."""
    assert not is_iri(value)


def test_uris_are_ascii_iris() -> None:
    """Data 2.4.2.3: openid is a URI, an ASCII-only IRI."""
    assert is_uri("http://toby.openid.example.org/")
    assert not is_uri("http://töby.openid.example.org/")
    assert not is_uri("toby.openid.example.org")


@given(st.text(alphabet=st.characters(blacklist_characters=":")))
@FAST
def test_strings_without_a_colon_are_never_iris(value: str) -> None:
    """Data 2.2.s4.b1.b8: an IRI without a scheme (and its colon) is rejected."""
    assert not is_iri(value)


def test_known_iris_cache_is_bounded() -> None:
    """Remembered valid IRIs never exceed the limit, and long ones are not kept."""
    for number in range(formats._KNOWN_LIMIT + 10):
        assert is_iri(f"https://example.com/{number}")
    assert len(formats._KNOWN_IRIS) <= formats._KNOWN_LIMIT
    long_iri = "https://example.com/" + "a" * 1000
    assert is_iri(long_iri) and long_iri not in formats._KNOWN_IRIS
    assert not is_iri("https://example.com/ space")


@given(st.uuids(), st.booleans())
@FAST
def test_every_uuid_in_standard_form_is_valid(value, upper: bool) -> None:
    """Data 2.4.1/4.4: UUIDs "MUST be in the standard string form"; any case."""
    text = str(value).upper() if upper else str(value)
    assert is_uuid(text)
    assert not is_uuid(text.replace("-", ""))
    assert not is_uuid("{" + text + "}")
    assert not is_uuid(text + "\n")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("mailto:learner@example.com", True),
        ("mailto:first.last+tag@sub.example.co.uk", True),
        ("learner@example.com", False),
        ("mailto:", False),
        ("mailto:learner", False),
        ("mailto:@example.com", False),
        ("mailto:a@b@c", False),
        ("mailto:a@example.com?subject=x", False),
        ("Mailto:a@example.com", False),
        ("mailto:a b@example.com", False),
    ],
)
def test_mailto_iris(value: str, valid: bool) -> None:
    """Data 2.4.2.3: mbox has the required format "mailto:email address"."""
    assert is_mailto_iri(value) is valid


def test_sha_hex_digests() -> None:
    """mbox_sha1sum is a hex SHA-1; an attachment's sha2 a hex SHA-2 digest."""
    data = b"xAPI"
    assert is_sha1_hex(hashlib.sha1(data).hexdigest())
    assert is_sha1_hex(hashlib.sha1(data).hexdigest().upper())
    assert not is_sha1_hex(hashlib.sha1(data).hexdigest()[:-1])
    assert not is_sha1_hex(hashlib.sha256(data).hexdigest())
    for name in ("sha224", "sha256", "sha384", "sha512"):
        assert is_sha2_hex(hashlib.new(name, data).hexdigest())
    assert not is_sha2_hex(hashlib.sha1(data).hexdigest())
    assert not is_sha2_hex("g" * 64)
    assert not is_sha2_hex("")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("application/json", True),
        ("application/octet-stream", True),
        ("text/plain; charset=utf-8", True),
        ('multipart/mixed; boundary="a b c"', True),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            True,
        ),
        ("json", False),
        ("text/", False),
        ("/plain", False),
        ("text/plain;", False),
        ("text plain", False),
        ("", False),
    ],
)
def test_media_types(value: str, valid: bool) -> None:
    """Data 2.4.11: contentType is an Internet Media Type (RFC 2046 syntax)."""
    assert is_media_type(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("en", True),
        ("en-US", True),
        ("es-419", True),
        ("zh-Hant-TW", True),
        ("zh-yue-HK", True),
        ("sl-rozaj-biske", True),
        ("de-CH-1901", True),
        ("en-a-bbb-x-a-ccc", True),
        ("x-private", True),
        ("i-klingon", True),
        ("en-GB-oed", True),
        ("tlh", True),
        ("EN-us", True),
        ("", False),
        ("e", False),
        ("en_US", False),
        ("en-", False),
        ("-en", False),
        ("en--US", False),
        ("abcdefghi", False),
        ("en-US-x", False),
        ("en-a", False),
        ("x-abcdefghi", False),
        ("en-Latn-Cyrl", False),
        ("en-US-GB", False),
        ("ſv", False),
    ],
)
def test_language_tags(value: str, valid: bool) -> None:
    """Data 2.2.s4.b2: "the sequence of token lengths for language map keys matches
    the RFC 5646 standard" (well-formedness per the RFC's ABNF).
    """
    assert is_language_tag(value) is valid


_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGIT = "0123456789"


def _word(alphabet: str, low: int, high: int) -> st.SearchStrategy[str]:
    """Strings of ``low`` to ``high`` characters from ``alphabet``."""
    return st.text(alphabet=alphabet, min_size=low, max_size=high)


language_tags = st.builds(
    lambda language, script, region, variants: "-".join(
        part for part in (language, script, region, *variants) if part
    ),
    st.one_of(_word(_ALPHA, 2, 3), _word(_ALPHA, 5, 8)),
    st.one_of(st.just(""), _word(_ALPHA, 4, 4)),
    st.one_of(st.just(""), _word(_ALPHA, 2, 2), _word(_DIGIT, 3, 3)),
    st.lists(_word(_ALPHA + _DIGIT, 5, 8), max_size=2),
)


@given(language_tags)
@FAST
def test_tags_built_from_the_rfc5646_grammar_are_valid(tag: str) -> None:
    """Data 4.2: keys built as language[-script][-region][-variant]* are accepted."""
    assert is_language_tag(tag)


@pytest.mark.parametrize(
    "value",
    [
        "2013-05-18T05:32:34.804+00:00",
        "2013-05-18T05:32:34.804Z",
        "2013-05-18T05:32:34Z",
        "2013-05-18T05:32Z",
        "2013-05-18T05:32:34,5+05:30",
        "2013-05-18T05:32:34+0530",
        "2013-05-18T05:32:34-05",
        "2013-05-18T05:32:34",
        "20130518T053234Z",
        "20130518T053234.5+0100",
        "2012-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "0001-01-01T00:00:00Z",
    ],
)
def test_valid_timestamps(value: str) -> None:
    """Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601"."""
    assert is_timestamp(value)
    datetime.fromisoformat(value)  # anything accepted stays parseable by Python


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2013-05-18",
        "2013-05-18T",
        "2013-05-18T05",
        "2013-05-18 05:32:34Z",
        "2013-05-18T05:32:34z",
        "2013-5-18T05:32:34Z",
        "2013-05-18T5:32:34Z",
        "2013-00-18T05:32:34Z",
        "2013-04-31T05:32:34Z",
        "1900-02-29T05:32:34Z",
        "2013-05-18T24:00:00Z",
        "2013-05-18T23:59:60Z",
        "2013-05-18T05:32:34.Z",
        "2013-05-18T05:32:34+24:00",
        "2013-05-18T05:32:34-00:00",
        "2013-05-18T05:32:34-0000",
        "2013-05-18T05:32:34-00",
        "2013-05-18T0532:34Z",
        "0000-01-01T00:00:00Z",
        "+2013-05-18T05:32:34Z",
        "2013-W20-6T05:32:34Z",
        "2013-138T05:32:34Z",
    ],
)
def test_invalid_timestamps(value: str) -> None:
    """Data 4.5: ISO 8601 combined date and time; no -00:00 offset (not ISO 8601),
    no impossible dates, no leap seconds (Python's datetime cannot store them).
    """
    assert not is_timestamp(value)


offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.one_of(st.none(), offsets),
    st.sampled_from(["auto", "seconds", "milliseconds", "minutes"]),
)
@FAST
def test_python_isoformat_timestamps_are_valid(
    moment: datetime, zone: timezone | None, timespec: str
) -> None:
    """Timestamps written by Python's isoformat() are ISO 8601 timestamps."""
    assert is_timestamp(moment.replace(tzinfo=zone).isoformat(timespec=timespec))


_TIMESTAMP_LIKE = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)


@given(st.from_regex(_TIMESTAMP_LIKE, fullmatch=True))
@FAST
def test_accepted_timestamps_are_exactly_the_parseable_ones(value: str) -> None:
    """Within ISO 8601's extended format, a timestamp is accepted exactly when
    Python's datetime can parse it (except the negative zero offset).
    """
    try:
        datetime.fromisoformat(value)
        parseable = not value.endswith(("-00", "-0000", "-00:00"))
    except ValueError:
        parseable = False
    assert is_timestamp(value) is parseable


@pytest.mark.parametrize(
    "value",
    [
        "PT4H35M59.14S",
        "P3Y1M29DT4H35M59.14S",
        "P3Y",
        "P4W",
        "P0.5W",
        "PT0S",
        "P0D",
        "PT1.123456S",
        "PT0,5S",
        "P1M",
        "PT1M",
        "P1DT12H",
        "P1Y0.5M",
    ],
)
def test_valid_durations(value: str) -> None:
    """Data 4.6: durations in the format of ISO 8601:2004 section 4.4.3.2."""
    assert is_duration(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "T1H",
        "1H",
        "PT1H30",
        "P4W1D",
        "P1Y2W",
        "-P1D",
        "PT-1H",
        "P1.5Y2M",
        "PT1.5H30M",
        "PT1.S",
        "PT.5S",
        "P0003-01-29T04:35:59",
        "PT36h",
        "P1M1Y",
        "PT1S1M",
        "P16559.14S",
        " PT1S",
    ],
)
def test_invalid_durations(value: str) -> None:
    """Data 4.6.s1.b1: only ISO 8601:2004 4.4.3.2 durations; the alternative format
    (4.4.3.3) MUST NOT be used; weeks cannot be combined; only the last component
    may carry a fraction. (The spec's own table example P16559.14S lacks the T.)
    """
    assert not is_duration(value)


_COMPONENTS = st.tuples(
    *(st.one_of(st.none(), st.integers(0, 10**6)) for _ in range(6))
)


@given(_COMPONENTS, st.one_of(st.none(), st.integers(0, 99)))
@FAST
def test_durations_built_from_components_are_valid(
    parts: tuple[int | None, ...], fraction: int | None
) -> None:
    """Any non-empty PnYnMnDTnHnMnS with a fraction on the last component is valid."""
    date = "".join(
        f"{n}{d}" for n, d in zip(parts[:3], "YMD", strict=True) if n is not None
    )
    time = "".join(
        f"{n}{d}" for n, d in zip(parts[3:], "HMS", strict=True) if n is not None
    )
    value = "P" + date + ("T" + time if time else "")
    if value == "P":
        assert not is_duration(value)
        return
    if fraction is not None:
        value = f"{value[:-1]}.{fraction}{value[-1]}"
    assert is_duration(value)
