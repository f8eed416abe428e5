"""Read case activities: a scenario answered step by step, with feedback."""

from __future__ import annotations

from .document import Package, Table, check_unique_ids
from .model import Case, CaseOption, CaseStep


def parse_case(activity: Table, file: str, package: Package) -> Case | None:
    """Read and check a case file."""
    document = package.document(file)
    if document is None:
        return None
    root = document.root()
    root.check_keys(("scenario", "steps", "closing"))
    scenario = root.text("scenario") or {}
    steps = root.tables("steps", minimum=1, noun="step")
    check_unique_ids(steps, "step")
    closing = root.text("closing", required=False)
    return Case(scenario, tuple(_step(step) for step in steps), closing)


def _step(table: Table) -> CaseStep:
    """Read one step and its options; at least one option must be best."""
    table.check_keys(("id", "prompt", "options"))
    identifier = table.identifier() or ""
    prompt = table.text("prompt") or {}
    tables = table.tables("options", minimum=2, noun="option")
    check_unique_ids(tables, "option")
    options = tuple(_option(option) for option in tables)
    if options and not any(option.best for option in options):
        table.error(f"step '{identifier}' needs at least one option with best = true")
    return CaseStep(identifier, prompt, options)


def _option(table: Table) -> CaseOption:
    """Read one option of a step, with its required feedback."""
    table.check_keys(("id", "text", "feedback", "best"))
    return CaseOption(
        id=table.identifier() or "",
        text=table.text("text") or {},
        feedback=table.text("feedback") or {},
        best=table.boolean("best", False),
    )
