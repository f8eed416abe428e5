"""The audit log for admins: search it, page through it, export it. Read-only."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import audit_queries
from lms.admin.audit_forms import AuditSearchForm
from lms.audit import audit_now
from lms.auth.permissions import role_required
from lms.models import AuditRecord
from lms.storage import attachment

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")

#: Spreadsheets run cells that start with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: What each recorded action means, for people; unknown actions show their code.
ACTIONS = {
    "user.create": _l("User created"),
    "role_profile.update": _l("Role profile changed"),
    "lrs_client.create": _l("LRS client created"),
    "lrs_client.scopes": _l("LRS client scopes changed"),
    "lrs_client.activate": _l("LRS client reactivated"),
    "lrs_client.deactivate": _l("LRS client deactivated"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.export": _l("Certificate downloaded"),
    "signing_key.rotate": _l("Signing key rotated"),
    "assignment.create": _l("Training assigned"),
    "assignment.withdraw": _l("Assignment withdrawn"),
    "cohort.member_add": _l("Added to a cohort"),
    "cohort.member_remove": _l("Removed from a cohort"),
    "export.unit_list": _l("Staff list exported"),
    "export.cohort_overview": _l("Cohort overview exported"),
    "audit.export": _l("Audit log exported"),
    "user.lock": _l("Account locked after failed sign-ins"),
    "user.unlock": _l("Account unlocked"),
    "user.password_change": _l("Password changed"),
    "user.password_reset_request": _l("Password reset requested"),
    "user.password_reset": _l("Password reset"),
    "user.totp_enable": _l("Two-step verification turned on"),
    "user.totp_disable": _l("Two-step verification turned off"),
    "sso.user_created": _l("Account created by single sign-on"),
    "sso.identity_linked": _l("Account linked to single sign-on"),
    "sso.email_changed": _l("E-mail changed by single sign-on"),
    "sso.unit_changed": _l("Unit changed by single sign-on"),
    "sso.unit_unknown": _l("Single sign-on named an unknown unit"),
    "sso.refused": _l("Single sign-on refused"),
    "privacy.export": _l("Personal data downloaded"),
    "privacy.erase": _l("Person erased"),
    "privacy.purge_files": _l("Files deleted after the retention period"),
    "forwarding_endpoint.create": _l("Forwarding endpoint added"),
    "forwarding_endpoint.update": _l("Forwarding endpoint changed"),
    "forwarding_endpoint.activate": _l("Forwarding endpoint reactivated"),
    "forwarding_endpoint.deactivate": _l("Forwarding endpoint deactivated"),
    "forwarding_endpoint.delete": _l("Forwarding endpoint deleted"),
    "forwarding_endpoint.retry": _l("Forwarding retried now"),
    "forwarding_endpoint.requeue": _l("Statements set aside queued again"),
    "forwarding_endpoint.test": _l("Forwarding endpoint tested"),
    "forwarding_endpoint.backfill": _l("Earlier statements queued for forwarding"),
}
#: What each kind of target is, for people.
TARGET_TYPES = {
    "user": _l("User"),
    "role_profile": _l("Role profile"),
    "lrs_client": _l("LRS client"),
    "certificate": _l("Certificate"),
    "signing_key": _l("Signing key"),
    "assignment": _l("Assignment"),
    "unit": _l("Unit"),
    "cohort": _l("Cohort"),
    "audit_log": _l("Audit log"),
    "forwarding_endpoint": _l("Forwarding endpoint"),
}


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every audit page is for admins only."""


def _form() -> AuditSearchForm:
    form = AuditSearchForm(formdata=request.args)
    form.validate()
    return form


def _page_cursor(name: str) -> int | None:
    return request.args.get(name, type=int)


@bp.get("/")
def index():
    """Search the audit log, newest first, a page at a time."""
    form = _form()
    if form.errors:
        return _page(form, audit_queries.Page([], None, None)), 400
    page = audit_queries.search(
        form.audit_filter(),
        before=_page_cursor("before"),
        after=_page_cursor("after"),
    )
    return _page(form, page)


def _page(form: AuditSearchForm, page: audit_queries.Page) -> str:
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        actors=audit_queries.actors_of(page.records),
        actor_of=audit_queries.actor_of,
        actions=ACTIONS,
        target_types=TARGET_TYPES,
        filters=form.query_args(),
    )


@bp.get("/export.csv")
def export():
    """Download every record matching the search as CSV; the export is audited."""
    form = _form()
    if form.errors:
        return _page(form, audit_queries.Page([], None, None)), 400
    wanted = form.audit_filter()
    audit_now("audit.export", "audit_log", "*", current_user, wanted.as_detail())
    stamp = format_datetime(datetime.now(UTC), "yyyy-MM-dd-HHmm")
    return Response(
        stream_with_context(_csv_lines(wanted)),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": attachment(f"audit-log-{stamp}.csv"),
            "Cache-Control": "private, no-store",
        },
    )


def _csv_lines(wanted: audit_queries.AuditFilter) -> Iterator[str]:
    """Yield the CSV a few lines at a time: a header, then one record a line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Record id"),
            _("Time (UTC)"),
            _("Time (local)"),
            _("Actor id"),
            _("Actor name"),
            _("Actor email"),
            _("Action"),
            _("Target type"),
            _("Target id"),
            _("Remote address"),
            _("Detail"),
        ]
    )
    yield "\ufeff" + _drain(out)
    batch: list[AuditRecord] = []
    for record in audit_queries.matching(wanted):
        batch.append(record)
        if len(batch) == 200:
            yield _rows(writer, out, batch)
            batch = []
    if batch:
        yield _rows(writer, out, batch)


def _rows(writer, out: io.StringIO, records: list[AuditRecord]) -> str:
    actors = audit_queries.actors_of(records)
    for record in records:
        actor = audit_queries.actor_of(record, actors)
        writer.writerow(
            _cell(value)
            for value in (
                record.id,
                record.at.astimezone(UTC).isoformat(),
                format_datetime(record.at, "yyyy-MM-dd HH:mm:ss zzz"),
                record.actor_id if record.actor_id is not None else "",
                actor.name if actor else _deleted_or_system(record),
                actor.email if actor else "",
                record.action,
                record.target_type,
                record.target_id,
                record.remote_addr or "",
                json.dumps(record.detail, ensure_ascii=False, sort_keys=True),
            )
        )
    return _drain(out)


def _deleted_or_system(record: AuditRecord) -> str:
    return _("Deleted user") if record.actor_id is not None else _("System")


def _drain(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _cell(value: object) -> str:
    """Keep a spreadsheet from reading a value as a formula."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
