"""Check and load programmes.toml: ordered modules and the sessions around them."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field

from .document import Document, Table, check_unique_ids, load_document, type_name
from .errors import PackageError, PackageInvalid
from .model import Text
from .package import SLUG, VERSION, sort_errors

PROGRAMMES_FILE = "programmes.toml"
PROGRAMME_KEYS = (
    "slug",
    "version",
    "title",
    "summary",
    "certificate_valid_months",
    "modules",
    "activities",
)
ACTIVITY_KEYS = ("id", "kind", "title", "required")
#: The kinds of session a programme holds itself; each is done when attended.
SESSION_KINDS = ("meeting", "webinar")


@dataclass(frozen=True)
class ProgrammeActivity:
    """A session of the programme itself: a meeting or a webinar."""

    id: str
    kind: str
    title: Text
    required: bool


@dataclass(frozen=True)
class Programme:
    """A version of a programme: its modules in order and its own sessions."""

    slug: str
    version: str
    title: Text
    summary: Text
    certificate_valid_months: int | None
    #: Module slugs, in the order a learner takes them.
    modules: tuple[str, ...]
    activities: tuple[ProgrammeActivity, ...]
    #: The programme's own [[programmes]] block of the file, as published.
    source: bytes = field(repr=False)
    #: sha256 of source; a changed programme needs a new version.
    content_hash: str

    def activity(self, activity_id: str) -> ProgrammeActivity | None:
        """Return the programme activity with this id, or None."""
        return next((a for a in self.activities if a.id == activity_id), None)

    @property
    def required_activities(self) -> tuple[ProgrammeActivity, ...]:
        """Return the sessions that must be attended to complete the programme."""
        return tuple(activity for activity in self.activities if activity.required)


def load_programmes(
    data: bytes,
    module_slugs: Collection[str] | None,
    *,
    file: str = PROGRAMMES_FILE,
) -> tuple[Programme, ...]:
    """Load programmes.toml; raise PackageInvalid with every error.

    module_slugs are the modules that exist; None skips that check, for a programme
    that was checked when it was published.
    """
    errors: list[PackageError] = []
    programmes = read_programmes(data, module_slugs, file, errors)
    if errors:
        raise PackageInvalid(sort_errors(errors))
    return programmes


def check_programmes(
    data: bytes,
    module_slugs: Collection[str] | None,
    *,
    file: str = PROGRAMMES_FILE,
) -> list[PackageError]:
    """Return every error in programmes.toml, sorted by line."""
    errors: list[PackageError] = []
    read_programmes(data, module_slugs, file, errors)
    return sort_errors(errors)


def read_programmes(
    data: bytes,
    module_slugs: Collection[str] | None,
    file: str,
    errors: list[PackageError],
) -> tuple[Programme, ...]:
    """Read as much of programmes.toml as is valid, adding errors to the list."""
    document = load_document(file, data, errors)
    if document is None:
        return ()
    root = document.root()
    root.check_keys(("programmes",))
    tables = root.tables("programmes", minimum=1, noun="programme")
    _check_unique_slugs(tables)
    text = data.decode("utf-8")
    sources = _sources(root, text, len(tables))
    return tuple(
        _programme(table, module_slugs, text, source)
        for table, source in zip(tables, sources, strict=False)
    )


def _check_unique_slugs(tables: list[Table]) -> None:
    """Report every programme whose slug repeats an earlier one."""
    seen: set[str] = set()
    for table in tables:
        slug = table.data.get("slug")
        if not isinstance(slug, str):
            continue
        if slug in seen:
            table.error(f"duplicate programme slug '{slug}'", "slug")
        seen.add(slug)


def _sources(root: Table, text: str, count: int) -> list[bytes]:
    """Cut the file into one [[programmes]] block per programme.

    Each block is a TOML document of its own, so a published version keeps exactly
    the text of its programme and another programme's edit does not touch it.
    """
    starts = [
        root.document.index.get(("programmes", number)) for number in range(count)
    ]
    if not starts:
        return []
    if None in starts:
        root.error(
            "write each programme under its own [[programmes]] header", "programmes"
        )
        return [text.encode("utf-8")] * count
    lines = text.splitlines(keepends=True)
    ends = [start - 1 for start in starts[1:]] + [len(lines)]
    return [
        "".join(_trimmed(lines[start - 1 : end])).encode("utf-8")
        for start, end in zip(starts, ends, strict=True)
    ]


def _trimmed(lines: list[str]) -> list[str]:
    """Drop trailing blank and comment lines, which introduce the next block."""
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines = lines[:-1]
    if lines and not lines[-1].endswith("\n"):
        lines = [*lines[:-1], lines[-1] + "\n"]
    return lines


def _programme(
    table: Table, module_slugs: Collection[str] | None, text: str, source: bytes
) -> Programme:
    """Read one programme."""
    table.check_keys(PROGRAMME_KEYS)
    activities = table.tables("activities", noun="activity")
    check_unique_ids(activities, "activity")
    return Programme(
        slug=_slug(table),
        version=_version(table),
        title=table.text("title") or {},
        summary=table.text("summary") or {},
        certificate_valid_months=table.integer(
            "certificate_valid_months", required=False
        ),
        modules=_modules(table, module_slugs, text),
        activities=tuple(_activity(activity) for activity in activities),
        source=source,
        content_hash=hashlib.sha256(source).hexdigest(),
    )


def _slug(table: Table) -> str:
    """Read the programme's slug: lowercase letters, digits and hyphens."""
    slug = table.string("slug")
    if slug is not None and not SLUG.fullmatch(slug):
        table.error(
            f"slug {slug!r} must use lowercase letters, digits and hyphens", "slug"
        )
    return slug or ""


def _version(table: Table) -> str:
    """Read the version, MAJOR.MINOR.PATCH."""
    version = table.string("version")
    if version is not None and not VERSION.fullmatch(version):
        table.error(
            f"version {version!r} must be MAJOR.MINOR.PATCH, such as 1.0.0", "version"
        )
    return version or ""


def _modules(
    table: Table, module_slugs: Collection[str] | None, text: str
) -> tuple[str, ...]:
    """Read the module slugs in order; each must exist, and only once."""
    items = table.value("modules", list)
    if items is None:
        return ()
    if not items:
        table.error("'modules' needs at least 1 module slug, has 0", "modules")
    finder = _ItemLines(table.document, text, (*table.path, "modules"))
    slugs: list[str] = []
    for item in items:
        if type(item) is not str or not SLUG.fullmatch(item):
            shown = repr(item) if isinstance(item, str) else type_name(item)
            finder.report(
                item,
                "each entry of 'modules' must be a module slug such as "
                f'"video-consultations", not {shown}',
            )
        elif item in slugs:
            finder.report(item, f"module '{item}' is listed twice in 'modules'")
        elif module_slugs is not None and item not in module_slugs:
            finder.report(
                item,
                f"unknown module '{item}' (no folder '{item}' with a module.toml "
                "beside programmes.toml)",
            )
        else:
            finder.found(item)
            slugs.append(item)
    return tuple(slugs)


class _ItemLines:
    """Find the line of each string in a list, which tomllib does not report.

    The list may span lines; items are looked for in order after the key, so a slug
    listed twice points at its second place.
    """

    def __init__(self, document: Document, text: str, path: tuple) -> None:
        self.document = document
        self.text = text
        self.line = document.line(path) or 1
        self.cursor = _offset_of_line(text, self.line)

    def found(self, item: object) -> int:
        """Return the line of the next occurrence of item, moving past it."""
        if not isinstance(item, str):
            return self.line
        for quote in ('"', "'"):
            position = self.text.find(f"{quote}{item}{quote}", self.cursor)
            if position >= 0:
                self.cursor = position + len(item) + 2
                return self.text.count("\n", 0, position) + 1
        return self.line

    def report(self, item: object, message: str) -> None:
        """Record an error at the line of item."""
        line = self.found(item)
        self.document.errors.append(PackageError(self.document.file, line, message))


def _offset_of_line(text: str, line: int) -> int:
    """Return the offset where a 1-based line starts."""
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _activity(table: Table) -> ProgrammeActivity:
    """Read one session of the programme: a meeting or a webinar."""
    table.check_keys(ACTIVITY_KEYS)
    kind = table.string("kind")
    if kind is not None and kind not in SESSION_KINDS:
        table.error(
            f"unknown programme activity kind '{kind}' "
            f"(expected one of: {', '.join(SESSION_KINDS)})",
            "kind",
        )
    return ProgrammeActivity(
        id=table.identifier() or "",
        kind=kind or "",
        title=table.text("title") or {},
        required=table.boolean("required", True),
    )
