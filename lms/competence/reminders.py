"""Daily reminders: due, overdue and expiring, to the learner; a digest to managers.

Each reminder goes out once per threshold: its mail carries a dedupe key such as
"assignment:12:user:7:due-7", and the outbox never queues a key twice.
"""

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _

from lms.competence import clock
from lms.competence.scope import scope_of
from lms.content import framework
from lms.extensions import db
from lms.i18n import localized
from lms.jobs import enqueue, handler
from lms.mail import queue_mail
from lms.models import (
    Assignment,
    AssignmentMember,
    Job,
    ManagedUnit,
    ModuleVersion,
    ProgrammeVersion,
    StaffCompetence,
    User,
)

log = logging.getLogger(__name__)

#: Days before the due date at which the learner is reminded.
DUE_DAYS = 7
#: Days before a competence runs out at which the learner is reminded.
EXPIRY_THRESHOLDS = (90, 30)
DAILY_AT = time(6, 0)


def _title(kind: str, slug: str, locale: str) -> str:
    model = ProgrammeVersion if kind == "programme" else ModuleVersion
    version = db.session.execute(
        db.select(model).filter_by(slug=slug, is_current=True)
    ).scalar_one_or_none()
    return version.title(locale) if version else slug


def _competence_name(competence_id: str, locale: str) -> str:
    competence = framework().competence(competence_id)
    return localized(competence.name, locale) if competence else competence_id


def assignment_reminders(now: datetime) -> int:
    """Queue due and overdue reminders to learners; return how many were new."""
    today = now.astimezone(clock.LOCAL).date()
    query = (
        db.select(AssignmentMember, Assignment, User)
        .join(Assignment, Assignment.id == AssignmentMember.assignment_id)
        .join(User, User.id == AssignmentMember.user_id)
        .where(
            Assignment.withdrawn_at.is_(None),
            AssignmentMember.left_at.is_(None),
            AssignmentMember.status != "completed",
            User.active.is_(True),
            Assignment.due_on <= today + timedelta(days=DUE_DAYS),
        )
    )
    sent = 0
    for _member, assignment, user in db.session.execute(query):
        threshold = "overdue" if assignment.due_on < today else f"due-{DUE_DAYS}"
        key = f"assignment:{assignment.id}:user:{user.id}:{threshold}"
        with force_locale(user.locale):
            title = _title(assignment.kind, assignment.slug, user.locale)
            if threshold == "overdue":
                subject = _("Overdue: %(title)s", title=title)
                body = _(
                    "%(title)s was due on %(date)s. Please complete it as soon as "
                    "you can.",
                    title=title,
                    date=assignment.due_on.isoformat(),
                )
            else:
                subject = _("Due soon: %(title)s", title=title)
                body = _(
                    "%(title)s is due on %(date)s.",
                    title=title,
                    date=assignment.due_on.isoformat(),
                )
        sent += queue_mail(user.email, subject, body, dedupe_key=key) is not None
    return sent


def expiry_reminders(now: datetime) -> int:
    """Queue reminders of competences that run out within 90 and 30 days."""
    horizon = now + timedelta(days=max(EXPIRY_THRESHOLDS))
    query = (
        db.select(StaffCompetence, User)
        .join(User, User.id == StaffCompetence.user_id)
        .where(
            User.active.is_(True),
            StaffCompetence.met_until > now,
            StaffCompetence.met_until <= horizon,
        )
    )
    sent = 0
    for row, user in db.session.execute(query):
        days = (row.met_until - now).days
        threshold = min(t for t in EXPIRY_THRESHOLDS if days <= t)
        until = row.met_until.date().isoformat()
        key = (
            f"competence:{row.competence_id}:user:{user.id}:until:{until}"
            f":expiring-{threshold}"
        )
        with force_locale(user.locale):
            name = _competence_name(row.competence_id, user.locale)
            subject = _("Your competence expires soon: %(name)s", name=name)
            body = _(
                "Your certificate for %(name)s expires on %(date)s. Take the "
                "training again before then to keep it.",
                name=name,
                date=until,
            )
        sent += queue_mail(user.email, subject, body, dedupe_key=key) is not None
    return sent


def manager_digests(now: datetime) -> int:
    """Queue one digest a day to each manager whose staff have something to act on."""
    from lms.competence import queries as q

    today = now.astimezone(clock.LOCAL).date()
    managers = db.session.execute(
        db.select(User).join(ManagedUnit, ManagedUnit.user_id == User.id).distinct()
    ).scalars()
    sent = 0
    for manager in managers:
        if not manager.active:
            continue
        units = sorted(scope_of(manager).visible)
        counts = defaultdict(int, q.list_counts(units, today))
        if not any(counts[name] for name in ("overdue", "due_soon", "expiring")):
            continue
        with force_locale(manager.locale):
            subject = _("Your staff's training: daily overview")
            body = _(
                "Overdue: %(overdue)d\nDue within 30 days: %(due)d\n"
                "Expiring within 90 days: %(expiring)d\nNever started: %(never)d\n\n"
                "See the details on your dashboard.",
                overdue=counts["overdue"],
                due=counts["due_soon"],
                expiring=counts["expiring"],
                never=counts["never_started"],
            )
        key = f"digest:manager:{manager.id}:{today.isoformat()}"
        sent += queue_mail(manager.email, subject, body, dedupe_key=key) is not None
    return sent


def send_reminders(now: datetime | None = None) -> int:
    """Queue every reminder and digest due now, once each; commit; return how many."""
    now = now or clock.now()
    sent = assignment_reminders(now) + expiry_reminders(now) + manager_digests(now)
    db.session.commit()
    log.info("queued %d reminders", sent)
    return sent


def next_run(now: datetime) -> datetime:
    """Return the next daily run: tomorrow at 06:00 in Denmark."""
    local = now.astimezone(clock.LOCAL)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, DAILY_AT, tzinfo=clock.LOCAL)


def ensure_scheduled() -> None:
    """Queue the daily job unless one is already waiting; commit."""
    waiting = db.session.execute(
        db.select(Job.id).filter_by(kind="competence.daily", finished_at=None).limit(1)
    ).first()
    if waiting is None:
        enqueue("competence.daily", {})
        db.session.commit()


@handler("competence.daily")
def _daily(payload: dict) -> None:
    """Sync assignments, send reminders, and queue tomorrow's run."""
    from lms.competence.membership import active_assignments, sync_assignment

    for assignment in active_assignments():
        sync_assignment(assignment)
    send_reminders()
    enqueue("competence.daily", {}, run_at=next_run(clock.now()))
