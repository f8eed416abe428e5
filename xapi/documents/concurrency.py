"""Optimistic concurrency of documents: ETags and If-Match / If-None-Match."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from xapi.errors import ConflictNeedsPrecondition, PreconditionFailed

ANY = "*"


def etag_of(content: bytes) -> str:
    """Return the SHA-1 of ``content`` in lowercase hex (Communication 3.1.s4.b2)."""
    return hashlib.sha1(content).hexdigest()  # noqa: S324 - the spec mandates SHA-1


def parse_etags(value: str | None) -> frozenset[str] | None:
    """Return the entity tags of an If-Match / If-None-Match value, unquoted.

    None means the header is absent (or blank); ``{"*"}`` matches any document.
    Weak tags (W/"…") compare by their opaque value; unquoted tags are accepted too,
    since some clients send the bare hex digest.
    """
    if value is None or not value.strip():
        return None
    tags = set()
    for part in value.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if tag:
            tags.add(tag if tag == ANY else tag.lower())
    return frozenset(tags)


@dataclass(frozen=True)
class Precondition:
    """The If-Match and If-None-Match tags of a write, each None when absent."""

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    @classmethod
    def from_headers(
        cls, if_match: str | None = None, if_none_match: str | None = None
    ) -> Precondition:
        """Read the two header values as sent."""
        return cls(parse_etags(if_match), parse_etags(if_none_match))

    @property
    def given(self) -> bool:
        """Return whether the request carries either header."""
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current_etag: str | None, *, overwrite_needs_one: bool) -> None:
        """Raise unless the write may go ahead on a document with ``current_etag``.

        RFC 2616 14.24/14.26: If-Match fails when no current entity matches (any
        entity for "*"); If-None-Match fails when one does. Communication 3.1.s4.b13:
        a PUT "without either header for a resource that already exists" gets 409.
        """
        if self.if_match is not None and not _matches(self.if_match, current_etag):
            raise PreconditionFailed(
                "If-Match does not match the document's current ETag"
                if current_etag is not None
                else "If-Match was given but the document does not exist"
            )
        if self.if_none_match is not None and _matches(
            self.if_none_match, current_etag
        ):
            raise PreconditionFailed(
                "If-None-Match: the document already exists"
                if ANY in self.if_none_match
                else "If-None-Match matches the document's current ETag"
            )
        if overwrite_needs_one and current_etag is not None and not self.given:
            raise ConflictNeedsPrecondition(
                "the document already exists: check its current state, then send"
                " If-Match with its current ETag to replace it"
            )


NO_PRECONDITION = Precondition()


def _matches(tags: frozenset[str], current_etag: str | None) -> bool:
    """Return whether a tag list matches the current document (RFC 2616 14.24)."""
    if current_etag is None:
        return False
    return ANY in tags or current_etag in tags
