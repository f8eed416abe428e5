"""Check a practice-task file: its type by its content, its size and its name.

The browser's Content-Type and the file name are the user's word; only the bytes
decide. PDF and images are recognised by their signature, office documents by the
structure of their zip container: OOXML by its main part's content type, ODF by its
leading ``mimetype`` entry. Documents with macros are refused.
"""

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

#: The largest file a learner may hand in.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: How much of a container's small metadata entry is read, at most.
_ENTRY_LIMIT = 256 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileType:
    """A kind of file we accept: its served content type and its extensions."""

    key: str
    content_type: str
    extensions: tuple[str, ...]


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "application/pdf", ("pdf",)),
        FileType("png", "image/png", ("png",)),
        FileType("jpeg", "image/jpeg", ("jpg", "jpeg")),
        FileType("webp", "image/webp", ("webp",)),
        FileType("docx", _OOXML + "wordprocessingml.document", ("docx",)),
        FileType("xlsx", _OOXML + "spreadsheetml.sheet", ("xlsx",)),
        FileType("pptx", _OOXML + "presentationml.presentation", ("pptx",)),
        FileType("odt", _ODF + "text", ("odt",)),
        FileType("ods", _ODF + "spreadsheet", ("ods",)),
        FileType("odp", _ODF + "presentation", ("odp",)),
    )
}
#: The file chooser's hint to the browser; the server checks again.
ACCEPT = ",".join(f".{ext}" for t in TYPES.values() for ext in t.extensions)

#: The content type of each OOXML main part (without macros) in [Content_Types].xml.
_OOXML_MAIN = {
    "docx": _OOXML + "wordprocessingml.document.main+xml",
    "xlsx": _OOXML + "spreadsheetml.sheet.main+xml",
    "pptx": _OOXML + "presentationml.presentation.main+xml",
}


class UploadError(Exception):
    """The file is refused; ``code`` is "empty", "too_large" or "type"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed the checks, ready to be stored."""

    stream: BinaryIO
    filename: str
    file_type: FileType
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        """Return the content type the file is served with."""
        return self.file_type.content_type


def check_upload(
    stream: BinaryIO, filename: str, max_bytes: int = MAX_FILE_BYTES
) -> CheckedUpload:
    """Check a seekable upload and return it with its type, size and hash."""
    size, digest = _measure(stream, max_bytes)
    if size == 0:
        raise UploadError("empty")
    file_type = sniff(stream)
    extension = _extension(filename)
    if file_type is None or extension not in file_type.extensions:
        raise UploadError("type")
    stream.seek(0)
    return CheckedUpload(
        stream, safe_filename(filename, extension), file_type, size, digest
    )


def _measure(stream: BinaryIO, max_bytes: int) -> tuple[int, str]:
    stream.seek(0)
    size, digest = 0, hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UploadError("too_large")
        digest.update(chunk)
    stream.seek(0)
    return size, digest.hexdigest()


def sniff(stream: BinaryIO) -> FileType | None:
    """Return the accepted type the content has, or None."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return TYPES["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return TYPES["webp"]
    if head.startswith(b"PK\x03\x04"):
        return _office(stream)
    return None


def _office(stream: BinaryIO) -> FileType | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            return _odf(archive) or _ooxml(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return None
    except (NotImplementedError, RuntimeError, EOFError):  # odd or encrypted entries
        return None
    finally:
        stream.seek(0)


def _read_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as entry:
        return entry.read(_ENTRY_LIMIT)


def _odf(archive: zipfile.ZipFile) -> FileType | None:
    entries = archive.infolist()
    if not entries or entries[0].filename != "mimetype":
        return None
    names = archive.namelist()
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        return None
    declared = _read_entry(archive, "mimetype").decode("ascii", "replace").strip()
    return next(
        (
            t
            for t in TYPES.values()
            if t.key.startswith("od") and t.content_type == declared
        ),
        None,
    )


def _ooxml(archive: zipfile.ZipFile) -> FileType | None:
    names = archive.namelist()
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None
    declared = _read_entry(archive, "[Content_Types].xml")
    found = [
        key for key, main in _OOXML_MAIN.items() if f'"{main}"'.encode() in declared
    ]
    return TYPES[found[0]] if len(found) == 1 else None


def _extension(filename: str) -> str:
    name = _basename(filename)
    return name.rpartition(".")[2].lower() if "." in name else ""


def _basename(filename: str) -> str:
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1]


def safe_filename(filename: str, extension: str) -> str:
    """Return a harmless display name: no path, no control characters, short."""
    name = unicodedata.normalize("NFC", _basename(filename))
    # Drop control and format characters (a right-to-left override can disguise
    # "gpj.exe" as "exe.jpg") and characters that mean something to shells,
    # Windows or HTTP headers.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*;%/\\]', "_", name)
    name = " ".join(name.split())
    stem = name.rpartition(".")[0] if "." in name else name
    stem = stem.strip(" .")[:100].strip(" .")
    return f"{stem or 'file'}.{extension}"
