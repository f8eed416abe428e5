"""Statements for each learning event, following the profile in DESIGN.md."""

from datetime import UTC, datetime

from flask import current_app, has_request_context

from lms.i18n import current_locale
from lms.models import Enrolment, User
from modules import Activity, Module
from xapi import builders as b
from xapi.vocabulary import KIND_TYPES


def base_url() -> str:
    """Return the base of every IRI the LMS mints."""
    return current_app.config["LMS_BASE_URL"]


def _ids() -> b.ActivityIds:
    return b.ActivityIds(base_url())


def _module(enrolment: Enrolment) -> Module:
    from lms.content import module_of

    return module_of(enrolment.module_version)


def _context(enrolment: Enrolment, **extra) -> dict:
    from lms.programmes import programme_slug_for

    return b.Context(
        base_url(),
        registration=enrolment.uuid,
        module_slug=enrolment.module_version.slug,
        programme_slug=programme_slug_for(enrolment),
        # Background jobs (e.g. enrolment by an assignment) have no UI language.
        language=current_locale() if has_request_context() else None,
        **extra,
    ).as_dict()


def _statement(enrolment: Enrolment, verb: str, obj: dict, **parts) -> dict:
    return b.statement(
        b.actor(base_url(), enrolment.user.uuid),
        verb,
        obj,
        timestamp=datetime.now(UTC),
        **parts,
    )


def module_object(module: Module) -> dict:
    """Return the statement object for a module."""
    return b.activity_object(
        _ids().module(module.slug),
        "module",
        name=module.title,
        description=module.summary,
    )


def activity_object(module: Module, activity: Activity) -> dict:
    """Return the statement object for an activity of a module."""
    return b.activity_object(
        _ids().activity(module.slug, activity.kind, activity.id),
        KIND_TYPES[activity.kind],
        name=activity.title,
    )


def registered(enrolment: Enrolment) -> dict:
    """Build the statement for enrolling on a module."""
    module = _module(enrolment)
    return _statement(
        enrolment, "registered", module_object(module), context=_context(enrolment)
    )


def on_activity(
    enrolment: Enrolment,
    activity: Activity,
    verb: str,
    instructor: User | None = None,
    **parts,
) -> dict:
    """Build a statement whose object is one activity of the enrolment's module."""
    module = _module(enrolment)
    extra = {"instructor_uuid": instructor.uuid} if instructor else {}
    return _statement(
        enrolment,
        verb,
        activity_object(module, activity),
        context=_context(enrolment, **extra),
        **parts,
    )


def session_object(session_uuid: str, kind: str, title: str) -> dict:
    """Return the object for a cohort session that counts for no module activity."""
    return b.activity_object(
        f"{base_url()}/xapi/activities/session/{session_uuid}",
        KIND_TYPES[kind],
        name={"da": title, "en": title},
    )


def session_attended(enrolment: Enrolment, obj: dict, instructor: User) -> dict:
    """Build the attended statement for an extra session, with the educator."""
    return _statement(
        enrolment,
        "attended",
        obj,
        context=_context(enrolment, instructor_uuid=instructor.uuid),
    )


def voided(enrolment: Enrolment, statement_id: str, by: User) -> dict:
    """Build the statement by which an educator voids an earlier statement."""
    return b.statement(
        b.actor(base_url(), by.uuid),
        "voided",
        {"objectType": "StatementRef", "id": statement_id},
        context=b.Context(base_url(), registration=enrolment.uuid).as_dict(),
        timestamp=datetime.now(UTC),
    )


def case_answered(enrolment: Enrolment, activity: Activity, step, option) -> dict:
    """Build the statement for choosing an option in one step of a case."""
    module = _module(enrolment)
    interaction = b.Interaction(
        "choice",
        [",".join(o.id for o in step.options if o.best)],
        choices=[(o.id, o.text) for o in step.options],
    )
    obj = b.activity_object(
        _ids().case_step(module.slug, activity.id, step.id),
        "interaction",
        name=step.prompt,
        interaction=interaction,
    )
    parent = _ids().activity(module.slug, activity.kind, activity.id)
    return _statement(
        enrolment,
        "answered",
        obj,
        context=_context(enrolment, parent_id=parent),
        result=b.result(response=option.id, success=option.best),
    )


def interaction_for(question) -> b.Interaction:
    """Describe a quiz question as an xAPI interaction."""
    components: dict = {}
    if hasattr(question, "options"):
        components["choices"] = [(o.id, o.text) for o in question.options]
    elif hasattr(question, "items"):
        components["choices"] = [(i.id, i.text) for i in question.items]
    elif hasattr(question, "pairs"):
        components["source"] = [(p.id, p.left) for p in question.pairs]
        components["target"] = [(p.id, p.right) for p in question.pairs]
    return b.Interaction(
        question.interaction_type, question.correct_responses_pattern(), **components
    )


def question_answered(
    enrolment: Enrolment, activity: Activity, question, result
) -> dict:
    """Build the statement for one graded answer in a quiz."""
    module = _module(enrolment)
    obj = b.activity_object(
        _ids().question(module.slug, activity.id, question.id),
        "interaction",
        name=question.prompt,
        interaction=interaction_for(question),
    )
    parent = _ids().activity(module.slug, activity.kind, activity.id)
    outcome = b.result(
        score_raw=result.score,
        score_min=0,
        score_max=result.max_score,
        success=result.correct,
        response=None
        if result.response is None
        else question.response_pattern(result.response),
    )
    return _statement(
        enrolment,
        "answered",
        obj,
        context=_context(enrolment, parent_id=parent),
        result=outcome,
    )


def quiz_finished(
    enrolment: Enrolment, activity: Activity, graded, seconds: float
) -> dict:
    """Build the passed or failed statement that closes a quiz attempt."""
    return on_activity(
        enrolment,
        activity,
        "passed" if graded.passed else "failed",
        result=b.result(
            score_raw=graded.raw,
            score_min=0,
            score_max=graded.max,
            score_scaled=graded.scaled,
            success=graded.passed,
            completion=True,
            duration_seconds=seconds,
        ),
    )


def task_reviewed(
    enrolment: Enrolment,
    activity: Activity,
    educator: User,
    approved: bool,
    score: int,
    max_score: int,
) -> dict:
    """Build the statement for an educator approving or returning a practice task."""
    return _statement(
        enrolment,
        "passed" if approved else "returned",
        activity_object(_module(enrolment), activity),
        context=_context(enrolment, instructor_uuid=educator.uuid),
        result=b.result(
            score_raw=score,
            score_min=0,
            score_max=max_score,
            success=approved,
            completion=approved,
        ),
    )


def module_completed(enrolment: Enrolment) -> dict:
    """Build the statement that a module's completion rule is met."""
    module = _module(enrolment)
    return _statement(
        enrolment,
        "completed",
        module_object(module),
        context=_context(enrolment),
        result=b.result(completion=True, success=True),
    )
