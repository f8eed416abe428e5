"""Read the competence framework: levels, areas and their competences."""

from __future__ import annotations

import re

from .document import Table, check_unique_ids, load_document
from .errors import PackageError, PackageInvalid
from .model import Area, Competence, Framework, Level

COMPETENCE_ID = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")


def load_framework(data: bytes, *, file: str = "competences.toml") -> Framework:
    """Load and check competences.toml; raise PackageInvalid with every error."""
    errors: list[PackageError] = []
    framework = read_framework(data, file, errors)
    if errors or framework is None:
        raise PackageInvalid(errors)
    return framework


def read_framework(
    data: bytes, file: str, errors: list[PackageError]
) -> Framework | None:
    """Read as much of the framework as is valid, adding errors to the list."""
    document = load_document(file, data, errors)
    if document is None:
        return None
    root = document.root()
    root.check_keys(("levels", "areas"))
    levels = root.tables("levels", minimum=1, noun="level")
    _check_unique_values(levels)
    areas = root.tables("areas", minimum=1, noun="area")
    check_unique_ids(areas, "area")
    competences = [
        (area, area.tables("competences", minimum=1, noun="competence"))
        for area in areas
    ]
    check_unique_ids(
        [table for _, tables in competences for table in tables], "competence"
    )
    return Framework(
        levels=tuple(_level(table) for table in levels),
        areas=tuple(_area(area, tables) for area, tables in competences),
    )


def _check_unique_values(levels: list[Table]) -> None:
    """Report a level whose value repeats an earlier one."""
    seen: set[int] = set()
    for level in levels:
        value = level.data.get("value")
        if value in seen:
            level.error(f"duplicate level value {value}", "value")
        if isinstance(value, int):
            seen.add(value)


def _level(table: Table) -> Level:
    """Read one level."""
    table.check_keys(("value", "name", "description"))
    return Level(
        value=table.integer("value") or 0,
        name=table.text("name") or {},
        description=table.text("description") or {},
    )


def _area(table: Table, competences: list[Table]) -> Area:
    """Read one area and its competences."""
    table.check_keys(("id", "name", "competences"))
    area_id = table.identifier() or ""
    return Area(
        id=area_id,
        name=table.text("name") or {},
        competences=tuple(_competence(item, area_id) for item in competences),
    )


def _competence(table: Table, area_id: str) -> Competence:
    """Read one competence; its id may contain dots, as in use.video."""
    table.check_keys(("id", "name"))
    competence_id = table.string("id") or ""
    if competence_id and not COMPETENCE_ID.fullmatch(competence_id):
        table.error(
            f"competence id {competence_id!r} must use lowercase letters, digits, "
            "dots and hyphens",
            "id",
        )
    return Competence(competence_id, table.text("name") or {}, area_id)
