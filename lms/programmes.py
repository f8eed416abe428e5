"""Published programme versions: publishing them and reading them back."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from lms.content import VersionClash, current_version
from lms.extensions import db
from lms.models import (
    Enrolment,
    ModuleVersion,
    ProgrammeEnrolment,
    ProgrammeVersion,
    User,
)
from lms.operations.learning import find_enrolment
from modules import Programme, ProgrammeActivity, load_programmes
from modules.programmes import PROGRAMMES_FILE

log = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _parsed(version_id: int, content_hash: str, source: bytes) -> Programme:
    # Module slugs were checked when the version was published.
    (programme,) = load_programmes(source, None, file=PROGRAMMES_FILE)
    return programme


def programme_of(version: ProgrammeVersion) -> Programme:
    """Return the parsed programme of a published version (cached per version)."""
    return _parsed(version.id, version.content_hash, version.source)


def current_programmes() -> list[ProgrammeVersion]:
    """Return the version new enrolments get, for every programme."""
    query = (
        db.select(ProgrammeVersion)
        .filter_by(is_current=True)
        .order_by(ProgrammeVersion.slug)
    )
    return list(db.session.execute(query).scalars())


def current_programme(slug: str) -> ProgrammeVersion | None:
    """Return the current version of one programme."""
    query = db.select(ProgrammeVersion).filter_by(slug=slug, is_current=True)
    return db.session.execute(query).scalar_one_or_none()


def publish_programme(programme: Programme) -> tuple[ProgrammeVersion, bool]:
    """Publish a programme as a new version; return it and whether it is new.

    The caller commits, so a folder of modules and programmes is published whole.
    """
    existing = db.session.execute(
        db.select(ProgrammeVersion).filter_by(
            slug=programme.slug, version=programme.version
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.content_hash != programme.content_hash:
            raise VersionClash(programme.slug, programme.version, PROGRAMMES_FILE)
        return existing, False
    for older in db.session.execute(
        db.select(ProgrammeVersion).filter_by(slug=programme.slug, is_current=True)
    ).scalars():
        older.is_current = False
    version = ProgrammeVersion(
        slug=programme.slug,
        version=programme.version,
        source=programme.source,
        content_hash=programme.content_hash,
        title_da=programme.title["da"],
        title_en=programme.title["en"],
        is_current=True,
    )
    db.session.add(version)
    db.session.flush()
    log.info("published programme %s version %s", programme.slug, programme.version)
    return version, True


def publish_programmes(
    programmes: Iterable[Programme],
) -> list[tuple[ProgrammeVersion, bool]]:
    """Publish every programme of a checked catalog, in one commit."""
    published = [
        publish_programme(programme)
        for programme in sorted(programmes, key=lambda p: p.slug)
    ]
    db.session.commit()
    return published


def find_programme_enrolment(user: User, slug: str) -> ProgrammeEnrolment | None:
    """Return the user's enrolment on any version of a programme, newest first."""
    query = (
        db.select(ProgrammeEnrolment)
        .join(ProgrammeVersion)
        .where(ProgrammeEnrolment.user_id == user.id, ProgrammeVersion.slug == slug)
        .order_by(ProgrammeEnrolment.enrolled_at.desc())
    )
    return db.session.execute(query).scalars().first()


def programme_enrolments_of(user_id: int) -> list[ProgrammeEnrolment]:
    """Return a user's programme enrolments, oldest first."""
    query = (
        db.select(ProgrammeEnrolment)
        .filter_by(user_id=user_id)
        .order_by(ProgrammeEnrolment.enrolled_at, ProgrammeEnrolment.id)
    )
    return list(db.session.execute(query).scalars())


def programmes_with_module(user_id: int, slug: str) -> list[ProgrammeEnrolment]:
    """Return the user's programme enrolments whose programme lists a module."""
    return [
        enrolment
        for enrolment in programme_enrolments_of(user_id)
        if slug in programme_of(enrolment.programme_version).modules
    ]


def programme_slug_for(enrolment: Enrolment) -> str | None:
    """Return the programme a module enrolment is taken in, if any (the oldest)."""
    found = programmes_with_module(enrolment.user_id, enrolment.module_version.slug)
    return found[0].programme_version.slug if found else None


@dataclass(frozen=True)
class ModuleRow:
    """A module of the programme with the learner's progress on it."""

    slug: str
    version: ModuleVersion | None
    enrolment: Enrolment | None

    @property
    def percent(self) -> int:
        """Return the learner's progress on the module, 0 when not enrolled."""
        return self.enrolment.progress_percent if self.enrolment else 0

    @property
    def completed(self) -> bool:
        """Return whether the learner has completed the module."""
        return self.enrolment is not None and self.enrolment.completed_at is not None


@dataclass(frozen=True)
class SessionRow:
    """A meeting or webinar of the programme and when the learner attended it."""

    activity: ProgrammeActivity
    attended_at: datetime | None


@dataclass(frozen=True)
class Overview:
    """Everything the programme page shows to one learner."""

    version: ProgrammeVersion
    programme: Programme
    enrolment: ProgrammeEnrolment | None
    modules: list[ModuleRow]
    sessions: list[SessionRow]


def overview(user: User, slug: str) -> Overview | None:
    """Return the programme page of one learner, or None for an unknown programme."""
    enrolment = find_programme_enrolment(user, slug)
    version = enrolment.programme_version if enrolment else current_programme(slug)
    if version is None:
        return None
    programme = programme_of(version)
    modules = []
    for module_slug in programme.modules:
        module_enrolment = find_enrolment(user, module_slug)
        module_version = (
            module_enrolment.module_version
            if module_enrolment
            else current_version(module_slug)
        )
        modules.append(ModuleRow(module_slug, module_version, module_enrolment))
    attended = (enrolment.detail or {}).get("attended", {}) if enrolment else {}
    sessions = [
        SessionRow(
            activity,
            datetime.fromisoformat(attended[activity.id])
            if activity.id in attended
            else None,
        )
        for activity in programme.activities
    ]
    return Overview(version, programme, enrolment, modules, sessions)


def catalogue(user: User) -> list[tuple[ProgrammeVersion, ProgrammeEnrolment | None]]:
    """Return every programme open for enrolment with the user's enrolment on it."""
    return [
        (version, find_programme_enrolment(user, version.slug))
        for version in current_programmes()
    ]
