"""Module authoring: safe zip upload, errors by file and line, preview, publish."""

import io
import os
import re
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape

from lms.content import current_version, framework
from lms.extensions import db
from lms.models import Enrolment, ModuleDraft, ModuleVersion, User
from lms.package_zip import Limits, ZipRejected, read_zip
from modules import check_package, read_package
from tests.conftest import _clean
from tests.lms.journey import SLUG
from xapi.store import statements as statement_table

SHIPPED = Path(__file__).resolve().parents[2] / "modules" / SLUG
EDUCATOR = ("educator@example.org", "educator-demo-2026")
ADMIN = ("admin@example.org", "admin-demo-2026")
LEARNER = ("learner@example.org", "learner-demo-2026")
MANAGER = ("manager@example.org", "manager-demo-2026")
URL = "/teach/modules/"
# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def package(version: str | None = None) -> dict[str, bytes]:
    """Return the shipped package, marked as a draft, at another version if asked."""
    files = read_package(SHIPPED)
    if version:
        toml = files["module.toml"].decode()
        toml = re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', toml)
        files["module.toml"] = toml.encode()
    for language, words in (("da", "Nyt afsnit i udkastet"), ("en", "Draft paragraph")):
        path = f"lessons/01-when-video.{language}.md"
        extra = f"\n{words}.\n\n![{words}](media/diagram.png)\n"
        files[path] += extra.encode()
    files["media/diagram.png"] = PNG
    return files


def make_zip(files: dict[str, bytes], folder: str = SLUG) -> bytes:
    """Zip files, inside a folder or at the root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(f"{folder}/{path}" if folder else path, content)
    return buffer.getvalue()


def upload(client, data: bytes, filename: str = "package.zip", lang: str = "en"):
    """Post a file to the upload form."""
    return client.post(
        f"{URL}?lang={lang}",
        data={"package": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def next_version() -> str:
    """Return a version above the published one."""
    major, minor, _patch = current_version(SLUG).version.split(".")
    return f"{major}.{int(minor) + 1}.0"


@pytest.fixture
def restore(app):
    """Undo publishing: remove new versions and make the shipped one current again."""
    before = {
        v.id: v.is_current
        for v in db.session.execute(db.select(ModuleVersion)).scalars()
    }
    yield
    _clean(app)
    for version in db.session.execute(db.select(ModuleVersion)).scalars():
        if version.id not in before:
            db.session.delete(version)
        else:
            version.is_current = before[version.id]
    db.session.commit()


def _drafts() -> list[ModuleDraft]:
    return list(db.session.execute(db.select(ModuleDraft)).scalars())


def _statement_count() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(statement_table)
    ).scalar_one()


@pytest.mark.parametrize("folder", [SLUG, "", "my-copy"])
def test_a_valid_package_becomes_a_draft(client, auth, demo, folder):
    """A package zipped in any one folder, or at the root, is accepted."""
    auth.login(*EDUCATOR)
    response = upload(client, make_zip(package(), folder))
    assert response.status_code == 302, response.text
    draft = db.session.execute(db.select(ModuleDraft)).scalar_one()
    assert response.headers["Location"].endswith(f"/teach/modules/drafts/{draft.uuid}")
    assert (draft.slug, draft.version) == (SLUG, current_version(SLUG).version)
    assert draft.uploader.email == EDUCATOR[0]
    files = {row.path: row.content for row in draft.files}
    assert files == package()
    page = client.get(f"{response.headers['Location']}?lang=en")
    assert page.status_code == 200
    assert "Video consultations with citizens" in page.text
    assert "Preview in Danish" in page.text and "Preview in English" in page.text
    assert draft.uuid in client.get(f"{URL}?lang=en").text


def test_every_error_is_listed_with_file_and_line(client, auth, demo):
    files = package()
    toml = files["module.toml"].decode().splitlines()
    kind_line = next(i for i, line in enumerate(toml) if line.startswith("kind ="))
    toml[kind_line] = 'kind = "podcast"'
    files["module.toml"] = ("\n".join(toml) + "\n").encode()
    quiz = files["quizzes/final.toml"].decode()
    files["quizzes/final.toml"] = quiz.replace(
        "pass_mark = 0.8", "pass_mark = 2"
    ).encode()
    del files["lessons/02-preparation.en.md"]
    expected = check_package(files, framework())
    assert len(expected) >= 3

    auth.login(*EDUCATOR)
    response = upload(client, make_zip(files))
    assert response.status_code == 400
    listed = re.findall(r'<ol class="package-errors">(.*?)</ol>', response.text, re.S)
    assert listed and listed[0].count("<li>") == len(expected)
    for error in expected:
        where = f"{SLUG}/{error.file}" + (f":{error.line}" if error.line else "")
        assert f"<code>{escape(where)}</code> {escape(error.message)}" in listed[0]
    assert f"<code>{SLUG}/module.toml:{kind_line + 1}</code>" in listed[0]
    assert f"<code>{SLUG}/quizzes/final.toml:3</code>" in listed[0]
    assert "lessons/02-preparation.en.md" in listed[0]
    assert "The package has" in response.text
    assert _drafts() == []


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"slug = 'not a zip'\n", "package.zip", "The file is not a zip file."),
        (b"PK\x03\x04 broken", "package.zip", "The file is not a zip file."),
        (b"", "package.zip", "The file is not a zip file."),
        (b"anything", "package.txt", "The file must be a zip file (ending in .zip)."),
        (
            b"anything",
            "package.tar.gz",
            "The file must be a zip file (ending in .zip).",
        ),
    ],
)
def test_a_file_that_is_not_a_zip_is_refused(
    client, auth, demo, data, filename, message
):
    auth.login(*EDUCATOR)
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert _drafts() == []


def test_no_file_at_all_is_refused(client, auth, demo):
    auth.login(*EDUCATOR)
    response = client.post(
        f"{URL}?lang=en", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Choose a zip file with the module package." in response.text


def _zip_with(name: str, content: bytes = b"x", mode: int | None = None) -> bytes:
    files = {f"{SLUG}/{path}": body for path, body in package().items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, body in files.items():
            archive.writestr(path, body)
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        archive.writestr(info, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name",
    [
        "../evil.toml",
        f"{SLUG}/../../etc/cron.d/evil",
        "/etc/passwd",
        f"{SLUG}\\..\\evil.toml",
        "C:/Windows/evil.dll",
        f"{SLUG}/media/../../outside/",
    ],
)
def test_path_traversal_is_refused(client, auth, demo, name):
    auth.login(*EDUCATOR)
    response = upload(client, _zip_with(name))
    assert response.status_code == 400
    assert "has a path that points outside the package" in response.text
    assert escape(name) in response.text
    assert _drafts() == []


def test_a_symbolic_link_is_refused(client, auth, demo):
    auth.login(*EDUCATOR)
    link = _zip_with(f"{SLUG}/media/passwd", b"/etc/passwd", mode=0o120777)
    response = upload(client, link)
    assert response.status_code == 400
    assert "holds a link" in response.text
    assert _drafts() == []


def test_a_duplicate_name_is_refused(client, auth, demo):
    auth.login(*EDUCATOR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we want
        twice = _zip_with(f"{SLUG}/module.toml", b'slug = "other"\n')
    response = upload(client, twice)
    assert response.status_code == 400
    assert f"holds {SLUG}/module.toml twice" in response.text


def test_too_many_files_are_refused(client, auth, demo, monkeypatch, app):
    monkeypatch.setitem(app.config, "LMS_PACKAGE_MAX_FILES", len(package()))
    auth.login(*EDUCATOR)
    response = upload(client, _zip_with(f"{SLUG}/media/extra.png", PNG))
    assert response.status_code == 400
    assert f"holds more than {len(package())} files" in response.text


def _zeros_zip(size: int) -> bytes:
    """A zip whose module.toml is `size` zero bytes: it packs to almost nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("module.toml", bytes(size))
    return buffer.getvalue()


def test_a_zip_bomb_that_unpacks_past_the_limit_is_refused(client, auth, demo):
    bomb = _zeros_zip(60 * 2**20)
    assert len(bomb) < 100_000  # small on the wire, 60 MB unpacked
    auth.login(*EDUCATOR)
    response = upload(client, bomb)
    assert response.status_code == 400
    assert "take up more than 50 MB when unpacked" in response.text
    assert _drafts() == []


def test_a_zip_bomb_by_its_compression_ratio_is_refused(client, auth, demo):
    bomb = _zeros_zip(5 * 2**20)  # within the size limit, but packed > 100 times
    auth.login(*EDUCATOR)
    response = upload(client, bomb)
    assert response.status_code == 400
    assert "as a zip bomb does" in response.text


def _lying_zip(declared: int) -> bytes:
    """A zip whose headers claim module.toml is `declared` bytes; it holds 5 MB."""
    data = bytearray(_zeros_zip(5 * 2**20))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)  # uncompressed size
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def test_a_zip_whose_sizes_lie_is_refused_while_reading(client, auth, demo):
    """The declared sizes pass; the bytes read do not match them."""
    lying = _lying_zip(1000)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.infolist()[0].file_size == 1000
    auth.login(*EDUCATOR)
    response = upload(client, lying)
    assert response.status_code == 400
    assert "The zip file is damaged (module.toml)" in response.text
    assert _drafts() == []


def test_an_oversized_upload_is_refused_with_413(client, auth, demo, app):
    auth.login(*EDUCATOR)
    limit = app.config["MAX_CONTENT_LENGTH"]
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="package"; '
        f'filename="package.zip"\r\nContent-Type: application/zip\r\n\r\n'
    ).encode() + os.urandom(limit + 1024)
    response = client.post(
        f"{URL}?lang=en",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "The file is too large. A module package may be at most 12 MB." in (
        response.text
    )
    assert 'id="package" name="package"' in response.text  # the form, for a retry


def test_read_zip_strips_one_top_folder_and_skips_clutter():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pkg/", b"")
        archive.writestr("pkg/module.toml", b"a")
        archive.writestr("pkg/./lessons/x.da.md", b"b")
        archive.writestr("pkg/.DS_Store", b"c")
        archive.writestr("__MACOSX/pkg/._module.toml", b"d")
    files, folder = read_zip(buffer.getvalue())
    assert folder == "pkg"
    assert files == {"module.toml": b"a", "lessons/x.da.md": b"b"}


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ([], "empty"),
        (["a.toml", "b.toml", "c.toml"], "too_many_files"),
        (["x" * 300], "long_path"),
    ],
)
def test_read_zip_limits(names, reason):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    with pytest.raises(ZipRejected) as refused:
        read_zip(buffer.getvalue(), Limits(max_files=2))
    assert refused.value.reason == reason


def _uploaded(client, auth, files=None) -> ModuleDraft:
    auth.login(*EDUCATOR)
    response = upload(client, make_zip(files or package(next_version())))
    assert response.status_code == 302, response.text
    return db.session.execute(db.select(ModuleDraft)).scalar_one()


@pytest.mark.parametrize(
    ("lang", "title", "lesson", "prompt"),
    [
        (
            "da",
            "Videokonsultationer med borgere",
            "Nyt afsnit i udkastet",
            "Hvilken situation egner sig DÅRLIGST til en videokonsultation?",
        ),
        (
            "en",
            "Video consultations with citizens",
            "Draft paragraph",
            "Which situation is LEAST suited to a video consultation?",
        ),
    ],
)
def test_preview_in_both_languages_records_nothing(
    client, auth, demo, lang, title, lesson, prompt
):
    draft = _uploaded(client, auth)
    statements_before = _statement_count()
    base = f"/teach/modules/drafts/{draft.uuid}/preview"
    overview = client.get(f"{base}?lang={lang}")
    assert overview.status_code == 200
    assert f'<html lang="{lang}">' in overview.text
    assert f"<h1>{title}</h1>" in overview.text
    assert f"{base}/final-quiz?lang={lang}" in overview.text

    page = client.get(f"{base}/when-video?lang={lang}")
    assert page.status_code == 200 and lesson in page.text
    image = f"/teach/modules/drafts/{draft.uuid}/media/media/diagram.png"
    assert f'src="{image}"' in page.text
    media = client.get(image)
    assert media.status_code == 200 and media.data == PNG
    assert media.mimetype == "image/png"
    assert "sandbox" in media.headers["Content-Security-Policy"]

    quiz = client.get(f"{base}/final-quiz?lang={lang}")
    assert quiz.status_code == 200 and escape(prompt) in quiz.text
    assert 'type="radio"' in quiz.text
    for activity in ("first-video-follow-up", "first-consultation"):
        assert client.get(f"{base}/{activity}?lang={lang}").status_code == 200
    assert client.get(f"{base}/no-such-activity").status_code == 404

    assert _statement_count() == statements_before
    assert db.session.execute(db.select(Enrolment)).first() is None


def test_draft_media_outside_the_media_folder_is_not_served(client, auth, demo):
    draft = _uploaded(client, auth)
    base = f"/teach/modules/drafts/{draft.uuid}/media"
    assert client.get(f"{base}/module.toml").status_code == 404
    assert client.get(f"{base}/media/missing.png").status_code == 404


def test_publish_makes_a_new_version_and_older_enrolments_stay(
    client, auth, demo, make_user, restore
):
    """A learner on the older version finishes it; a new learner gets the new one."""
    auth.login(*LEARNER)
    client.post(f"/learn/modules/{SLUG}/enrol")
    old = current_version(SLUG)
    auth.logout()

    draft = _uploaded(client, auth)
    response = client.post(f"/teach/modules/drafts/{draft.uuid}/publish?lang=en")
    assert response.status_code == 302
    assert (
        f"Version {draft.version} is published."
        in client.get(response.headers["Location"]).text
    )
    new = current_version(SLUG)
    assert new.version == draft.version and new.id != old.id
    assert db.session.get(ModuleVersion, old.id).is_current is False
    assert draft.published_version_id == new.id

    auth.logout()
    auth.login(*LEARNER)
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    assert enrolment.module_version_id == old.id
    assert client.post(f"/learn/modules/{SLUG}/when-video/read").status_code == 302
    db.session.refresh(enrolment)
    assert enrolment.module_version_id == old.id
    assert enrolment.progress_percent > 0
    lesson = client.get(f"/learn/modules/{SLUG}/when-video").text
    assert "Nyt afsnit i udkastet" not in lesson  # still the old version's text
    assert f"Version {old.version}" in client.get(f"/learn/modules/{SLUG}").text

    newcomer = make_user()
    auth.logout()
    auth.login(newcomer.email, "password-1234")
    client.post(f"/learn/modules/{SLUG}/enrol")
    theirs = db.session.execute(
        db.select(Enrolment).filter_by(user_id=newcomer.id)
    ).scalar_one()
    assert theirs.module_version_id == new.id
    assert (
        "Nyt afsnit i udkastet" in client.get(f"/learn/modules/{SLUG}/when-video").text
    )


def test_a_published_version_number_with_other_content_is_refused(
    client, auth, demo, restore
):
    draft = _uploaded(client, auth, package(current_version(SLUG).version))
    warning = client.get(f"/teach/modules/drafts/{draft.uuid}?lang=en").text
    assert "is already published with other content" in warning
    response = client.post(f"/teach/modules/drafts/{draft.uuid}/publish?lang=en")
    assert response.status_code == 409
    assert (
        f"Version {draft.version} is already published with other content. "
        "Raise the version in module.toml" in response.text
    )
    assert current_version(SLUG).content_hash != draft.content_hash
    assert db.session.get(ModuleDraft, draft.id).published_version_id is None


def test_an_older_version_number_is_refused(client, auth, demo, restore):
    draft = _uploaded(client, auth, package("0.0.1"))
    response = client.post(f"/teach/modules/drafts/{draft.uuid}/publish?lang=en")
    assert response.status_code == 409
    published = current_version(SLUG).version
    assert f"Version 0.0.1 is older than the published version {published}" in (
        response.text
    )
    assert current_version(SLUG).version == published


def test_the_same_package_again_changes_nothing(client, auth, demo, restore):
    draft = _uploaded(client, auth, read_package(SHIPPED))
    before = current_version(SLUG)
    response = client.post(f"/teach/modules/drafts/{draft.uuid}/publish?lang=en")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "already published with the same content. Nothing changed." in page
    assert current_version(SLUG).id == before.id
    again = client.post(f"/teach/modules/drafts/{draft.uuid}/publish?lang=en")
    assert again.status_code == 409
    assert "This draft has already been published." in again.text


def test_discard_deletes_the_draft(client, auth, demo):
    draft = _uploaded(client, auth)
    response = client.post(f"/teach/modules/drafts/{draft.uuid}/discard")
    assert response.status_code == 302
    assert _drafts() == []
    assert client.get(f"/teach/modules/drafts/{draft.uuid}").status_code == 404


@pytest.mark.parametrize(
    ("account", "status"),
    [(None, 302), (LEARNER, 403), (MANAGER, 403), (EDUCATOR, 200), (ADMIN, 200)],
)
def test_who_may_upload(client, auth, demo, account, status):
    if account:
        auth.login(*account)
    assert client.get(URL).status_code == status
    posted = upload(client, make_zip(package()))
    assert posted.status_code == (302 if status == 200 else status)


def test_a_draft_is_seen_only_by_its_author_and_admins(
    client, auth, demo, make_user, restore
):
    draft = _uploaded(client, auth)
    base = f"/teach/modules/drafts/{draft.uuid}"
    urls = [
        ("GET", base),
        ("GET", f"{base}/preview"),
        ("GET", f"{base}/preview/when-video"),
        ("GET", f"{base}/media/media/diagram.png"),
        ("POST", f"{base}/publish"),
        ("POST", f"{base}/discard"),
    ]
    make_user(role="educator", unit_code="SUU", email="other@example.org")
    auth.logout()
    auth.login("other@example.org", "password-1234")
    for method, url in urls:
        assert client.open(url, method=method).status_code == 404, url
    assert draft.uuid not in client.get(URL).text
    for account, status in ((LEARNER, 403), (MANAGER, 403)):
        auth.logout()
        auth.login(*account)
        for method, url in urls:
            assert client.open(url, method=method).status_code == status, url
    auth.logout()
    auth.login(*ADMIN)
    assert draft.uuid in client.get(URL).text
    for method, url in urls[:4]:
        assert client.open(url, method=method).status_code == 200, url
    assert db.session.get(ModuleDraft, draft.id).published_version_id is None
    assert db.session.execute(db.select(User).filter_by(email=ADMIN[0])).scalar_one()
