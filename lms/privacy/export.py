"""The person's data as one JSON document, or as a zip of CSV files.

Both are built in memory: one person's record is small (a learner with every
module done has a few thousand statements, well under a few megabytes).
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from flask_babel import force_locale
from flask_babel import gettext as _

#: Cells a spreadsheet would run as a formula get a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(document: dict[str, Any]) -> bytes:
    """Return the export as indented UTF-8 JSON."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Write one table as UTF-8 CSV with a byte-order mark, for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _records(records: list[dict[str, Any]], columns: Sequence[str]) -> bytes:
    return _csv(columns, ([record.get(c) for c in columns] for record in records))


def _profile(document: dict) -> bytes:
    rows = [("xapi_account_home_page", document["profile"]["xapi_account"]["homePage"])]
    rows.append(("xapi_account_name", document["profile"]["xapi_account"]["name"]))
    rows += [
        (key, value)
        for key, value in document["profile"].items()
        if key != "xapi_account"
    ]
    return _csv(("field", "value"), rows)


def _roles_and_units(document: dict) -> bytes:
    rows = [("role", role, "", "") for role in document["roles"]]
    profile = document["profile"]
    if profile["unit"]:
        rows.append(("primary_unit", profile["unit"], profile["organisation"], ""))
    rows += [
        ("managed_unit", unit["unit"], unit["organisation"], "")
        for unit in document["managed_units"]
    ]
    rows += [
        (f"cohort_{cohort['as']}", cohort["cohort"], cohort["module"], "")
        for cohort in document["cohorts"]
    ]
    return _csv(("kind", "name", "organisation_or_module", "note"), rows)


def _activities(document: dict) -> bytes:
    rows = [
        (enrolment["registration"], enrolment["module"], activity["activity"])
        + (activity["status"], activity["updated_at"], activity["detail"])
        for enrolment in document["enrolments"]
        for activity in enrolment["activities"]
    ]
    columns = ("registration", "module", "activity", "status", "updated_at", "detail")
    return _csv(columns, rows)


def _submissions(document: dict) -> bytes:
    columns = (
        "id",
        "module",
        "activity",
        "version",
        "submitted_at",
        "text",
        "status",
        "feedback",
        "scores",
        "reviewed_at",
        "file_name",
        "file_size",
        "file_deleted_at",
        "file_deleted_reason",
    )
    rows = []
    for submission in document["submissions"]:
        attached = submission["file"] or {}
        rows.append(
            [submission[c] for c in columns[:10]]
            + [
                attached.get("name"),
                attached.get("size"),
                attached.get("deleted_at"),
                attached.get("deleted_reason"),
            ]
        )
    return _csv(columns, rows)


def _statements(document: dict) -> bytes:
    rows = []
    for entry in document["statements"]:
        statement = entry["statement"]
        obj = statement.get("object", {})
        rows.append(
            (
                statement.get("id"),
                statement.get("stored"),
                statement.get("timestamp"),
                statement.get("verb", {}).get("id"),
                obj.get("id"),
                entry["voided"],
                statement,
            )
        )
    columns = ("id", "stored", "timestamp", "verb", "object", "voided", "statement")
    return _csv(columns, rows)


def _documents(document: dict) -> bytes:
    columns = ("kind", "activity", "registration", "id", "content_type", "updated")
    rows = []
    for entry in document["documents"]:
        content = entry.get("json", entry.get("text", entry.get("base64")))
        encoding = next(k for k in ("json", "text", "base64") if k in entry)
        rows.append([entry[c] for c in columns] + [encoding, content])
    return _csv(columns + ("encoding", "content"), rows)


def _readme(document: dict, locale: str) -> bytes:
    with force_locale(locale):
        lines = [
            _("Your personal data from the learning platform"),
            _("Exported at %(time)s (UTC).", time=document["exported_at"]),
            "",
            _(
                "Each CSV file is one table. Dates and times are ISO 8601 in UTC. "
                "Cells that hold structured data (statements, documents, details) "
                "are JSON. A cell that would start with =, +, - or @ begins with an "
                "apostrophe, so a spreadsheet does not run it as a formula."
            ),
            _(
                "Your learning record (xAPI statements) names you only by the "
                "account in profile.csv, never by your name or e-mail."
            ),
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


_TABLES = {
    "enrolments.csv": (
        "enrolments",
        (
            "registration",
            "module",
            "version",
            "title",
            "enrolled_at",
            "progress_percent",
            "completed_at",
        ),
    ),
    "programme_enrolments.csv": (
        "programme_enrolments",
        (
            "registration",
            "programme",
            "version",
            "enrolled_at",
            "progress_percent",
            "completed_at",
            "detail",
        ),
    ),
    "quiz_attempts.csv": (
        "quiz_attempts",
        (
            "module",
            "activity",
            "number",
            "started_at",
            "finished_at",
            "responses",
            "score_scaled",
            "passed",
        ),
    ),
    "attendance.csv": (
        "attendance",
        ("cohort", "session", "kind", "starts_at", "status", "recorded_at"),
    ),
    "certificates.csv": (
        "certificates",
        (
            "code",
            "holder_name",
            "achievement",
            "slug",
            "version",
            "title",
            "issued_at",
            "expires_at",
            "revoked_at",
            "status",
            "competences",
        ),
    ),
    "assignments.csv": (
        "assignments",
        ("kind", "slug", "due_on", "status", "completed_at", "added_at", "left_at"),
    ),
    "competences.csv": (
        "competences",
        ("competence", "required_level", "met_until"),
    ),
    "mails.csv": ("mails", ("subject", "body", "created_at", "sent_at")),
}


def to_zip(document: dict[str, Any], locale: str) -> bytes:
    """Return the export as a zip of CSV files, with a short README."""
    files = {
        "README.txt": _readme(document, locale),
        "profile.csv": _profile(document),
        "roles_and_units.csv": _roles_and_units(document),
        "activity_progress.csv": _activities(document),
        "submissions.csv": _submissions(document),
        "statements.csv": _statements(document),
        "documents.csv": _documents(document),
    }
    for name, (section, columns) in _TABLES.items():
        files[name] = _records(document[section], columns)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return buffer.getvalue()
