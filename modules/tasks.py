"""Read practice task activities: instructions, reflection prompts and rubric."""

from __future__ import annotations

from .document import Package, Table, check_unique_ids
from .model import Criterion, PracticeTask

RUBRIC_SIZE = (3, 5)


def parse_task(activity: Table, file: str, package: Package) -> PracticeTask | None:
    """Read and check a practice task file."""
    document = package.document(file)
    if document is None:
        return None
    root = document.root()
    root.check_keys(("instructions", "reflection_prompts", "min_words", "rubric"))
    instructions = root.text("instructions") or {}
    prompts = root.text_lists("reflection_prompts", required=False)
    min_words = root.integer("min_words", required=False, minimum=0) or 0
    return PracticeTask(instructions, prompts, min_words, _rubric(root))


def _rubric(root: Table) -> tuple[Criterion, ...]:
    """Read the rubric: 3 to 5 criteria with unique ids."""
    low, high = RUBRIC_SIZE
    tables = root.tables("rubric", minimum=low, noun="criteria")
    if len(tables) > high:
        root.error(
            f"'rubric' has {len(tables)} criteria; use {low} to {high}", "rubric"
        )
    check_unique_ids(tables, "criterion")
    return tuple(_criterion(table) for table in tables)


def _criterion(table: Table) -> Criterion:
    """Read one rubric criterion."""
    table.check_keys(("id", "title", "description", "max_score"))
    return Criterion(
        id=table.identifier() or "",
        title=table.text("title") or {},
        description=table.text("description") or {},
        max_score=table.integer("max_score") or 0,
    )
