"""A person's page for their manager; no quiz answers and no reflections."""

from datetime import timedelta

from flask import render_template
from flask_login import login_required

from lms.competence import clock, person
from lms.competence.queries import EXPIRING_DAYS, titles
from lms.jobroles import job_role_name
from lms.manage import bp
from lms.manage.access import manager_scope, person_in_scope


@bp.get("/people/<int:user_id>")
@login_required
def person_page(user_id: int):
    """Show a person's competence against their profile, enrolments, certificates."""
    scope = manager_scope()
    found = person_in_scope(scope, user_id)
    now = clock.now()
    modules, programmes = person.enrolments_of(found)
    return render_template(
        "manage/person.html",
        scope=scope,
        person=found,
        lines=person.competence_lines(found, now, now + timedelta(days=EXPIRING_DAYS)),
        modules=modules,
        programmes=programmes,
        certificates=person.certificates_of(found),
        titles=titles(),
        job_role_name=job_role_name,
    )
