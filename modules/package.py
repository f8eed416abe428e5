"""Check and load one module package: module.toml and the files it names."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from .document import Package, Table, check_unique_ids
from .errors import PackageError, PackageInvalid
from .kinds import ACTIVITY_KINDS, ActivityKind
from .model import Activity, CompetenceLevel, Framework, Module

MODULE_FILE = "module.toml"
MODULE_KEYS = (
    "slug",
    "version",
    "estimated_minutes",
    "title",
    "summary",
    "certificate_valid_months",
    "objectives",
    "competences",
    "activities",
    "recertification",
)
ACTIVITY_KEYS = ("id", "kind", "title", "minutes", "required", "done_when")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
VERSION = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")


def check_package(
    files: Mapping[str, bytes], framework: Framework, *, name: str = ""
) -> list[PackageError]:
    """Return every error in a package, sorted by file and line."""
    errors: list[PackageError] = []
    read_module(files, framework, name, errors)
    return sort_errors(errors)


def parse_package(
    files: Mapping[str, bytes], framework: Framework, *, name: str = ""
) -> Module:
    """Load a package into a Module; raise PackageInvalid with every error."""
    errors: list[PackageError] = []
    module = read_module(files, framework, name, errors)
    if errors or module is None:
        raise PackageInvalid(sort_errors(errors))
    return module


def sort_errors(errors: list[PackageError]) -> list[PackageError]:
    """Order errors by file, then line, keeping the order within a line."""
    return sorted(errors, key=lambda error: (error.file, error.line or 0))


def content_hash(files: Mapping[str, bytes]) -> str:
    """Return a sha256 hex digest over the sorted paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode("utf-8") + b"\0")
        digest.update(len(files[path]).to_bytes(8, "big") + files[path])
    return digest.hexdigest()


def read_module(
    files: Mapping[str, bytes],
    framework: Framework | None,
    name: str,
    errors: list[PackageError],
) -> Module | None:
    """Read module.toml and the files it names, adding errors to the list."""
    package = Package(files, name, errors)
    if not package.has(MODULE_FILE):
        package.report(MODULE_FILE, None, "module.toml not found in the package")
        return None
    document = package.document(MODULE_FILE)
    if document is None:
        return None
    root = document.root()
    root.check_keys(MODULE_KEYS)
    activities = _activities(root, package)
    return Module(
        slug=_slug(root, name),
        version=_version(root),
        title=root.text("title") or {},
        summary=root.text("summary") or {},
        objectives=root.text_lists("objectives"),
        estimated_minutes=root.integer("estimated_minutes") or 0,
        certificate_valid_months=root.integer(
            "certificate_valid_months", required=False
        ),
        competences=_competences(root, framework),
        activities=activities,
        content_hash=content_hash(files),
        recertification=_recertification(root, activities),
    )


def _slug(root: Table, name: str) -> str:
    """Read the slug, which must be well-formed and equal the folder name."""
    slug = root.string("slug")
    if slug is None:
        return ""
    if not SLUG.fullmatch(slug):
        root.error(
            f"slug {slug!r} must use lowercase letters, digits and hyphens", "slug"
        )
    elif name and slug != name:
        root.error(f"slug {slug!r} must equal the folder name {name!r}", "slug")
    return slug


def _version(root: Table) -> str:
    """Read the version, MAJOR.MINOR.PATCH."""
    version = root.string("version")
    if version is not None and not VERSION.fullmatch(version):
        root.error(
            f"version {version!r} must be MAJOR.MINOR.PATCH, such as 1.0.0", "version"
        )
    return version or ""


def _competences(
    root: Table, framework: Framework | None
) -> tuple[CompetenceLevel, ...]:
    """Read the competences the module attests, checked against the framework."""
    tables = root.tables("competences", noun="competence")
    check_unique_ids(tables, "competence")
    return tuple(_competence(table, framework) for table in tables)


def _competence(table: Table, framework: Framework | None) -> CompetenceLevel:
    """Read one competence and level; both must exist in the framework."""
    table.check_keys(("id", "level"))
    competence_id = table.string("id")
    level = table.value("level", int)
    if framework and competence_id and not framework.competence(competence_id):
        table.error(
            f"unknown competence '{competence_id}' (see competences.toml)", "id"
        )
    if framework and level is not None and not framework.level(level):
        values = ", ".join(str(item.value) for item in framework.levels)
        table.error(
            f"level {level} is not a level of the framework ({values})", "level"
        )
    return CompetenceLevel(competence_id or "", level or 0)


def _activities(root: Table, package: Package) -> tuple[Activity, ...]:
    """Read the activities; ids are unique and at least one is required."""
    tables = root.tables("activities", minimum=1, noun="activity")
    check_unique_ids(tables, "activity")
    activities = tuple(_activity(table, package) for table in tables)
    if activities and not any(activity.required for activity in activities):
        root.error("at least one activity must be required", "activities")
    return activities


def _activity(table: Table, package: Package) -> Activity:
    """Read one activity and the content of its file."""
    kind_name = table.string("kind")
    kind = ACTIVITY_KINDS.get(kind_name or "")
    if kind_name and kind is None:
        known = ", ".join(ACTIVITY_KINDS)
        table.error(
            f"unknown activity kind '{kind_name}' (expected one of: {known})", "kind"
        )
    table.check_keys(_allowed_keys(kind))
    return Activity(
        id=table.identifier() or "",
        kind=kind_name or "",
        title=table.text("title") or {},
        required=table.boolean("required", True),
        done_when=_done_when(table, kind),
        minutes=table.integer("minutes", required=False),
        content=_content(table, kind, package),
    )


def _allowed_keys(kind: ActivityKind | None) -> tuple[str, ...]:
    """Return the keys an activity of this kind may have."""
    if kind is None:
        return (
            ACTIVITY_KEYS
            + ("file",)
            + tuple(key for spec in ACTIVITY_KINDS.values() for key in spec.extra_keys)
        )
    return ACTIVITY_KEYS + (("file",) if kind.needs_file else ()) + kind.extra_keys


def _done_when(table: Table, kind: ActivityKind | None) -> str:
    """Read done_when, which must be allowed for the kind; default per kind."""
    done_when = table.string("done_when", required=False)
    if kind is None:
        return done_when or ""
    if done_when is None:
        return kind.default_done_when
    if done_when not in kind.done_when:
        allowed = ", ".join(kind.done_when)
        kind_name = table.data["kind"]
        table.error(
            f"done_when '{done_when}' is not allowed for a {kind_name} ({allowed})",
            "done_when",
        )
    return done_when


def _content(table: Table, kind: ActivityKind | None, package: Package) -> object:
    """Check that the activity's files exist, then read them."""
    if kind is None or kind.parse is None:
        return None
    file = table.string("file")
    if file is None:
        return None
    missing = [path for path in kind.paths(file) if not package.has(path)]
    for path in missing:
        table.error(
            f"file '{path}' not found in the package (write it as {kind.example})",
            "file",
        )
    return None if missing else kind.parse(table, file, package)


def _recertification(root: Table, activities: tuple[Activity, ...]) -> tuple[str, ...]:
    """Read the shorter path that renews a certificate: ids of listed activities."""
    table = root.table("recertification", required=False)
    if table is None:
        return ()
    table.check_keys(("activities",))
    ids = table.value("activities", list)
    if ids is None:
        return ()
    known = {activity.id for activity in activities}
    if not ids:
        table.error("'activities' must name at least one activity", "activities")
    found: list[str] = []
    for item in ids:
        if type(item) is not str:
            table.error("'activities' must be a list of activity ids", "activities")
        elif item not in known:
            table.error(f"unknown activity '{item}' in recertification", "activities")
        elif item in found:
            table.error(f"activity '{item}' is listed twice", "activities")
        else:
            found.append(item)
    return tuple(found)
