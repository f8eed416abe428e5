"""Small but well-formed sample files of every type a practice task accepts."""

import io
import struct
import zipfile
import zlib

OOXML = "application/vnd.openxmlformats-officedocument."
ODF = "application/vnd.oasis.opendocument."


def pdf(body: bytes = b"") -> bytes:
    """Return a one-page PDF."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        + body
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def png() -> bytes:
    """Return a 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """Return the start of a JFIF JPEG (enough for a signature check)."""
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + (b"\x00" * 64)
        + b"\xff\xd9"
    )


def webp() -> bytes:
    """Return a lossless WebP container."""
    payload = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00\x00"
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else None
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


_MAIN = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml(kind: str, macro: bool = False) -> bytes:
    """Return a minimal OOXML package (docx, xlsx or pptx), optionally with VBA."""
    part, main = _MAIN[kind]
    content_type = OOXML + main
    if macro:
        content_type = content_type.replace(".main+xml", ".macroEnabled.main+xml")
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    ).encode()
    entries = [("[Content_Types].xml", types), (part, b"<root/>")]
    if macro:
        entries.append((part.split("/")[0] + "/vbaProject.bin", b"\x00" * 32))
    return _zip(entries)


def odf(kind: str) -> bytes:
    """Return a minimal ODF package: "text", "spreadsheet" or "presentation"."""
    return _zip(
        [
            ("mimetype", (ODF + kind).encode()),
            ("content.xml", b"<office:document-content/>"),
            ("META-INF/manifest.xml", b"<manifest:manifest/>"),
        ],
        stored_first=True,
    )


def executable() -> bytes:
    """Return the start of a Windows executable."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


#: (file name, content, the content type it is served with), one per accepted type.
ACCEPTED = [
    ("rapport.pdf", pdf(), "application/pdf"),
    ("tavle.png", png(), "image/png"),
    ("foto.jpg", jpeg(), "image/jpeg"),
    ("foto.jpeg", jpeg(), "image/jpeg"),
    ("skærm.webp", webp(), "image/webp"),
    ("refleksion.docx", ooxml("docx"), OOXML + "wordprocessingml.document"),
    ("plan.xlsx", ooxml("xlsx"), OOXML + "spreadsheetml.sheet"),
    ("oplæg.pptx", ooxml("pptx"), OOXML + "presentationml.presentation"),
    ("refleksion.odt", odf("text"), ODF + "text"),
    ("plan.ods", odf("spreadsheet"), ODF + "spreadsheet"),
    ("oplæg.odp", odf("presentation"), ODF + "presentation"),
]
