"""Rebuilding the progress projection from the stored statements."""

import logging

from lms.content import module_of
from lms.extensions import db
from lms.models import Enrolment
from lms.progress import EnrolmentState, apply
from lms.records import load_state, owned_by, store_state
from lms.statements import base_url
from xapi.store import iter_statements

log = logging.getLogger(__name__)


def rebuilt_states() -> dict[int, EnrolmentState]:
    """Fold every stored statement into fresh projections, per enrolment id."""
    enrolments = {e.uuid: e for e in db.session.execute(db.select(Enrolment)).scalars()}
    states = {e.id: EnrolmentState() for e in enrolments.values()}
    base = base_url()
    for statement in iter_statements(db.session.connection()):
        enrolment = enrolments.get(statement.get("context", {}).get("registration"))
        if enrolment is not None and owned_by(statement, enrolment, base):
            apply(
                module_of(enrolment.module_version),
                states[enrolment.id],
                statement,
                base,
            )
    return states


def differences(states: dict[int, EnrolmentState]) -> list[str]:
    """Describe where the live projection differs from a rebuilt one."""
    found = []
    for enrolment_id, rebuilt in sorted(states.items()):
        live = load_state(db.session.get(Enrolment, enrolment_id))
        if live != rebuilt:
            found.append(f"enrolment {enrolment_id}: live {live} != rebuilt {rebuilt}")
    return found


def rebuild(*, check: bool) -> list[str]:
    """Rebuild the projection; with check, only report the differences."""
    states = rebuilt_states()
    found = differences(states)
    if not check and found:
        for enrolment_id, state in states.items():
            store_state(db.session.get(Enrolment, enrolment_id), state)
        db.session.commit()
        log.info("rebuilt progress of %d enrolments", len(found))
    return found
