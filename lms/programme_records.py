"""Live programme progress: folded again from the stored statements when they change.

A programme enrolment's progress (lms.programme_progress) is folded again whenever a
statement it rests on is stored or voided: a module's `completed` statement, or an
`attended` statement on a programme session. When the fold newly meets the completion
rule, a `completed` statement for the programme is written; when a voided statement
takes completion away, that one is voided too. The callers commit.
"""

import logging
from collections.abc import Iterable
from dataclasses import replace

from lms import programme_statements as statements
from lms.extensions import db
from lms.models import Enrolment, ModuleVersion, ProgrammeEnrolment
from lms.operations.certificates import issue_for_programme, withdraw_unearned
from lms.programme_progress import (
    ProgrammeState,
    apply_module_completed,
    apply_programme_statement,
    completed_module,
)
from lms.programmes import programme_of, programmes_with_module
from lms.progress import timestamp_of
from lms.records import authority, owned_by, store
from lms.statements import base_url
from modules import Programme
from xapi import builders as b
from xapi.store import (
    StatementQuery,
    get_statement,
    iter_statements,
    query_statements,
)
from xapi.vocabulary import VERBS, VOIDED

log = logging.getLogger(__name__)


def refold_programme(
    enrolment: ProgrammeEnrolment, *, voided_by: dict | None = None
) -> None:
    """Fold a programme enrolment again, writing or voiding its completion.

    The caller commits. voided_by is the actor of a voiding this causes; by default
    the learner, as when a module completion they rested on was voided elsewhere.
    """
    programme = programme_of(enrolment.programme_version)
    was_complete = enrolment.completed_at is not None
    state = folded_state(enrolment, programme)
    store_state(enrolment, state)
    if state.completed_at is not None and not was_complete:
        save([statements.completed(enrolment, programme)])
        issue_for_programme(enrolment)
        log.info("programme enrolment %s completed", enrolment.id)
    elif was_complete and state.completed_at is None:
        actor = voided_by or b.actor(base_url(), enrolment.user.uuid)
        query = StatementQuery(
            registration=enrolment.uuid,
            verb_id=VERBS["completed"].id,
            activity_id=statements.programme_iri(programme),
        )
        found, _cursor = query_statements(db.session.connection(), query)
        # The query also matches statements that refer to these, such as voidings.
        done = [s for s in found if s["verb"]["id"] == VERBS["completed"].id]
        save([statements.voided(enrolment, item["id"], actor) for item in done])
        withdraw_unearned(enrolment)
        log.info("programme enrolment %s no longer complete", enrolment.id)


def folded_state(enrolment: ProgrammeEnrolment, programme: Programme) -> ProgrammeState:
    """Fold the stored statements that count for one programme enrolment."""
    state, base = ProgrammeState(), base_url()
    connection = db.session.connection()
    for statement in iter_statements(connection, registration=enrolment.uuid):
        if owned_by(statement, enrolment, base):
            apply_programme_statement(programme, state, statement, base)
    for module_enrolment in module_enrolments(enrolment.user_id, programme.modules):
        slug = module_enrolment.module_version.slug
        query = StatementQuery(
            registration=module_enrolment.uuid, verb_id=VERBS["completed"].id
        )
        for statement in _all(query):
            if owned_by(statement, module_enrolment, base) and (
                completed_module(statement, base) == slug
            ):
                apply_module_completed(programme, state, slug, timestamp_of(statement))
    return state


def _all(query: StatementQuery) -> Iterable[dict]:
    """Yield every statement a query matches, page by page."""
    connection = db.session.connection()
    while True:
        page, cursor = query_statements(connection, query)
        yield from page
        if cursor is None:
            return
        query = replace(query, after_seq=cursor)


def module_enrolments(user_id: int, slugs: Iterable[str]) -> list[Enrolment]:
    """Return a user's enrolments on any version of the given modules."""
    query = (
        db.select(Enrolment)
        .join(ModuleVersion)
        .where(Enrolment.user_id == user_id, ModuleVersion.slug.in_(list(slugs)))
        .order_by(Enrolment.id)
    )
    return list(db.session.execute(query).scalars())


def store_state(enrolment: ProgrammeEnrolment, state: ProgrammeState) -> None:
    """Write a programme enrolment's projection to its row."""
    enrolment.detail = state.as_detail()
    enrolment.completed_at = state.completed_at
    enrolment.progress_percent = state.progress_percent


def load_state(enrolment: ProgrammeEnrolment) -> ProgrammeState:
    """Read a programme enrolment's projection from its row."""
    return ProgrammeState.from_row(
        enrolment.detail, enrolment.completed_at, enrolment.progress_percent
    )


def follow_stored(stored: list[dict]) -> None:
    """Fold again the programme enrolments that newly stored statements touch.

    lms.records calls this after storing statements; the caller commits. Ordinary
    learning events touch no programme and cost no query here.
    """
    base = base_url()
    relevant = [
        statement
        for statement in stored
        if statement["verb"]["id"] in (VERBS["attended"].id, VOIDED)
        or completed_module(statement, base)
    ]
    registrations = _registrations(relevant)
    if not registrations:
        return
    voiders = [s["actor"] for s in relevant if s["verb"]["id"] == VOIDED]
    for enrolment in _programme_enrolments(registrations):
        refold_programme(enrolment, voided_by=voiders[0] if voiders else None)


def _registrations(statements: list[dict]) -> set[str]:
    """Return the registrations of the statements and of those they void."""
    found = set()
    for statement in statements:
        found.add((statement.get("context") or {}).get("registration"))
        if statement["verb"]["id"] == VOIDED:
            target = get_statement(
                db.session.connection(), statement["object"]["id"], voided=True
            )
            found.add(((target or {}).get("context") or {}).get("registration"))
    found.discard(None)
    return found


def _programme_enrolments(registrations: set[str]) -> list[ProgrammeEnrolment]:
    """Return the programme enrolments these registrations belong to or feed."""
    found = {
        enrolment.id: enrolment
        for enrolment in db.session.execute(
            db.select(ProgrammeEnrolment).where(
                ProgrammeEnrolment.uuid.in_(registrations)
            )
        ).scalars()
    }
    modules = db.session.execute(
        db.select(Enrolment).where(Enrolment.uuid.in_(registrations))
    ).scalars()
    for module_enrolment in modules:
        for enrolment in programmes_with_module(
            module_enrolment.user_id, module_enrolment.module_version.slug
        ):
            found.setdefault(enrolment.id, enrolment)
    return [found[key] for key in sorted(found)]


def save(batch: list[dict]) -> None:
    """Store statements of programme enrolments, which no module projection reads."""
    if batch:
        store(batch, authority())
