"""Importing users from CSV: the whole file is checked before anything is written."""

import csv
import io
import logging
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from lms.audit import audit
from lms.auth import passwords
from lms.extensions import db
from lms.jobroles import JOB_ROLES
from lms.models import ROLES, Organisation, Unit, User
from lms.operations.accounts import check_policy

log = logging.getLogger(__name__)

COLUMNS = ("email", "name", "roles", "organisation", "unit", "job_role", "password")
REQUIRED = ("email", "name", "roles", "organisation", "unit")


@dataclass(frozen=True)
class RowError:
    """A problem in one line of the file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class UserRow:
    """A checked row, ready to import."""

    email: str
    name: str
    roles: frozenset[str]
    unit_id: int
    job_role: str | None
    password: str | None


def parse_csv(text: str) -> tuple[list[UserRow], list[RowError]]:
    """Check every row of a user CSV; return the good rows and every error."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    if missing or unknown:
        detail = ", ".join(
            [f"missing {c}" for c in missing] + [f"unknown {c}" for c in unknown]
        )
        return [], [RowError(1, "header", detail)]
    units = _units()
    taken = set(db.session.execute(db.select(User.email)).scalars())
    rows, errors = [], []
    for record in reader:
        line = reader.line_num
        values = {k.strip(): (v or "").strip() for k, v in record.items() if k}
        row, row_errors = _check_row(line, values, units, taken)
        errors.extend(row_errors)
        if row is not None:
            taken.add(row.email)
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(2, "file", "the file has no users"))
    return rows, errors


def _units() -> dict[tuple[str, str], int]:
    query = db.select(Organisation.name, Unit.code, Unit.id).join(Unit.organisation)
    return {
        (org.casefold(), code.casefold()): uid
        for org, code, uid in db.session.execute(query)
    }


def _check_row(line, values, units, taken):
    errors = []

    def fail(field: str, message: str) -> None:
        errors.append(RowError(line, field, message))

    for field, value in values.items():
        if "\x00" in value:  # no database column takes it
            fail(field, "contains a NUL character")

    try:
        email = validate_email(values.get("email", ""), check_deliverability=False)
        email = email.normalized.lower()
    except EmailNotValidError:
        email = ""
        fail("email", "not a valid email address")
    if email and email in taken:
        fail("email", "already exists")
    name = values.get("name", "")
    if not name:
        fail("name", "is empty")
    roles = frozenset(
        r.strip() for r in values.get("roles", "").split(";") if r.strip()
    )
    if not roles or not roles <= set(ROLES):
        fail("roles", f"use one or more of {', '.join(ROLES)} separated by ';'")
    unit_id = units.get(
        (values.get("organisation", "").casefold(), values.get("unit", "").casefold())
    )
    if unit_id is None:
        fail("unit", "no such unit code in that organisation")
    job_role = values.get("job_role") or None
    if job_role is not None and job_role not in JOB_ROLES:
        fail("job_role", f"use one of {', '.join(JOB_ROLES)}")
    if job_role is None and "learner" in roles:
        fail("job_role", "is required for a learner")
    password = values.get("password") or None
    if password is not None:
        for message in _password_problems(password, email):
            fail("password", message)
    if errors:
        return None, errors
    return UserRow(email, name, roles, unit_id, job_role, password), []


def _password_problems(password: str, email: str) -> list[str]:
    config = current_app.config
    lengths = config["LMS_PASSWORD_MIN_LENGTH"], config["LMS_PASSWORD_MAX_LENGTH"]
    return [passwords.english(code, *lengths) for code in check_policy(password, email)]


def import_rows(rows: list[UserRow], admin: User | None = None) -> int:
    """Create the users of checked rows in one transaction; each one is audited."""
    created = []
    for row in rows:
        user = User(
            email=row.email,
            name=row.name,
            primary_unit_id=row.unit_id,
            job_role=row.job_role,
        )
        user.set_roles(row.roles)
        # Without a password the account waits for a reset link.
        user.set_password(row.password or secrets.token_urlsafe(32))
        db.session.add(user)
        created.append(user)
    db.session.flush()
    for user in created:
        detail = {
            "roles": sorted(user.roles),
            "unit_id": user.primary_unit_id,
            "job_role": user.job_role,
            "via": "csv_import",
        }
        audit("user.create", "user", user.id, admin, detail)
    db.session.commit()
    log.info("imported %d users", len(rows))
    return len(rows)
