"""Certificates earned by statements: the first on completion, renewals after that.

A module certificate can be renewed from 90 days before it expires, and at any time
after: the learner does the module's recertification activities again (module.toml
[recertification], or every required activity). Renewal is a projection of the
statements like completion is: every recertification activity needs a statement
that counts as done, made after the window opened. The new certificate continues the
chain; renewed early, it runs on from the old expiry, so no time is lost.
"""

from datetime import UTC, datetime

from lms.certificates.queries import latest_in_chain, window_opens
from lms.content import module_of
from lms.extensions import db
from lms.models import Certificate, Enrolment
from lms.operations.certificates import issue_for_enrolment, issue_module
from lms.progress import parse_target, timestamp_of
from lms.records import owned_by
from lms.statements import base_url
from modules import Activity
from xapi.store import iter_statements
from xapi.vocabulary import VERBS

_VERB_KEYS = {verb.id: key for key, verb in VERBS.items()}


def counts_as_done(activity: Activity, verb: str | None) -> bool:
    """Return whether a statement with this verb on the activity means it is done."""
    if activity.kind in ("lesson", "case"):
        return verb == "completed"
    if activity.kind == "quiz":
        return verb == "passed" or (
            activity.done_when == "completed" and verb == "failed"
        )
    if activity.kind == "practice_task":
        return verb == "passed" or (
            activity.done_when == "submitted" and verb == "submitted"
        )
    return verb == "attended"


def renewal_open(enrolment: Enrolment, now: datetime | None = None) -> datetime | None:
    """Return since when the enrolment's certificate can be renewed, if it can now."""
    latest = latest_in_chain(enrolment.user_id, "module", enrolment.module_version.slug)
    opens = window_opens(latest) if latest is not None else None
    if opens is None or (now or datetime.now(UTC)) < opens:
        return None
    return opens


def _done_activity(statement: dict, wanted: dict[str, Activity], slug: str):
    """Return the recertification activity this statement completes, if any."""
    target = parse_target(base_url(), statement.get("object", {}).get("id", ""))
    if target is None or target.slug != slug or target.part is not None:
        return None
    activity = wanted.get(target.activity_id or "")
    verb = _VERB_KEYS.get(statement["verb"]["id"])
    if activity is None or activity.kind != target.kind:
        return None
    return activity if counts_as_done(activity, verb) else None


def _is_completion(statement: dict, enrolment: Enrolment) -> bool:
    """Return whether the statement says the enrolment's module is completed."""
    slug = enrolment.module_version.slug
    return (
        statement["verb"]["id"] == VERBS["completed"].id
        and statement.get("object", {}).get("id")
        == f"{base_url()}/xapi/activities/module/{slug}"
    )


def certify(enrolment: Enrolment, statements: list[dict]) -> Certificate | None:
    """Issue or renew the certificate that newly stored statements earn.

    lms.records calls this for each enrolment a batch touched; the caller commits.
    Learning events that earn nothing cost no query.
    """
    if enrolment.completed_at is None:
        return None
    if any(_is_completion(statement, enrolment) for statement in statements):
        return issue_for_enrolment(enrolment)
    return renew(enrolment, statements)


def renew(
    enrolment: Enrolment, statements: list[dict], now: datetime | None = None
) -> Certificate | None:
    """Issue the next certificate of the chain once the renewal path is done again."""
    module = module_of(enrolment.module_version)
    wanted = {activity.id: activity for activity in module.recertification_activities}
    if not any(_done_activity(s, wanted, module.slug) for s in statements):
        return None
    now = now or datetime.now(UTC)
    opens = renewal_open(enrolment, now)
    if opens is None:
        return None
    done, base = set(), base_url()
    for statement in iter_statements(
        db.session.connection(), registration=enrolment.uuid
    ):
        activity = _done_activity(statement, wanted, module.slug)
        if (
            activity is not None
            and timestamp_of(statement) >= opens
            and owned_by(statement, enrolment, base)
        ):
            done.add(activity.id)
    if done != set(wanted):
        return None
    previous = latest_in_chain(enrolment.user_id, "module", module.slug)
    return issue_module(enrolment, previous=previous, now=now)


def counted_attempts(enrolment: Enrolment, attempts: list) -> list:
    """Return the quiz attempts that count: since renewal opened, while it is open."""
    opens = renewal_open(enrolment)
    if opens is None:
        return attempts
    return [attempt for attempt in attempts if attempt.started_at >= opens]


def may_hand_in_again(enrolment: Enrolment, handed_in: list) -> bool:
    """Return whether an approved practice task may be handed in again to renew."""
    latest = handed_in[-1] if handed_in else None
    opens = renewal_open(enrolment)
    return (
        opens is not None
        and latest is not None
        and latest.status == "approved"
        and (latest.reviewed_at or latest.submitted_at) < opens
    )
