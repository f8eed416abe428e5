"""xAPI version negotiation: the one place that knows which versions we serve.

Adding xAPI 2.0.0 means adding an entry to ``SERVED`` (and its validation rules in
``xapi.validation.rules``); the request header, the validation rules and the
response header are all chosen here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xapi.validation import VersionRules, rules_for


@dataclass(frozen=True)
class APIVersion:
    """One served xAPI version: its header value and its statement rules."""

    #: The latest patch version, sent in X-Experience-API-Version (3.3.s3.b2).
    header: str
    #: The value of a stored statement's "version" when it has none (Data 2.4.10).
    statement_version: str

    @property
    def rules(self) -> VersionRules:
        """Return the validation rules of this version."""
        return rules_for(self.header)


V1_0_3 = APIVersion(header="1.0.3", statement_version="1.0.0")

#: Every served version, newest first; /about lists them.
SERVED: tuple[APIVersion, ...] = (V1_0_3,)
#: What a response carries when the request named no (usable) version.
DEFAULT = V1_0_3

# Semantic Versioning 1.0.0: MAJOR.MINOR.PATCH with an optional pre-release tag.
_HEADER_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+)(?:-[0-9A-Za-z-]+)?)?")


class VersionRejected(ValueError):
    """The request's X-Experience-API-Version cannot be served (400)."""


def negotiate(header: str | None) -> APIVersion:
    """Return the served version for a request's X-Experience-API-Version header.

    Communication 3.3.s3: "MUST reject requests without a version header", "MUST
    accept requests with a version header of 1.0 as if the version header was
    1.0.0", "MUST accept requests with a version header starting with 1.0.", and
    "MUST reject requests with a version header of 1.1.0 or greater".
    """
    if header is None or not header.strip():
        raise VersionRejected("the X-Experience-API-Version header is required")
    match = _HEADER_RE.fullmatch(header.strip())
    if match is None:
        raise VersionRejected(
            f"X-Experience-API-Version {header!r} is not a version such as 1.0.3"
        )
    major, minor = int(match[1]), int(match[2])
    if (major, minor) == (1, 0):
        return V1_0_3
    raise VersionRejected(
        f"X-Experience-API-Version {header!r} is not supported; use 1.0.3"
    )
