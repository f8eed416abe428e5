"""multipart/mixed statement requests and responses (Communication 1.5.2)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from lms.lrs.http import LRSError
from xapi.store import Attachment

#: Hash functions by the hex length of their digest (Data 2.4.11: "SHA-2").
_SHA2 = {
    64: hashlib.sha256,
    96: hashlib.sha384,
    128: hashlib.sha512,
    56: hashlib.sha224,
}


@dataclass
class Part:
    """One part of a multipart body: its headers (lowercase names) and content."""

    headers: dict[str, str]
    content: bytes


def split(raw: bytes, boundary: str) -> list[Part]:
    """Split a multipart body into its parts (RFC 2046 5.1.1); 400 if malformed."""
    if not boundary:
        raise LRSError(400, "multipart/mixed needs a boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    start = raw.find(delimiter)
    if start < 0 or (start > 0 and raw[start - 2 : start] != b"\r\n"):
        raise LRSError(400, "the multipart body has no opening boundary")
    parts = []
    position = start + len(delimiter)
    while True:
        if raw[position : position + 2] == b"--":
            return parts
        line_end = raw.find(b"\r\n", position)
        if line_end < 0 or raw[position:line_end].strip(b" \t"):
            raise LRSError(400, "a multipart boundary line is malformed")
        end = raw.find(b"\r\n" + delimiter, line_end)
        if end < 0:
            raise LRSError(400, "the multipart body has no closing boundary")
        parts.append(_part(raw[line_end + 2 : end]))
        position = end + 2 + len(delimiter)


def _part(raw: bytes) -> Part:
    """Parse one part: header lines, an empty line, the content."""
    if raw.startswith(b"\r\n"):
        head, content = b"", raw[2:]
    else:
        head, separator, content = raw.partition(b"\r\n\r\n")
        if not separator:
            raise LRSError(400, "a multipart part has no blank line after its headers")
    headers = {}
    for line in head.split(b"\r\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip() or "\x00" in value:
            raise LRSError(400, f"a multipart part header is malformed: {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return Part(headers, content)


def attachment_parts(parts: list[Part]) -> dict[str, Attachment]:
    """Check the parts after the statements; return them by their hash.

    Communication 1.5.2.s2.b2: each part after the first "MUST include an
    X-Experience-API-Hash parameter" and "MUST include a Content-Transfer-Encoding
    parameter with a value of binary"; 1.5.2.s1.b4: raw data is matched "by
    comparing the SHA-2 of the raw data to the SHA-2 declared in the header".
    """
    found: dict[str, Attachment] = {}
    for number, part in enumerate(parts, start=2):
        declared = part.headers.get("x-experience-api-hash", "").lower()
        if not declared:
            raise LRSError(400, f"multipart part {number} has no X-Experience-API-Hash")
        encoding = part.headers.get("content-transfer-encoding")
        if encoding is None or encoding.lower() != "binary":
            raise LRSError(
                400,
                f"multipart part {number} needs Content-Transfer-Encoding: binary",
            )
        function = _SHA2.get(len(declared))
        if function is None or function(part.content).hexdigest() != declared:
            raise LRSError(
                400,
                f"multipart part {number}: X-Experience-API-Hash does not match the"
                " SHA-2 of its content",
            )
        content_type = part.headers.get("content-type", "application/octet-stream")
        found[declared] = Attachment(declared, content_type, part.content)
    return found


def build(first: bytes, attachments: Iterable[Attachment]) -> tuple[bytes, str]:
    """Return a multipart/mixed body (statements first) and its Content-Type."""
    boundary = secrets.token_hex(16)
    delimiter = b"--" + boundary.encode("ascii")
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", first]
    for attachment in attachments:
        chunks += [
            b"\r\n",
            delimiter,
            f"\r\nContent-Type: {attachment.content_type}\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {attachment.sha2}\r\n\r\n".encode("latin-1"),
            attachment.content,
        ]
    chunks += [b"\r\n", delimiter, b"--\r\n"]
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'
