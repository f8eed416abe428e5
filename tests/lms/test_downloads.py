"""Stored and packaged files go out as attachments of a type checked by content."""

import pytest

from lms.content import current_version
from lms.extensions import db
from lms.models import ModuleFile, User
from lms.package_media import MEDIA_POLICY
from lms.storage import attachment
from tests.lms import files
from tests.lms.test_authoring import PNG, _uploaded, next_version, package
from tests.lms.test_practice_review import hand_in, only_submission, sign_in, stored

SLUG = "video-consultations"
LEARNER = ("learner@example.org", "learner-demo-2026")


# --- The header --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rapport.pdf", 'attachment; filename="rapport.pdf"'),
        (
            "æøå.pdf",
            "attachment; filename=\"a.pdf\"; filename*=UTF-8''%C3%A6%C3%B8%C3%A5.pdf",
        ),
        (
            "Min rapport.pdf",
            'attachment; filename="Min rapport.pdf"',
        ),
        ("", 'attachment; filename="download"'),
    ],
)
def test_the_disposition_follows_rfc_6266_and_5987(name, expected):
    assert attachment(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        'a"b.pdf',
        "a\r\nSet-Cookie: x=1.pdf",
        "a\\b.pdf",
        "../../etc/passwd",
        "x;y=z.pdf",
    ],
)
def test_no_name_breaks_out_of_the_header(name):
    value = attachment(name)
    assert "\r" not in value and "\n" not in value
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\\" not in fallback and "/" not in fallback
    assert value.count('"') == 2
    if "filename*=" in value:
        encoded = value.split("filename*=UTF-8''", 1)[1]
        assert all(ch not in encoded for ch in ' ";\\/')


# --- Practice-task files -------------------------------------------------------------


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Keep stored files in a folder of the test's own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "LMS_STORAGE_DIR", str(folder))
    return folder


@pytest.fixture
def enrolled(client, auth, demo):
    """The demo learner, signed in, enrolled on the module."""
    sign_in(client, auth, LEARNER)
    assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302


def _download(client):
    return client.get(
        f"/learn/submissions/{only_submission().uuid}/file", buffered=True
    )


def test_a_stored_file_that_no_longer_matches_its_type_is_only_a_download(
    client, enrolled, uploads
):
    hand_in(client, upload=("rapport.pdf", files.pdf()))
    (path,) = stored(uploads)
    path.write_bytes(b"<html><script>alert(1)</script></html>")
    response = _download(client)
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_recorded_type_we_never_accept_is_not_served(client, enrolled, uploads):
    hand_in(client, upload=("tavle.png", files.png()))
    only_submission().file.content_type = "text/html"
    db.session.commit()
    response = _download(client)
    assert response.mimetype == "application/octet-stream"


def test_a_danish_file_name_arrives_intact(client, enrolled, uploads):
    hand_in(client, upload=("Mødereferat æøå.pdf", files.pdf()))
    disposition = _download(client).headers["Content-Disposition"]
    assert "filename*=UTF-8''M%C3%B8dereferat%20%C3%A6%C3%B8%C3%A5.pdf" in disposition


# --- Module media ------------------------------------------------------------------


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'
VTT = "\ufeffWEBVTT\n\n00:00.000 --> 00:01.000\nHej\n".encode()
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


@pytest.fixture
def media(app, demo):
    """Media files added to the published module; taken out again afterwards."""
    version = current_version(SLUG)
    added = {
        "media/diagram.png": PNG,
        "media/fake.png": b"<html><script>alert(1)</script></html>",
        "media/figur.svg": SVG,
        "media/tekst.vtt": VTT,
        "media/film.mp4": MP4,
        "media/notes.txt": b"hello",
    }
    for path, content in added.items():
        db.session.add(ModuleFile(version_id=version.id, path=path, content=content))
    db.session.commit()
    yield version
    db.session.execute(
        db.delete(ModuleFile).where(
            ModuleFile.version_id == version.id, ModuleFile.path.in_(added)
        )
    )
    db.session.commit()


def published_media_url(version, path: str) -> str:
    """Return the address of a media file of a published version."""
    return f"/learn/modules/{SLUG}/v{version.id}/media/{path}"


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("media/diagram.png", "image/png"),
        ("media/figur.svg", "image/svg+xml"),
        ("media/tekst.vtt", "text/vtt"),
        ("media/film.mp4", "video/mp4"),
        ("media/fake.png", "application/octet-stream"),
    ],
)
def test_published_media_are_attachments_of_the_checked_type(
    client, auth, media, path, served
):
    auth.login(*LEARNER)
    response = client.get(published_media_url(media, path))
    assert response.status_code == 200
    assert response.mimetype == served
    name = path.rsplit("/", 1)[1]
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The view's own policy is kept: stricter than the app's default.
    assert response.headers["Content-Security-Policy"] == MEDIA_POLICY


def test_media_of_an_unknown_type_are_not_served(client, auth, media):
    auth.login(*LEARNER)
    assert client.get(published_media_url(media, "media/notes.txt")).status_code == 404


def test_draft_media_are_attachments_of_the_checked_type(client, auth, demo):
    files_ = package(next_version())
    files_["media/fake.png"] = b"GIF89a not a png"
    draft = _uploaded(client, auth, files_)
    base = f"/teach/modules/drafts/{draft.uuid}/media/media"
    good = client.get(f"{base}/diagram.png")
    assert good.mimetype == "image/png"
    assert good.headers["Content-Disposition"] == 'attachment; filename="diagram.png"'
    fake = client.get(f"{base}/fake.png")
    assert fake.status_code == 200
    assert fake.mimetype == "application/octet-stream"
    assert fake.headers["X-Content-Type-Options"] == "nosniff"


# --- Generated downloads -----------------------------------------------------------


def test_certificate_downloads_are_attachments(client, auth, demo):
    from tests.lms.certificates.conftest import certify

    learner = db.session.execute(
        db.select(User).filter_by(email=LEARNER[0])
    ).scalar_one()
    certificate = certify(learner)
    auth.login(*LEARNER)
    response = client.get(f"/certificates/{certificate.uuid}/credential.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-{certificate.code}.json"'
    )
