"""Reads for the module authoring pages: drafts, their packages and versions.

A draft is seen by the author who uploaded it and by admins, no one else.
"""

from functools import lru_cache

from sqlalchemy import func

from lms.content import framework
from lms.extensions import db
from lms.models import Enrolment, ModuleDraft, ModuleDraftFile, ModuleVersion, User
from modules import Module, parse_package


def drafts_for(user: User) -> list[ModuleDraft]:
    """Return the user's drafts (every draft for an admin), newest first."""
    query = db.select(ModuleDraft).order_by(
        ModuleDraft.created_at.desc(), ModuleDraft.id.desc()
    )
    if not user.has_role("admin"):
        query = query.filter_by(uploader_id=user.id)
    return list(db.session.execute(query).scalars())


def draft_for(user: User, uuid: str) -> ModuleDraft | None:
    """Return a draft by its public id if the user uploaded it or is an admin."""
    draft = db.session.execute(
        db.select(ModuleDraft).filter_by(uuid=uuid)
    ).scalar_one_or_none()
    if draft is None:
        return None
    if user.has_role("admin") or draft.uploader_id == user.id:
        return draft
    return None


def draft_files(draft: ModuleDraft) -> dict[str, bytes]:
    """Return the files of a draft package by path."""
    rows = db.session.execute(
        db.select(ModuleDraftFile).filter_by(draft_id=draft.id)
    ).scalars()
    return {row.path: row.content for row in rows}


def draft_file(draft: ModuleDraft, path: str) -> bytes | None:
    """Return one file of a draft package, or None."""
    row = db.session.get(ModuleDraftFile, (draft.id, path))
    return None if row is None else row.content


@lru_cache(maxsize=32)
def _parsed(draft_id: int, content_hash: str) -> Module:
    draft = db.session.get(ModuleDraft, draft_id)
    return parse_package(draft_files(draft), framework())


def draft_module(draft: ModuleDraft) -> Module:
    """Return the parsed package of a draft (cached per draft and content)."""
    return _parsed(draft.id, draft.content_hash)


def versions_of(slug: str) -> list[ModuleVersion]:
    """Return the published versions of a module, newest first."""
    query = (
        db.select(ModuleVersion)
        .filter_by(slug=slug)
        .order_by(ModuleVersion.published_at.desc(), ModuleVersion.id.desc())
    )
    return list(db.session.execute(query).scalars())


def enrolment_counts(slug: str) -> dict[int, int]:
    """Return how many enrolments each published version of a module has."""
    query = (
        db.select(Enrolment.module_version_id, func.count())
        .join(ModuleVersion, ModuleVersion.id == Enrolment.module_version_id)
        .where(ModuleVersion.slug == slug)
        .group_by(Enrolment.module_version_id)
    )
    return dict(db.session.execute(query).all())
