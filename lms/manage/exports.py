"""CSV and XLSX exports of the lists and the heat map; parameters checked again here."""

from flask import Response, abort
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.audit import audit_now
from lms.competence import clock
from lms.competence import queries as q
from lms.competence.exports import ExportTable, to_csv, to_xlsx
from lms.competence.scope import path_of
from lms.i18n import current_locale, localized
from lms.jobroles import job_role_name
from lms.manage import bp
from lms.manage.access import manager_scope, unit_in_scope
from lms.manage.dashboard import job_role_filter
from lms.storage import attachment

FORMATS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        to_xlsx,
    ),
}


def list_names() -> dict[str, str]:
    """Return the display name of each export."""
    return {
        "overdue": _("Overdue"),
        "due_soon": _("Due within 30 days"),
        "expiring": _("Expiring within 90 days"),
        "never_started": _("Never started"),
        "heatmap": _("Competence heat map"),
    }


@bp.get("/units/<int:unit_id>/export/<name>.<fmt>")
@login_required
def export(unit_id: int, name: str, fmt: str):
    """Export one list or the heat map of a unit the manager leads."""
    scope = manager_scope()
    unit = unit_in_scope(scope, unit_id)
    if name not in list_names() or fmt not in FORMATS:
        abort(404)
    job_role = job_role_filter()
    header = [
        (_("Exported at"), format_datetime(clock.now(), "yyyy-MM-dd HH:mm zzz")),
        (_("Exported by"), str(current_user.id)),
        (_("Unit"), f"{unit.path} ({_('with the units below')})"),
        (_("List"), list_names()[name]),
        (_("Job role"), job_role_name(job_role, current_locale()) or _("All")),
    ]
    if name == "heatmap":
        table = _heat_map_table(scope, unit_id, header)
    else:
        table = _list_table(scope, name, scope.below(unit_id), job_role, header)
    mimetype, write = FORMATS[fmt]
    filename = f"{name}-unit-{unit_id}-{clock.today().isoformat()}.{fmt}"
    body = write(table)
    detail = {
        "list": name,
        "format": fmt,
        "job_role": job_role,
        "rows": len(table.rows),
    }
    audit_now("export.unit_list", "unit", unit_id, current_user, detail)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": attachment(filename)}
    )


def _list_table(scope, name, units, job_role, header) -> ExportTable:
    locale, names = current_locale(), q.titles()
    competence_names = _competence_names()
    rows = []
    for row in q.list_rows(name, units, clock.today(), job_role):
        if row.assignment is not None:
            version = names.get((row.assignment.kind, row.assignment.slug))
            what = version.title(locale) if version else row.assignment.slug
        else:
            what = competence_names.get(row.competence_id, row.competence_id)
        rows.append(
            [
                row.user_id,
                row.name,
                _unit_path(scope, row.unit_id),
                job_role_name(row.job_role, locale),
                what,
                row.when,
                row.status or "",
            ]
        )
    columns = [
        _("Person id"),
        _("Name"),
        _("Unit"),
        _("Job role"),
        _("Training or competence"),
        _("Due or expiry date"),
        _("Status"),
    ]
    return ExportTable(list_names()[name], header, columns, rows)


def _unit_path(scope, unit_id: int) -> str:
    return " / ".join(node.name for node in path_of(scope.nodes, unit_id))


def _competence_names() -> dict[str, str]:
    from lms.content import framework

    return {
        c.id: localized(c.name) for area in framework().areas for c in area.competences
    }


def _heat_map_table(scope, unit_id, header) -> ExportTable:
    competences, rows = q.heat_map(scope, unit_id, clock.now())
    names = _competence_names()
    columns = [_("Unit")]
    for competence_id in competences:
        label = names.get(competence_id, competence_id)
        columns += [f"{label}: {_('met')}", f"{label}: {_('required')}", f"{label}: %"]
    table_rows = []
    for row in rows:
        label = scope.nodes[row.unit.id].name
        if row.own:
            label = _("%(unit)s, own staff", unit=label)
        elif row.unit.id == unit_id:
            label = _("%(unit)s, all", unit=label)
        cells = [label]
        for competence_id in competences:
            cell = row.cells.get(competence_id, q.Cell(0, 0))
            percent = "" if cell.percent is None else cell.percent
            cells += [cell.met, cell.required, percent]
        table_rows.append(cells)
    return ExportTable(list_names()["heatmap"], header, columns, table_rows)
