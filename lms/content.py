"""Published module versions: publishing packages and reading them back."""

import logging
from functools import lru_cache
from pathlib import Path

from flask import current_app

from lms.extensions import db
from lms.models import ModuleFile, ModuleVersion, ProgrammeVersion
from modules import Framework, Module, load_framework, parse_package, read_package
from modules.catalog import load_catalog

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _framework_at(path: str) -> Framework:
    return load_framework(Path(path).read_bytes(), file="competences.toml")


def framework() -> Framework:
    """Return the competence framework shipped with the modules."""
    return _framework_at(
        str(Path(current_app.config["LMS_MODULES_PATH"]) / "competences.toml")
    )


@lru_cache(maxsize=256)
def _parsed(version_id: int, content_hash: str) -> Module:
    files = {
        row.path: row.content
        for row in db.session.execute(
            db.select(ModuleFile).filter_by(version_id=version_id)
        ).scalars()
    }
    return parse_package(files, framework())


def module_of(version: ModuleVersion) -> Module:
    """Return the parsed package of a published version (cached per version)."""
    return _parsed(version.id, version.content_hash)


def current_versions() -> list[ModuleVersion]:
    """Return the version new enrolments get, for every module."""
    query = (
        db.select(ModuleVersion).filter_by(is_current=True).order_by(ModuleVersion.slug)
    )
    return list(db.session.execute(query).scalars())


def current_version(slug: str) -> ModuleVersion | None:
    """Return the current version of one module."""
    query = db.select(ModuleVersion).filter_by(slug=slug, is_current=True)
    return db.session.execute(query).scalar_one_or_none()


def publish(files: dict[str, bytes], name: str = "") -> tuple[ModuleVersion, bool]:
    """Publish a package as a new version; return it and whether it is new."""
    module = parse_package(files, framework(), name=name)
    existing = db.session.execute(
        db.select(ModuleVersion).filter_by(slug=module.slug, version=module.version)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.content_hash != module.content_hash:
            raise VersionClash(module.slug, module.version)
        return existing, False
    for older in db.session.execute(
        db.select(ModuleVersion).filter_by(slug=module.slug, is_current=True)
    ).scalars():
        older.is_current = False
    version = ModuleVersion(
        slug=module.slug,
        version=module.version,
        content_hash=module.content_hash,
        title_da=module.title["da"],
        title_en=module.title["en"],
        is_current=True,
    )
    version.files = [ModuleFile(path=p, content=c) for p, c in sorted(files.items())]
    db.session.add(version)
    db.session.commit()
    log.info("published module %s version %s", module.slug, module.version)
    return version, True


def publish_shipped(root: Path) -> list[tuple[ModuleVersion | ProgrammeVersion, bool]]:
    """Publish every module package under root, then the programmes beside them."""
    from lms.programmes import publish_programmes  # programmes build on modules

    catalog = load_catalog(root)
    modules = [
        publish(read_package(root / slug), name=slug)
        for slug in sorted(catalog.modules)
    ]
    return modules + publish_programmes(catalog.programmes.values())


class VersionClash(Exception):
    """A package or programme changed without a new version number."""

    def __init__(self, slug: str, version: str, file: str = "module.toml") -> None:
        super().__init__(
            f"{slug} {version} is already published with other content; "
            f"raise the version in {file}"
        )
