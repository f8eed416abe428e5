"""Checking uploaded files by content, and the storage they are kept in."""

import hashlib
import io
import zipfile

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from lms.storage import DirectoryStorage, MissingFile, Storage, storage
from lms.uploads import (
    MAX_FILE_BYTES,
    TYPES,
    UploadError,
    check_upload,
    safe_filename,
    sniff,
)
from tests.lms import files


@pytest.mark.parametrize(("name", "content", "content_type"), files.ACCEPTED)
def test_every_accepted_type_is_recognised_by_its_content(name, content, content_type):
    checked = check_upload(io.BytesIO(content), name)
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.stream.tell() == 0  # ready to be stored


def test_a_real_spreadsheet_from_openpyxl_is_an_xlsx():
    from openpyxl import Workbook

    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "Plan B"
    workbook.save(buffer)
    assert sniff(buffer) is TYPES["xlsx"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", files.executable()),
        ("report.exe", files.pdf()),
        ("report", files.pdf()),
        ("image.pdf", files.png()),
        ("photo.png", files.jpeg()),
        ("macro.docx", files.ooxml("docx", macro=True)),
        ("macro.xlsx", files.ooxml("xlsx", macro=True)),
        ("page.pdf", b"<html><script>alert(1)</script></html>"),
        ("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("plain.docx", files._zip([("hello.txt", b"hi")])),
        ("template.odt", files._zip([("mimetype", b"application/x-unknown")], True)),
    ],
)
def test_content_that_is_not_an_accepted_type_is_refused(name, content):
    with pytest.raises(UploadError) as caught:
        check_upload(io.BytesIO(content), name)
    assert caught.value.code == "type"


def test_an_odf_document_with_basic_macros_is_refused():
    content = files._zip(
        [
            ("mimetype", (files.ODF + "text").encode()),
            ("content.xml", b"<x/>"),
            ("Basic/Standard/Module1.xml", b"<script/>"),
        ],
        stored_first=True,
    )
    with pytest.raises(UploadError):
        check_upload(io.BytesIO(content), "macro.odt")


def test_an_ooxml_naming_two_main_parts_is_refused():
    types = (
        f'<Types><Override ContentType="{files.OOXML}'
        'wordprocessingml.document.main+xml"/>'
        f'<Override ContentType="{files.OOXML}spreadsheetml.sheet.main+xml"/></Types>'
    ).encode()
    content = files._zip([("[Content_Types].xml", types)])
    assert sniff(io.BytesIO(content)) is None


def test_size_limit_is_exact():
    content = files.pdf()
    content += b"x" * (1000 - len(content))
    assert check_upload(io.BytesIO(content), "a.pdf", max_bytes=1000).size == 1000
    with pytest.raises(UploadError) as caught:
        check_upload(io.BytesIO(content + b"x"), "a.pdf", max_bytes=1000)
    assert caught.value.code == "too_large"
    assert MAX_FILE_BYTES == 10 * 1024 * 1024


def test_an_empty_file_is_refused():
    with pytest.raises(UploadError) as caught:
        check_upload(io.BytesIO(b""), "a.pdf")
    assert caught.value.code == "empty"


def test_a_zip_bomb_entry_is_read_only_in_part():
    # [Content_Types].xml of 50 MB zeros compresses to ~50 kB; only its start is read.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"\x00" * (50 * 1024 * 1024))
    assert sniff(buffer) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rapport.pdf", "rapport.pdf"),
        ("C:\\Users\\lene\\rapport.pdf", "rapport.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("  mange   mellemrum  .pdf", "mange mellemrum.pdf"),
        ("ny\r\nlinje.pdf", "nylinje.pdf"),
        ('"quoted";.pdf', "_quoted__.pdf"),
        ("Æble og ø.PDF", "Æble og ø.pdf"),
        (".pdf", "file.pdf"),
        ("x" * 300 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name, "pdf") == expected


@given(st.text(max_size=300))
def test_safe_filename_never_holds_a_path_or_a_control_character(name):
    safe = safe_filename(name, "pdf")
    assert safe.endswith(".pdf") and len(safe) <= 104
    assert not set(safe) & set('/\\<>:"|?*;%')
    assert all(ch.isprintable() or ch == " " for ch in safe)
    assert not safe.startswith((".", " "))


# --- Storage -------------------------------------------------------------------------


def test_directory_storage_round_trip(tmp_path):
    backend = DirectoryStorage(tmp_path)
    assert isinstance(backend, Storage)
    key = backend.save(io.BytesIO(b"indhold"), content_type="application/pdf")
    assert len(key) == 32 and int(key, 16) >= 0
    with backend.open(key) as stream:
        assert stream.read() == b"indhold"
    assert backend.size(key) == 7
    assert (tmp_path / key[:2] / key).read_bytes() == b"indhold"
    backend.delete(key)
    backend.delete(key)  # deleting twice is fine
    with pytest.raises(MissingFile):
        backend.open(key)
    with pytest.raises(MissingFile):
        backend.size(key)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_keys_are_random(tmp_path):
    backend = DirectoryStorage(tmp_path)
    keys = {backend.save(io.BytesIO(b"x"), content_type="image/png") for _ in range(20)}
    assert len(keys) == 20


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../../etc/passwd",
        "A" * 32,
        "0" * 31,
        "0" * 33,
        "..",
        "",
        None,
    ],
)
def test_no_key_reaches_outside_the_folder(tmp_path, key):
    backend = DirectoryStorage(tmp_path / "uploads")
    with pytest.raises(MissingFile):
        backend.open(key)
    with pytest.raises(MissingFile):
        backend.size(key)
    backend.delete(key)  # refuses silently, touches nothing


def test_a_failed_save_leaves_no_partial_file(tmp_path):
    class Broken(io.BytesIO):
        def read(self, *args):
            raise OSError("disk went away")

    backend = DirectoryStorage(tmp_path)
    with pytest.raises(OSError):
        backend.save(Broken(), content_type="application/pdf")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


class MemoryStorage:
    """Another backend, as a deployment might plug in."""

    def __init__(self, config=None) -> None:
        self.files: dict[str, bytes] = {}

    def save(self, stream, *, content_type):
        key = f"{len(self.files):032x}"
        self.files[key] = stream.read()
        return key

    def open(self, key):
        return io.BytesIO(self.files[key])

    def delete(self, key):
        self.files.pop(key, None)

    def size(self, key):
        return len(self.files[key])


def _app(**config) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    return app


def test_the_default_backend_is_a_folder_from_the_config(tmp_path):
    with _app(LMS_STORAGE_DIR=str(tmp_path / "up")).app_context():
        backend = storage()
    assert isinstance(backend, DirectoryStorage)
    assert backend.root == (tmp_path / "up").resolve()


def test_another_backend_plugs_in_as_instance_factory_or_import_string():
    instance = MemoryStorage()
    with _app(LMS_STORAGE=instance).app_context():
        assert storage() is instance
    with _app(LMS_STORAGE=MemoryStorage).app_context():
        made = storage()
        assert isinstance(made, MemoryStorage) and storage() is made
    with _app(LMS_STORAGE="tests.lms.test_uploads:MemoryStorage").app_context():
        assert isinstance(storage(), MemoryStorage)
