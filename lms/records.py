"""The xAPI record of learning events, written in the same transaction as the event."""

from lms.content import module_of
from lms.extensions import db
from lms.models import ActivityProgress, Enrolment
from lms.progress import ActivityState, EnrolmentState, apply
from lms.statements import base_url, module_completed
from xapi.store import save_statements


def authority() -> dict:
    """Return the authority stamped on the LMS's own statements."""
    return {"objectType": "Agent", "account": {"homePage": base_url(), "name": "lms"}}


def load_state(enrolment: Enrolment) -> EnrolmentState:
    """Read an enrolment's projection from its rows."""
    return EnrolmentState(
        activities={
            row.activity_id: ActivityState(row.status, dict(row.detail), row.updated_at)
            for row in enrolment.progress
        },
        last_activity_id=enrolment.last_activity_id,
        completed_at=enrolment.completed_at,
        progress_percent=enrolment.progress_percent,
    )


def store_state(enrolment: Enrolment, state: EnrolmentState) -> None:
    """Write an enrolment's projection back to its rows."""
    rows = {row.activity_id: row for row in enrolment.progress}
    for activity_id, activity in state.activities.items():
        row = rows.get(activity_id)
        if row is None:
            row = ActivityProgress(activity_id=activity_id)
            enrolment.progress.append(row)
        row.status, row.detail, row.updated_at = (
            activity.status,
            activity.detail,
            activity.updated_at,
        )
    for activity_id, row in rows.items():
        if activity_id not in state.activities:
            enrolment.progress.remove(row)
    enrolment.last_activity_id = state.last_activity_id
    enrolment.completed_at = state.completed_at
    enrolment.progress_percent = state.progress_percent


def owned_by(statement: dict, enrolment: Enrolment, base: str) -> bool:
    """Return whether the statement is about this enrolment's learner."""
    account = statement.get("actor", {}).get("account") or {}
    registration = statement.get("context", {}).get("registration")
    return (
        registration == enrolment.uuid
        and account.get("homePage") == base
        and account.get("name") == enrolment.user.uuid
    )


def project(enrolment: Enrolment, statements: list[dict]) -> bool:
    """Apply statements to the enrolment's projection; return if it just completed."""
    module, base = module_of(enrolment.module_version), base_url()
    state = load_state(enrolment)
    was_complete = state.completed_at is not None
    changed = False
    for statement in statements:
        if owned_by(statement, enrolment, base):
            changed |= apply(module, state, statement, base)
    if changed:
        store_state(enrolment, state)
    return not was_complete and state.completed_at is not None


def record(enrolment: Enrolment, statements: list[dict]) -> None:
    """Store statements and update the projection; the caller commits."""
    connection = db.session.connection()
    save_statements(connection, statements, authority())
    if project(enrolment, statements):
        save_statements(connection, [module_completed(enrolment)], authority())
