"""The educator's writes on cohorts: create, edit, and add or remove learners."""

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func

from lms.audit import audit
from lms.content import current_version
from lms.extensions import db
from lms.models import Cohort, CohortSession, User, UserRole
from lms.programmes import current_programme, programme_of

log = logging.getLogger(__name__)
#: Emails per "IN (...)" list, well under SQLite's bound-parameter limit.
_CHUNK = 1000


class CohortError(Exception):
    """A cohort change that is not allowed; ``code`` says which rule it breaks."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CohortDetails:
    """What the educator enters for a cohort."""

    name: str
    module_slug: str
    programme_slug: str | None
    starts_on: date
    ends_on: date


def check_details(details: CohortDetails) -> None:
    """Raise CohortError when the details break a rule."""
    if current_version(details.module_slug) is None:
        raise CohortError("unknown_module")
    if details.programme_slug is not None:
        programme = current_programme(details.programme_slug)
        if programme is None:
            raise CohortError("unknown_programme")
        if details.module_slug not in programme_of(programme).modules:
            raise CohortError("module_not_in_programme")
    if details.ends_on < details.starts_on:
        raise CohortError("ends_before_start")


def create_cohort(details: CohortDetails, creator: User) -> Cohort:
    """Create a cohort; whoever creates it becomes its educator."""
    check_details(details)
    cohort = Cohort(educators=[creator], members=[])
    _apply(cohort, details)
    db.session.add(cohort)
    db.session.commit()
    log.info("user %s created cohort %s", creator.id, cohort.id)
    return cohort


def edit_cohort(cohort: Cohort, details: CohortDetails, editor: User) -> None:
    """Change a cohort; its module and programme are fixed once it has sessions."""
    check_details(details)
    moved = (details.module_slug, details.programme_slug) != (
        cohort.module_slug,
        cohort.programme_slug,
    )
    if moved and _has_sessions(cohort):
        raise CohortError("has_sessions")
    _apply(cohort, details)
    db.session.commit()
    log.info("user %s edited cohort %s", editor.id, cohort.id)


def _apply(cohort: Cohort, details: CohortDetails) -> None:
    cohort.name = details.name
    cohort.module_slug = details.module_slug
    cohort.programme_slug = details.programme_slug
    cohort.starts_on = details.starts_on
    cohort.ends_on = details.ends_on


def _has_sessions(cohort: Cohort) -> bool:
    query = db.select(CohortSession.id).filter_by(cohort_id=cohort.id).limit(1)
    return db.session.execute(query).first() is not None


def addable_learners(user_ids: Iterable[int]) -> dict[int, User]:
    """Return the active learners among the ids, by id; other ids are left out."""
    ids = set(user_ids)
    if not ids:
        return {}
    query = (
        db.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.id.in_(ids), UserRole.role == "learner", User.active.is_(True))
    )
    return {user.id: user for user in db.session.execute(query).scalars()}


def add_members(cohort: Cohort, learners: Iterable[User], by: User) -> int:
    """Add learners to the cohort; return how many were not in it already."""
    present = {member.id for member in cohort.members}
    fresh = [learner for learner in learners if learner.id not in present]
    cohort.members.extend(fresh)
    for learner in fresh:
        audit("cohort.member_add", "user", learner.id, by, {"cohort_id": cohort.id})
    db.session.commit()
    log.info("user %s added %d learners to cohort %s", by.id, len(fresh), cohort.id)
    return len(fresh)


def remove_member(cohort: Cohort, learner: User, by: User) -> None:
    """Take a learner out of the cohort; their records stay."""
    cohort.members.remove(learner)
    audit("cohort.member_remove", "user", learner.id, by, {"cohort_id": cohort.id})
    db.session.commit()
    log.info("user %s removed user %s from cohort %s", by.id, learner.id, cohort.id)


@dataclass(frozen=True)
class LineError:
    """A bad line of a learner file: its number, the rule broken and the value."""

    line: int
    code: str  # "invalid", "unknown", "not_learner", "inactive", "empty_file"
    value: str


def parse_member_file(text: str) -> tuple[list[User], list[LineError]]:
    """Check a file of emails in full; return the learners, or every bad line."""
    entries = list(_emails(text.lstrip("\ufeff")))
    if not entries:
        return [], [LineError(1, "empty_file", "")]
    # Only well-formed addresses are looked up; _check_line reports the others.
    users = _users_by_email(
        {email.lower() for _line, email in entries if _well_formed(email)}
    )
    learners, errors, seen = [], [], set()
    for line, email in entries:
        error = _check_line(line, email, users)
        if error is not None:
            errors.append(error)
        elif email.lower() not in seen:
            seen.add(email.lower())
            learners.append(users[email.lower()])
    return ([] if errors else learners), errors


def _users_by_email(emails: set[str]) -> dict[str, User]:
    wanted, users = sorted(emails), {}
    for start in range(0, len(wanted), _CHUNK):
        query = db.select(User).where(
            func.lower(User.email).in_(wanted[start : start + _CHUNK])
        )
        users.update(
            (user.email.lower(), user) for user in db.session.execute(query).scalars()
        )
    return users


def _emails(text: str) -> Iterable[tuple[int, str]]:
    """Yield (line number, email) from a plain list or a CSV with an email column."""
    lines = text.splitlines()
    first = next(csv.reader(lines[:1]), []) if lines else []
    header = [cell.strip().lower() for cell in first]
    if "email" not in header:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line.strip()
        return
    column = header.index("email")
    reader = csv.reader(io.StringIO(text))
    next(reader)
    for row in reader:
        if any(cell.strip() for cell in row):
            yield reader.line_num, (row[column].strip() if column < len(row) else "")


def _well_formed(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _check_line(line: int, email: str, users: dict[str, User]) -> LineError | None:
    if not _well_formed(email):
        return LineError(line, "invalid", email)
    user = users.get(email.lower())
    if user is None:
        return LineError(line, "unknown", email)
    if not user.has_role("learner"):
        return LineError(line, "not_learner", email)
    if not user.active:
        return LineError(line, "inactive", email)
    return None
