"""Reads for the quiz item analysis, scoped to the learners the user may see.

An admin sees every enrolment on a module version. An educator sees a module's
analysis only if they run a cohort on that module, and then only the attempts of
learners who are members of one of their cohorts on it: never those of another
educator's cohort, nor of learners who took the module on their own.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace

from sqlalchemy.orm import joinedload

from lms.analysis import QuestionRow, attempts_from_statements, question_rows
from lms.content import module_of
from lms.extensions import db
from lms.models import (
    Cohort,
    Enrolment,
    ModuleVersion,
    User,
    cohort_educators,
    cohort_members,
)
from lms.records import owned_by
from lms.statements import base_url
from modules import Activity, Module
from xapi.builders import ActivityIds
from xapi.store import StatementQuery, query_statements

#: Statements read from the LRS per page.
PAGE = 500


@dataclass(frozen=True)
class QuizAnalysis:
    """The item analysis of one quiz of one module version."""

    rows: list[QuestionRow]
    #: Finished attempts counted.
    attempts: int
    #: Learners (enrolments) with at least one finished attempt.
    learners: int


def taught_slugs(user: User) -> set[str]:
    """Return the modules the user runs a cohort on."""
    query = (
        db.select(Cohort.module_slug)
        .join(cohort_educators, cohort_educators.c.cohort_id == Cohort.id)
        .where(cohort_educators.c.user_id == user.id)
        .distinct()
    )
    return set(db.session.execute(query).scalars())


def may_analyse(user: User, slug: str) -> bool:
    """Return whether the user may see the item analysis of a module's quizzes."""
    if user.has_role("admin"):
        return True
    return user.has_role("educator") and slug in taught_slugs(user)


def analysable_quizzes(user: User) -> list[tuple[ModuleVersion, Module, list]]:
    """Return each module version the user may analyse, newest first, with quizzes."""
    query = db.select(ModuleVersion).order_by(
        ModuleVersion.slug, ModuleVersion.published_at.desc(), ModuleVersion.id.desc()
    )
    if not user.has_role("admin"):
        query = query.where(ModuleVersion.slug.in_(taught_slugs(user)))
    found = []
    for version in db.session.execute(query).scalars():
        module = module_of(version)
        quizzes = [a for a in module.activities if a.kind == "quiz"]
        if quizzes:
            found.append((version, module, quizzes))
    return found


def version_of(slug: str, number: str) -> ModuleVersion | None:
    """Return a published version of a module by its version number."""
    query = db.select(ModuleVersion).filter_by(slug=slug, version=number)
    return db.session.execute(query).scalar_one_or_none()


def scoped_enrolments(user: User, version: ModuleVersion) -> dict[str, Enrolment]:
    """Return the enrolments on the version whose attempts the user may see, by uuid."""
    query = (
        db.select(Enrolment)
        .where(Enrolment.module_version_id == version.id)
        .options(joinedload(Enrolment.user))
    )
    if not user.has_role("admin"):
        members = (
            db.select(cohort_members.c.user_id)
            .join(Cohort, Cohort.id == cohort_members.c.cohort_id)
            .join(cohort_educators, cohort_educators.c.cohort_id == Cohort.id)
            .where(
                cohort_educators.c.user_id == user.id,
                Cohort.module_slug == version.slug,
            )
        )
        query = query.where(Enrolment.user_id.in_(members))
    return {e.uuid: e for e in db.session.execute(query).unique().scalars()}


def quiz_iri(module: Module, activity: Activity) -> str:
    """Return the activity id of a quiz, as its statements carry it."""
    return ActivityIds(base_url()).activity(module.slug, activity.kind, activity.id)


def quiz_statements(iri: str) -> Iterator[dict]:
    """Yield every statement about a quiz or its questions, in stored order."""
    query = StatementQuery(
        activity_id=iri, related_activities=True, ascending=True, limit=PAGE
    )
    connection = db.session.connection()
    while True:
        page, cursor = query_statements(connection, query, max_limit=PAGE)
        yield from page
        if cursor is None:
            return
        query = replace(query, after_seq=cursor)


def quiz_analysis(
    user: User, version: ModuleVersion, activity: Activity
) -> QuizAnalysis:
    """Compute the item analysis of a quiz from the statements the user may see."""
    module = module_of(version)
    enrolments = scoped_enrolments(user, version)
    iri, base = quiz_iri(module, activity), base_url()
    seen = (
        statement
        for statement in (quiz_statements(iri) if enrolments else ())
        if _in_scope(statement, enrolments, base)
    )
    quiz = activity.content
    attempts = attempts_from_statements(seen, iri, {q.id for q in quiz.questions})
    learners = len({attempt.registration for attempt in attempts})
    return QuizAnalysis(question_rows(quiz, attempts), len(attempts), learners)


def _in_scope(statement: dict, enrolments: dict[str, Enrolment], base: str) -> bool:
    """Keep statements about a scoped enrolment, made by that enrolment's learner."""
    registration = (statement.get("context") or {}).get("registration")
    enrolment = enrolments.get(registration)
    return enrolment is not None and owned_by(statement, enrolment, base)
