"""Permission checks of the manager pages, on the server for every request."""

from flask import abort
from flask_login import current_user

from lms.competence.scope import Scope, scope_of
from lms.extensions import db
from lms.models import Unit, User


def manager_scope() -> Scope:
    """Return the signed-in manager's scope; 403 for anyone else."""
    if not current_user.has_role("manager", "admin"):
        abort(403)
    return scope_of(current_user)


def unit_in_scope(scope: Scope, unit_id: int) -> Unit:
    """Return the unit if it lies inside the manager's units; 404 or 403 otherwise."""
    unit = db.get_or_404(Unit, unit_id)
    if not scope.allows(unit.id):
        abort(403)
    return unit


def person_in_scope(scope: Scope, user_id: int) -> User:
    """Return a person whose primary unit lies inside the manager's units, else 403."""
    person = db.get_or_404(User, user_id)
    if not scope.allows(person.primary_unit_id):
        abort(403)
    return person
