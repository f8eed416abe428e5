"""The author's writes: upload a module package as a draft, publish or discard it."""

import logging
from datetime import UTC, datetime

from lms.content import VersionClash, framework, publish
from lms.extensions import db
from lms.models import ModuleDraft, ModuleDraftFile, ModuleVersion, User
from lms.package_zip import Limits, read_zip
from modules import PackageError, PackageInvalid, check_package, parse_package

log = logging.getLogger(__name__)


class PackageProblems(Exception):
    """The package has errors; each names the file and the line."""

    def __init__(self, errors: list[PackageError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


class PublishRefused(Exception):
    """The draft cannot be published as it is; ``reason`` says why."""

    def __init__(self, reason: str, **detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def upload(data: bytes, uploader: User, limits: Limits | None = None) -> ModuleDraft:
    """Unpack and check a package zip, and keep it as a draft if it has no error.

    Raises ZipRejected for an unsafe or broken zip, PackageProblems for a package
    with errors.
    """
    files, folder = read_zip(data, limits)
    errors = check_package(files, framework())
    if errors:
        raise PackageProblems([_in_folder(error, folder) for error in errors])
    module = parse_package(files, framework())
    draft = ModuleDraft(
        slug=module.slug,
        version=module.version,
        title_da=module.title["da"],
        title_en=module.title["en"],
        content_hash=module.content_hash,
        uploader=uploader,
        files=[ModuleDraftFile(path=p, content=c) for p, c in sorted(files.items())],
    )
    db.session.add(draft)
    db.session.commit()
    log.info(
        "user %s uploaded draft %s: %s %s",
        uploader.id,
        draft.id,
        module.slug,
        module.version,
    )
    return draft


def _in_folder(error: PackageError, folder: str) -> PackageError:
    """Name the file as it sits in the zip."""
    if not folder:
        return error
    return PackageError(f"{folder}/{error.file}", error.line, error.message)


def version_key(version: str) -> tuple[int, ...]:
    """Return MAJOR.MINOR.PATCH as numbers, so 1.10.0 sorts after 1.9.0."""
    return tuple(int(part) for part in version.split("."))


def newest_version(slug: str) -> ModuleVersion | None:
    """Return the published version of a module with the highest number."""
    versions = db.session.execute(
        db.select(ModuleVersion).filter_by(slug=slug)
    ).scalars()
    return max(versions, key=lambda v: version_key(v.version), default=None)


def publish_draft(draft: ModuleDraft) -> tuple[ModuleVersion, bool]:
    """Publish a draft as the module's new current version; return it and if it is new.

    Enrolments stay pinned to the version they started on, so learners on an older
    version finish that one.
    """
    if draft.published_version_id is not None:
        raise PublishRefused("already_published", version=draft.version)
    newest = newest_version(draft.slug)
    if newest is not None and version_key(draft.version) < version_key(newest.version):
        raise PublishRefused("older", version=draft.version, newest=newest.version)
    files = {row.path: row.content for row in draft.files}
    try:
        version, created = publish(files)
    except VersionClash:
        db.session.rollback()
        raise PublishRefused("clash", version=draft.version) from None
    except PackageInvalid as invalid:  # the competence framework changed meanwhile
        db.session.rollback()
        raise PackageProblems(invalid.errors) from None
    # publish() commits the version itself; the draft only records where it went.
    draft.published_version_id = version.id
    draft.published_at = datetime.now(UTC)
    db.session.commit()
    log.info(
        "draft %s published as version %s (new: %s)", draft.id, version.id, created
    )
    return version, created


def discard_draft(draft: ModuleDraft) -> None:
    """Delete a draft; a version published from it stays."""
    draft_id = draft.id
    db.session.delete(draft)
    db.session.commit()
    log.info("draft %s discarded", draft_id)
