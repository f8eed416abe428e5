"""The manager's dashboard: the overview, one unit, and the full lists."""

from datetime import timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_login import login_required

from lms.competence import clock
from lms.competence import queries as q
from lms.jobroles import JOB_ROLES
from lms.manage import bp
from lms.manage.access import manager_scope, unit_in_scope

PREVIEW = 10


def job_role_filter() -> str | None:
    """Return the job role filter of the request; 400 for an unknown one."""
    job_role = request.args.get("job_role") or None
    if job_role is not None and job_role not in JOB_ROLES:
        abort(400)
    return job_role


@bp.get("/")
@login_required
def index():
    """Show every visible unit's heat map row, or go straight to the one unit led."""
    scope = manager_scope()
    if len(scope.roots) == 1 and not scope.nodes[scope.roots[0]].children:
        return redirect(url_for("manage.unit", unit_id=scope.roots[0]))
    competences, rows = q.overview(scope, clock.now())
    return render_template(
        "manage/index.html", scope=scope, competences=competences, rows=rows
    )


@bp.get("/units/<int:unit_id>")
@login_required
def unit(unit_id: int):
    """Show one unit: tree, heat map, completion chart, lists and assignments."""
    scope = manager_scope()
    found = unit_in_scope(scope, unit_id)
    units, today = scope.below(unit_id), clock.today()
    competences, rows = q.heat_map(scope, unit_id, clock.now())
    summaries = q.assignment_summaries(units)
    counts, lists = q.dashboard_lists(units, today, PREVIEW, summaries)
    return render_template(
        "manage/unit.html",
        scope=scope,
        unit=found,
        node=scope.nodes[unit_id],
        competences=competences,
        rows=rows,
        lists=lists,
        counts=counts,
        summaries=summaries,
        completions=q.completions_by_month(units, today),
        titles=q.titles(),
        today=today,
    )


@bp.get("/units/<int:unit_id>/lists/<name>")
@login_required
def full_list(unit_id: int, name: str):
    """Show one whole list, optionally for one job role."""
    scope = manager_scope()
    found = unit_in_scope(scope, unit_id)
    if name not in q.LISTS:
        abort(404)
    job_role = job_role_filter()
    rows = q.list_rows(name, scope.below(unit_id), clock.today(), job_role)
    return render_template(
        "manage/list.html",
        scope=scope,
        unit=found,
        name=name,
        rows=rows,
        job_role=job_role,
        titles=q.titles(),
        job_roles=JOB_ROLES,
        soon=clock.now() + timedelta(days=q.EXPIRING_DAYS),
    )
