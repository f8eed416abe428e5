"""Rebuilding the progress projection from the stored statements."""

import logging
from collections import defaultdict

from lms import programme_records
from lms.competence import projection as competence_rollups
from lms.content import module_of
from lms.extensions import db
from lms.models import Enrolment, ProgrammeEnrolment
from lms.programme_progress import (
    ProgrammeState,
    apply_module_completed,
    apply_programme_statement,
    completed_module,
)
from lms.programmes import programme_of
from lms.progress import EnrolmentState, apply, timestamp_of
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


def rebuilt_programme_states() -> dict[int, ProgrammeState]:
    """Fold every stored statement into fresh programme projections, per id.

    A programme enrolment counts its own statements, and the module `completed`
    statements of its learner's enrolments on any module.
    """
    enrolments = list(db.session.execute(db.select(ProgrammeEnrolment)).scalars())
    states = {enrolment.id: ProgrammeState() for enrolment in enrolments}
    own = {enrolment.uuid: enrolment for enrolment in enrolments}
    by_user: dict[int, list[ProgrammeEnrolment]] = defaultdict(list)
    for enrolment in enrolments:
        by_user[enrolment.user_id].append(enrolment)
    modules = {
        e.uuid: e
        for e in db.session.execute(db.select(Enrolment)).scalars()
        if e.user_id in by_user
    }
    base = base_url()
    for statement in iter_statements(db.session.connection()):
        registration = statement.get("context", {}).get("registration")
        if registration in own and owned_by(statement, own[registration], base):
            enrolment = own[registration]
            programme = programme_of(enrolment.programme_version)
            apply_programme_statement(programme, states[enrolment.id], statement, base)
        elif registration in modules and owned_by(
            statement, modules[registration], base
        ):
            slug = modules[registration].module_version.slug
            if completed_module(statement, base) != slug:
                continue
            for enrolment in by_user[modules[registration].user_id]:
                programme = programme_of(enrolment.programme_version)
                when = timestamp_of(statement)
                apply_module_completed(programme, states[enrolment.id], slug, when)
    return states


def programme_differences(states: dict[int, ProgrammeState]) -> list[str]:
    """Describe where live programme progress differs from a rebuilt one."""
    found = []
    for enrolment_id, rebuilt in sorted(states.items()):
        live = programme_records.load_state(
            db.session.get(ProgrammeEnrolment, enrolment_id)
        )
        if live != rebuilt:
            found.append(
                f"programme enrolment {enrolment_id}: live {live} != rebuilt {rebuilt}"
            )
    return found


def rebuild(*, check: bool) -> list[str]:
    """Rebuild the projections; with check, only report the differences."""
    states = rebuilt_states()
    programme_states = rebuilt_programme_states()
    found = differences(states) + programme_differences(programme_states)
    if not check and found:
        for enrolment_id, state in states.items():
            store_state(db.session.get(Enrolment, enrolment_id), state)
        for enrolment_id, programme_state in programme_states.items():
            programme_records.store_state(
                db.session.get(ProgrammeEnrolment, enrolment_id), programme_state
            )
        db.session.commit()
        log.info("rebuilt progress of %d enrolments", len(found))
    # The manager dashboard's rollups rest on the projections rebuilt above.
    found += competence_rollups.rebuild(check=check)
    return found
