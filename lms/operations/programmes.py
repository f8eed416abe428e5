"""Writes on programmes: enrol a learner, and record attendance at its sessions.

Progress follows by itself (lms.programme_records): enrolling and attendance fold the
programme enrolment again, and so do module completions, through lms.records.
"""

import logging

from sqlalchemy.exc import IntegrityError

from lms import programme_statements as statements
from lms.extensions import db
from lms.models import ProgrammeEnrolment, ProgrammeVersion, User
from lms.operations import learning
from lms.programme_records import refold_programme, save
from lms.programmes import current_programme, find_programme_enrolment, programme_of
from lms.records import owned_by
from lms.statements import base_url
from modules import Programme, ProgrammeActivity
from xapi import builders as b
from xapi.store import StatementQuery, query_statements
from xapi.vocabulary import VERBS

log = logging.getLogger(__name__)


class ProgrammeError(Exception):
    """A programme action that is not allowed; ``code`` says which rule it breaks."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def enrol_programme(user: User, slug: str) -> ProgrammeEnrolment:
    """Enrol the user on the current version of a programme and on its modules.

    Safe to repeat: an existing enrolment is kept, and a module enrolment missing
    after an interruption is made.
    """
    version = current_programme(slug)
    if version is None:
        raise ProgrammeError("unknown_programme")
    enrolment = find_programme_enrolment(user, slug) or _new_enrolment(user, version)
    # Each module enrolment commits on its own and, being made after the programme
    # enrolment, its statements already carry the programme as grouping.
    for module_slug in programme_of(enrolment.programme_version).modules:
        try:
            learning.enrol(user, module_slug)
        except learning.LearningError:
            log.warning("programme %s lists unpublished module %s", slug, module_slug)
    return enrolment


def _new_enrolment(user: User, version: ProgrammeVersion) -> ProgrammeEnrolment:
    enrolment = ProgrammeEnrolment(user=user, programme_version=version, detail={})
    db.session.add(enrolment)
    try:
        db.session.flush()
    except IntegrityError:  # a double click raced us
        db.session.rollback()
        return find_programme_enrolment(user, version.slug)
    programme = programme_of(version)
    save([statements.registered(enrolment, programme)])
    # Modules completed before the programme count for it too.
    refold_programme(enrolment)
    db.session.commit()
    log.info(
        "user %s enrolled as %s on programme %s", user.id, enrolment.id, version.slug
    )
    return enrolment


def record_programme_attendance(
    user: User,
    programme_slug: str,
    activity_id: str,
    educator: User,
    attended: bool,
) -> bool:
    """Record whether a learner attended a programme session; return if it changed.

    Attended writes an `attended` statement with the educator as instructor, once.
    Not attended (absent, excused) voids the `attended` statements in force, so a
    correction takes effect. The caller checks that the educator may record this,
    and commits, so a whole attendance list is one transaction.
    """
    enrolment = find_programme_enrolment(user, programme_slug)
    if enrolment is None:
        raise ProgrammeError("not_enrolled")
    programme = programme_of(enrolment.programme_version)
    activity = programme.activity(activity_id)
    if activity is None:
        raise ProgrammeError("unknown_activity")
    in_force = _attended_statements(enrolment, programme, activity)
    if attended == bool(in_force):
        return False
    teacher = b.actor(base_url(), educator.uuid)
    if attended:
        save([statements.attended(enrolment, programme, activity, educator)])
    else:
        save([statements.voided(enrolment, item["id"], teacher) for item in in_force])
    refold_programme(enrolment, voided_by=teacher)
    log.info(
        "user %s recorded programme enrolment %s %s: %s",
        educator.id,
        enrolment.id,
        activity.id,
        "attended" if attended else "not attended",
    )
    return True


def _attended_statements(
    enrolment: ProgrammeEnrolment, programme: Programme, activity: ProgrammeActivity
) -> list[dict]:
    query = StatementQuery(
        registration=enrolment.uuid,
        verb_id=VERBS["attended"].id,
        activity_id=statements.session_iri(programme, activity),
    )
    found, _cursor = query_statements(db.session.connection(), query)
    # The query also matches statements that refer to these, such as voidings.
    return [
        item
        for item in found
        if item["verb"]["id"] == VERBS["attended"].id
        and owned_by(item, enrolment, base_url())
    ]
