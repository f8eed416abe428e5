"""Where uploaded files live: a small storage interface and its directory default.

A backend is plugged in through the app config: ``LMS_STORAGE`` holds a
``Storage`` instance, a callable that takes the app config and returns one, or an
import string ``"package.module:factory"`` for such a callable. Without it, files
go to the directory ``LMS_STORAGE_DIR`` (default ``instance/uploads``).
"""

import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote

from flask import Response, current_app, send_file
from werkzeug.utils import import_string

#: A key is 128 random bits as hex: never derived from what the user sent.
_KEY = re.compile(r"[0-9a-f]{32}")
#: What a file is served as when its type cannot be vouched for: a download.
OCTET_STREAM = "application/octet-stream"


class MissingFile(LookupError):
    """No file is stored under this key."""


@runtime_checkable
class Storage(Protocol):
    """Keeps uploaded files under random keys."""

    def save(self, stream: BinaryIO, *, content_type: str) -> str:
        """Store the stream's content and return its new key."""

    def open(self, key: str) -> BinaryIO:
        """Return the stored content for reading; MissingFile if there is none."""

    def delete(self, key: str) -> None:
        """Remove the stored content; a missing key is not an error."""

    def size(self, key: str) -> int:
        """Return the stored content's length in bytes; MissingFile if none."""


def new_key() -> str:
    """Return a fresh random storage key."""
    return secrets.token_hex(16)


class DirectoryStorage:
    """Files in a directory tree, as ``ROOT/ab/abcdef...``, written atomically."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        # Only our own key shape is ever joined to the root, so no name a caller
        # passes can reach outside it.
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise MissingFile(key)
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, *, content_type: str) -> str:
        """Copy the stream into a new file and return its key."""
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=".part-", delete=False
        )
        try:
            with handle:
                shutil.copyfileobj(stream, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise MissingFile(key) from None

    def delete(self, key: str) -> None:
        """Remove a stored file if it exists."""
        try:
            self._path(key).unlink(missing_ok=True)
        except MissingFile:
            return

    def size(self, key: str) -> int:
        """Return a stored file's size."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise MissingFile(key) from None


def storage() -> Storage:
    """Return the storage backend the app is configured with."""
    configured = current_app.config.get("LMS_STORAGE")
    if configured is None:
        return DirectoryStorage(_directory())
    if isinstance(configured, str):
        configured = import_string(configured)
    if not isinstance(configured, type) and isinstance(configured, Storage):
        return configured
    cache = current_app.extensions.setdefault("lms_storage", {})
    if configured not in cache:
        cache[configured] = configured(current_app.config)
    return cache[configured]


def _directory() -> str:
    return current_app.config.get("LMS_STORAGE_DIR") or os.path.join(
        current_app.instance_path, "uploads"
    )


def attachment(filename: str) -> str:
    """Return a Content-Disposition that downloads under a harmless file name.

    An ASCII fallback goes in ``filename`` and the exact name, percent-encoded
    UTF-8, in ``filename*`` (RFC 6266 and RFC 5987), so "æøå.pdf" arrives intact
    and nothing in the name can break out of the header.
    """
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")
    name = name.replace("/", "_").replace("\\", "_").strip() or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9!#$&+^`|~ ._-]", "_", fallback).strip() or "download"
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe="!#$&+^`|~.-_")
    return value


def checked_type(stream: BinaryIO, stored_type: str) -> str:
    """Return the type to serve a stored upload as: its recorded, sniffed type if
    the content still has that type, else ``application/octet-stream``."""
    from lms.uploads import TYPES, sniff

    if stored_type not in {file_type.content_type for file_type in TYPES.values()}:
        return OCTET_STREAM
    if stream.seekable():
        found = sniff(stream)
        if found is None or found.content_type != stored_type:
            current_app.logger.warning("stored file does not match its recorded type")
            return OCTET_STREAM
    return stored_type


def download(key: str, *, content_type: str, filename: str) -> Response:
    """Send a stored file as an attachment of the checked type, never sniffed."""
    try:
        stream = storage().open(key)
    except MissingFile:
        current_app.logger.error("stored file %s is missing", key)
        raise
    response = send_file(
        stream,
        mimetype=checked_type(stream, content_type),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # A stray inline rendering of the file must not run scripts in our origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
