"""Serve a file from a module package's media folder: its type checked by content.

The extension says what a file claims to be; the first bytes must agree before
it is served as that type, or it goes out as a plain download. Every media file
is an attachment, so opening its address directly never renders it in our
origin; ``<img>``, ``<video>`` and ``<track>`` ignore the disposition.
"""

from flask import Response

from lms.storage import OCTET_STREAM, attachment

#: What a browser may be sent from a package's media folder.
MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "svg": "image/svg+xml",
    "vtt": "text/vtt",
    "mp4": "video/mp4",
    "webp": "image/webp",
    "gif": "image/gif",
}

#: A served media file runs nothing and loads nothing (an SVG may hold script).
MEDIA_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _is_svg(content: bytes) -> bool:
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and (
        b"<svg" in content[:4096].lower()
    )


def _signature_matches(media_type: str, content: bytes) -> bool:
    """Return whether the content starts the way files of the type do."""
    checks = {
        "image/png": lambda: content.startswith(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg": lambda: content.startswith(b"\xff\xd8\xff"),
        "image/gif": lambda: content[:6] in (b"GIF87a", b"GIF89a"),
        "image/webp": lambda: content[:4] == b"RIFF" and content[8:12] == b"WEBP",
        "video/mp4": lambda: content[4:8] == b"ftyp",
        "text/vtt": lambda: content.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"),
        "image/svg+xml": lambda: _is_svg(content),
    }
    return checks[media_type]()


def media_type(path: str) -> str | None:
    """Return the type a media path claims by its extension, or None if unknown."""
    return MEDIA_TYPES.get(path.rsplit(".", 1)[-1].lower())


def media_response(path: str, content: bytes) -> Response:
    """Return a media file as an attachment of its checked type."""
    claimed = media_type(path) or OCTET_STREAM
    served = (
        claimed
        if claimed != OCTET_STREAM and _signature_matches(claimed, content)
        else OCTET_STREAM
    )
    response = Response(content, mimetype=served)
    response.headers["Content-Disposition"] = attachment(path.rsplit("/", 1)[-1])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_POLICY
    return response
