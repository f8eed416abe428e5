"""Reads for the manager dashboard; they read rollups and projections, never the LRS."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lms.competence.profiles import competence_ids
from lms.competence.projection import FOREVER
from lms.competence.scope import Scope, UnitNode
from lms.extensions import db
from lms.models import (
    Assignment,
    AssignmentMember,
    ModuleVersion,
    ProgrammeVersion,
    StaffCompetence,
    UnitAssignmentRollup,
    User,
)

LISTS = ("overdue", "due_soon", "expiring", "never_started")
DUE_SOON_DAYS, EXPIRING_DAYS = 30, 90


@dataclass(frozen=True)
class Cell:
    """Staff whose profile requires a competence, and how many of them meet it."""

    required: int
    met: int

    @property
    def percent(self) -> int | None:
        """Return the share that meets it, as a whole percentage."""
        return None if not self.required else round(100 * self.met / self.required)

    @property
    def band(self) -> str:
        """Return the colour band: good, fair, poor, or none without staff."""
        if self.percent is None:
            return "none"
        return (
            "good" if self.percent >= 80 else "fair" if self.percent >= 50 else "poor"
        )


@dataclass(frozen=True)
class HeatRow:
    """One line of the heat map: a unit with everything below it."""

    unit: UnitNode
    #: Only the unit's own staff, not those of the units below.
    own: bool
    cells: dict[str, Cell]


def heat_map(
    scope: Scope, unit_id: int, now: datetime
) -> tuple[list[str], list[HeatRow]]:
    """Return the competences and a row per child unit, the unit's own staff, and all.

    Only competences some role profile in the unit requires are shown.
    """
    units = scope.below(unit_id)
    counts = _competence_counts(units, now)
    node = scope.nodes[unit_id]
    rows = [
        HeatRow(child, False, _sum(counts, scope.below(child.id)))
        for child in node.children
    ]
    if node.children:
        rows.append(HeatRow(node, True, _sum(counts, [unit_id])))
    rows.append(HeatRow(node, False, _sum(counts, units)))
    shown = {c for row in rows for c, cell in row.cells.items() if cell.required}
    return [c for c in competence_ids() if c in shown], rows


def _competence_counts(units: list[int], now: datetime) -> dict[int, dict[str, Cell]]:
    met = db.func.sum(db.case((StaffCompetence.met_until > now, 1), else_=0))
    query = (
        db.select(
            StaffCompetence.unit_id,
            StaffCompetence.competence_id,
            db.func.count(),
            met,
        )
        .where(StaffCompetence.unit_id.in_(units))
        .group_by(StaffCompetence.unit_id, StaffCompetence.competence_id)
    )
    found: dict[int, dict[str, Cell]] = defaultdict(dict)
    for unit, competence_id, required, met_count in db.session.execute(query):
        found[unit][competence_id] = Cell(required, int(met_count or 0))
    return found


def _sum(counts: dict[int, dict[str, Cell]], units: list[int]) -> dict[str, Cell]:
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for unit in units:
        for competence_id, cell in counts.get(unit, {}).items():
            total[competence_id][0] += cell.required
            total[competence_id][1] += cell.met
    return {c: Cell(required, met) for c, (required, met) in total.items()}


def overview(scope: Scope, now: datetime) -> tuple[list[str], list[HeatRow]]:
    """Return the heat map of every visible unit, one row each with its subtree."""
    counts = _competence_counts(sorted(scope.visible), now)
    rows = []
    for root in scope.roots:
        for unit_id in scope.below(root):
            rows.append(
                HeatRow(scope.nodes[unit_id], False, _sum(counts, scope.below(unit_id)))
            )
    shown = {c for row in rows for c, cell in row.cells.items() if cell.required}
    return [c for c in competence_ids() if c in shown], rows


# --- Assignments ----------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentSummary:
    """An assignment that covers staff in the unit, with their counts."""

    assignment: Assignment
    not_started: int
    in_progress: int
    completed: int

    @property
    def total(self) -> int:
        """Return how many people the assignment covers here."""
        return self.not_started + self.in_progress + self.completed


def assignment_summaries(units: list[int]) -> list[AssignmentSummary]:
    """Sum the assignment rollups over the units, for active assignments."""
    query = (
        db.select(
            Assignment,
            db.func.sum(UnitAssignmentRollup.not_started),
            db.func.sum(UnitAssignmentRollup.in_progress),
            db.func.sum(UnitAssignmentRollup.completed),
        )
        .join(UnitAssignmentRollup)
        .where(
            UnitAssignmentRollup.unit_id.in_(units),
            Assignment.withdrawn_at.is_(None),
        )
        .group_by(Assignment.id)
        .order_by(Assignment.due_on, Assignment.id)
    )
    return [
        AssignmentSummary(a, int(n), int(p), int(c))
        for a, n, p, c in db.session.execute(query)
    ]


def assignments_made_in(units: list[int]) -> list[Assignment]:
    """Return the assignments made on these units, newest first, withdrawn too."""
    query = (
        db.select(Assignment)
        .where(Assignment.unit_id.in_(units))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    )
    return list(db.session.execute(query).scalars())


def titles() -> dict[tuple[str, str], ModuleVersion | ProgrammeVersion]:
    """Return the current version of every module and programme by (kind, slug)."""
    found: dict = {}
    for version in db.session.execute(
        db.select(ModuleVersion).filter_by(is_current=True)
    ).scalars():
        found[("module", version.slug)] = version
    for version in db.session.execute(
        db.select(ProgrammeVersion).filter_by(is_current=True)
    ).scalars():
        found[("programme", version.slug)] = version
    return found


# --- Lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    """One person on one of the dashboard's lists."""

    user_id: int
    name: str
    unit_id: int
    job_role: str | None
    #: The assignment (for due lists) or None (for the expiry list).
    assignment: "AssignmentRef | None"
    #: The competence (for the expiry list) or None.
    competence_id: str | None
    status: str | None
    #: The due date, or the day the competence expires.
    when: date


@dataclass(frozen=True)
class AssignmentRef:
    """What a list row needs of its assignment."""

    id: int
    kind: str
    slug: str
    due_on: date


def _member_query(units: list[int], job_role: str | None):
    query = (
        db.select(
            AssignmentMember.user_id,
            AssignmentMember.status,
            Assignment.id,
            Assignment.kind,
            Assignment.slug,
            Assignment.due_on,
            User.name,
            User.primary_unit_id,
            User.job_role,
        )
        .join(Assignment, Assignment.id == AssignmentMember.assignment_id)
        .join(User, User.id == AssignmentMember.user_id)
        .where(
            # The member's unit (indexed) narrows; the person's unit authorizes.
            AssignmentMember.unit_id.in_(units),
            User.primary_unit_id.in_(units),
            User.active.is_(True),
            AssignmentMember.left_at.is_(None),
            Assignment.withdrawn_at.is_(None),
            AssignmentMember.status != "completed",
        )
        .order_by(Assignment.due_on, User.name, User.id, Assignment.id)
    )
    return query.where(User.job_role == job_role) if job_role else query


def _row(user_id, status, aid, kind, slug, due_on, name, unit, role) -> ListRow:
    return ListRow(
        user_id,
        name,
        unit,
        role,
        AssignmentRef(aid, kind, slug, due_on),
        None,
        status,
        due_on,
    )


def assignment_lists(
    units: list[int], today: date, job_role: str | None = None
) -> dict[str, list[ListRow]]:
    """Return the overdue, due-soon and never-started lists with one query."""
    found: dict[str, list[ListRow]] = {
        "overdue": [],
        "due_soon": [],
        "never_started": [],
    }
    soon = today + timedelta(days=DUE_SOON_DAYS)
    for found_row in db.session.execute(_member_query(units, job_role)):
        row = _row(*found_row)
        due_on, status = row.when, row.status
        if due_on < today:
            found["overdue"].append(row)
        elif due_on <= soon:
            found["due_soon"].append(row)
        if status == "not_started":
            found["never_started"].append(row)
    return found


def dashboard_lists(
    units: list[int],
    today: date,
    preview: int,
    summaries: list[AssignmentSummary] | None = None,
) -> tuple[dict[str, int], dict[str, list[ListRow]]]:
    """Return each list's length and its first rows.

    The due lists are counted from the assignment rollups, so only their first
    rows are read; the expiry list is short and read whole.
    """
    counts = dict.fromkeys(LISTS, 0)
    soon = today + timedelta(days=DUE_SOON_DAYS)
    if summaries is None:
        summaries = assignment_summaries(units)
    for summary in summaries:
        due = summary.assignment.due_on
        open_here = summary.not_started + summary.in_progress
        if due < today:
            counts["overdue"] += open_here
        elif due <= soon:
            counts["due_soon"] += open_here
        counts["never_started"] += summary.not_started
    rows = {
        name: list_rows(name, units, today, limit=preview) if counts[name] else []
        for name in LISTS
        if name != "expiring"
    }
    expiring = _expiring(units, today, None, None)
    counts["expiring"], rows["expiring"] = len(expiring), expiring[:preview]
    return counts, {name: rows[name] for name in LISTS}


def list_rows(
    name: str,
    units: list[int],
    today: date,
    job_role: str | None = None,
    limit: int | None = None,
) -> list[ListRow]:
    """Return one list for staff whose primary unit is among units."""
    if name == "expiring":
        return _expiring(units, today, job_role, limit)
    if name not in LISTS:
        raise KeyError(name)
    if limit is None:
        return assignment_lists(units, today, job_role)[name]
    query = _member_query(units, job_role).limit(limit)
    if name == "overdue":
        query = query.where(Assignment.due_on < today)
    elif name == "due_soon":
        query = query.where(
            Assignment.due_on >= today,
            Assignment.due_on <= today + timedelta(days=DUE_SOON_DAYS),
        )
    else:
        query = query.where(AssignmentMember.status == "not_started")
    return [_row(*row) for row in db.session.execute(query)]


def _expiring_filter(units: list[int], start: datetime) -> tuple:
    """Staff of these units whose competence runs out within EXPIRING_DAYS."""
    return (
        StaffCompetence.unit_id.in_(units),
        StaffCompetence.met_until >= start,
        StaffCompetence.met_until < start + timedelta(days=EXPIRING_DAYS + 1),
        StaffCompetence.user_id.in_(
            db.select(User.id).where(User.primary_unit_id.in_(units))
        ),
    )


def _expiring(units, today: date, job_role, limit) -> list[ListRow]:
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    query = (
        db.select(
            StaffCompetence.user_id,
            StaffCompetence.competence_id,
            StaffCompetence.met_until,
            User.name,
            User.primary_unit_id,
            User.job_role,
        )
        .join(User, User.id == StaffCompetence.user_id)
        .where(*_expiring_filter(units, start))
        .order_by(StaffCompetence.met_until, User.name, User.id)
    )
    if job_role:
        query = query.where(User.job_role == job_role)
    if limit:
        query = query.limit(limit)
    return [
        ListRow(user_id, name, unit, role, None, competence_id, None, until.date())
        for user_id, competence_id, until, name, unit, role in db.session.execute(query)
    ]


def list_counts(units: list[int], today: date) -> dict[str, int]:
    """Return how many rows each list has."""
    return dashboard_lists(units, today, preview=1)[0]


# --- Completion over time -------------------------------------------------------------


def completions_by_month(
    units: list[int], today: date, months: int = 12
) -> list[tuple[date, int, int]]:
    """Return (month, completed that month, completed so far) for assigned training."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    query = (
        db.select(AssignmentMember.completed_at)
        .join(Assignment)
        .join(User, User.id == AssignmentMember.user_id)
        .where(
            AssignmentMember.unit_id.in_(units),
            User.primary_unit_id.in_(units),
            AssignmentMember.completed_at.is_not(None),
            AssignmentMember.left_at.is_(None),
            Assignment.withdrawn_at.is_(None),
        )
    )
    per_month: dict[date, int] = defaultdict(int)
    before = 0
    for (completed_at,) in db.session.execute(query):
        key = date(completed_at.year, completed_at.month, 1)
        if key < firsts[0]:
            before += 1
        else:
            per_month[key] += 1
    result, running = [], before
    for first in firsts:
        running += per_month[first]
        result.append((first, per_month[first], running))
    return result


# --- People ---------------------------------------------------------------------------


def staff_of(units: list[int]) -> list[User]:
    """Return the active staff whose primary unit is among units, by name."""
    query = (
        db.select(User)
        .where(User.primary_unit_id.in_(units), User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return list(db.session.execute(query).scalars())


def is_forever(moment: datetime | None) -> bool:
    """Return whether a met-until time means "never expires"."""
    return moment is not None and moment >= FOREVER
