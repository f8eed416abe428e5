"""Read an uploaded module package zip into memory, refusing anything unsafe.

Nothing touches the disk. A path that could escape a folder, a link, a duplicate
name, too many files, too many bytes unpacked or a compression ratio that signals
a zip bomb is refused before the package is checked. Sizes are checked twice: as
the zip declares them, and by counting the bytes while reading, since the
declared sizes are written by whoever made the zip.
"""

import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field

CHUNK = 64 * 1024
#: Files below this size may compress very well without being a bomb.
RATIO_FLOOR = 1024 * 1024
#: Folders that zip tools add and that are no part of a package.
_TOOL_FOLDERS = ("__MACOSX", "__pycache__")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Limits:
    """How much a package zip may hold."""

    max_files: int = 500
    max_bytes: int = 50 * 1024 * 1024
    max_ratio: int = 100
    max_path: int = 255


class ZipRejected(Exception):
    """The upload is not a safe zip; ``reason`` says why, ``detail`` names the file."""

    def __init__(self, reason: str, **detail) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


@dataclass
class _Reading:
    limits: Limits
    total: int = 0
    files: dict[str, bytes] = field(default_factory=dict)


def read_zip(data: bytes, limits: Limits | None = None) -> tuple[dict[str, bytes], str]:
    """Return the package files by path, and their top folder's name or ""."""
    limits = limits or Limits()
    archive = _open(data)
    # Folder entries are checked too: a "../" folder is as telling as a file.
    checked = [(info, _safe_path(info, limits)) for info in archive.infolist()]
    members = [(info, path) for info, path in checked if not info.is_dir()]
    _check_declared([info for info, _ in members], len(data), limits)
    reading = _Reading(limits)
    for info, path in members:
        if path is None:
            continue
        if path in reading.files:
            raise ZipRejected("duplicate", file=path)
        reading.files[path] = _read_member(archive, info, reading)
    if not reading.files:
        raise ZipRejected("empty")
    return _strip_top_folder(reading.files)


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ZipRejected("not_zip") from None


def _check_declared(members: list[zipfile.ZipInfo], size: int, limits: Limits) -> None:
    """Refuse on the sizes the zip declares, before reading a byte."""
    if len(members) > limits.max_files:
        raise ZipRejected("too_many_files", count=len(members))
    declared = sum(info.file_size for info in members)
    if declared > limits.max_bytes:
        raise ZipRejected("too_large")
    for info in members:
        if _bomb_ratio(info.file_size, info.compress_size, limits):
            raise ZipRejected("bomb", file=info.filename)
    if _bomb_ratio(declared, size, limits):
        raise ZipRejected("bomb", file="")


def _bomb_ratio(unpacked: int, packed: int, limits: Limits) -> bool:
    if unpacked <= RATIO_FLOOR:
        return False
    return packed <= 0 or unpacked / packed > limits.max_ratio


def _safe_path(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Return the member's path, None for tool clutter; refuse anything unsafe."""
    name = info.filename
    parts = name.split("/")
    if (
        "\\" in name
        or name.startswith("/")
        or _DRIVE.match(name)
        or ".." in parts
        or "\0" in name
    ):
        raise ZipRejected("unsafe_path", file=name)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ZipRejected("link", file=name)
    if info.flag_bits & 0x1:
        raise ZipRejected("encrypted", file=name)
    parts = [part for part in parts if part not in ("", ".")]
    if len(name) > limits.max_path:
        raise ZipRejected("long_path", file=name[: limits.max_path] + "…")
    if any(part.startswith(".") or part in _TOOL_FOLDERS for part in parts):
        return None  # hidden files and tool folders, as read_package skips them
    return "/".join(parts)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, reading: _Reading
) -> bytes:
    """Read one member, counting bytes against its declared size and the total."""
    chunks, size = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                size += len(chunk)
                reading.total += len(chunk)
                if size > info.file_size or reading.total > reading.limits.max_bytes:
                    raise ZipRejected("bomb", file=info.filename)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise ZipRejected("damaged", file=info.filename) from None
    if size != info.file_size:
        raise ZipRejected("damaged", file=info.filename)
    return b"".join(chunks)


def _strip_top_folder(files: dict[str, bytes]) -> tuple[dict[str, bytes], str]:
    """Accept a package zipped inside one folder as well as at the root."""
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        top = tops.pop()
        return {path.split("/", 1)[1]: content for path, content in files.items()}, top
    return files, ""
