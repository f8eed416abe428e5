"""Privacy writes: audit an export, erase a person, delete files past retention.

Erasure runs in one transaction. Stored files are deleted only after it commits
(a rollback must not lose a file that rows still point at); a file that cannot be
deleted then is retried by a background job.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from lms import programme_records
from lms.audit import audit
from lms.competence import clock
from lms.extensions import db
from lms.jobs import enqueue, handler
from lms.models import (
    Certificate,
    Enrolment,
    Job,
    Mail,
    ManagedUnit,
    PasswordResetToken,
    ProgrammeEnrolment,
    Submission,
    SubmissionFile,
    User,
    cohort_educators,
    cohort_members,
)
from lms.privacy import mailbox
from lms.privacy.queries import active_admins, actor, actor_key, expired_files
from lms.privacy.statements import scrub_statements
from lms.programmes import programme_of
from lms.records import refold
from lms.storage import storage
from xapi.documents.schema import agent_profiles, states

log = logging.getLogger(__name__)

DELETE_FILE_JOB = "privacy.delete_file"
RETENTION_JOB = "privacy.retention"
#: The domain of the placeholder e-mail of an erased person; .invalid never resolves.
ERASED_DOMAIN = "erased.invalid"
#: What stays of a sent mail about an erased person: no name, in no language.
ERASED_MAIL_TEXT = "[erased]"

#: Further erasure steps, called with the person inside the erasing transaction:
#: features that keep more personal data (e.g. two-factor secrets) register here.
ERASERS: list[Callable[[User], None]] = []


class ErasureRefused(Exception):
    """An erasure that is not allowed; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Erasure:
    """What an erasure removed; counts only, no personal data."""

    submissions: int = 0
    files: int = 0
    documents: int = 0
    statements: int = 0
    certificates: int = 0
    mails: int = 0
    #: Storage keys to delete once the transaction has committed.
    keys: list[str] = field(default_factory=list)

    def detail(self) -> dict[str, int]:
        """Return the counts for the audit record."""
        return {
            "submissions": self.submissions,
            "files": self.files,
            "documents": self.documents,
            "statements": self.statements,
            "certificates": self.certificates,
            "mails": self.mails,
        }


# --- Export ---------------------------------------------------------------------------


def record_export(user: User, fmt: str) -> None:
    """Audit that the person downloaded their data; commit."""
    audit("privacy.export", "user", user.uuid, user, {"format": fmt})
    db.session.commit()
    log.info("user %s exported their data as %s", user.id, fmt)


# --- Erasure --------------------------------------------------------------------------


def check_erasable(user: User, admin: User) -> None:
    """Raise ErasureRefused if the admin may not erase this person."""
    if user.id == admin.id:
        raise ErasureRefused("self")
    if user.has_role("admin") and user.active and active_admins(excluding=user) == 0:
        raise ErasureRefused("last_admin")


def erase(user: User, admin: User, reason: str) -> Erasure | None:
    """Erase a person's personal data, keep a tombstone; None if already erased."""
    if user.erased_at is not None:
        return None
    check_erasable(user, admin)
    now = clock.now()
    erasure = Erasure()
    old_email = user.email
    _erase_submissions(user, now, erasure)
    erasure.documents = _erase_documents(user, old_email)
    erasure.statements = _erase_statements(user, old_email)
    erasure.certificates = _erase_certificates(user, now)
    erasure.mails = _erase_mails(user, old_email)
    _erase_account(user, now)
    for eraser in ERASERS:
        eraser(user)
    # The reason is the admin's words about why, not about the person; it is kept
    # with counts only.
    audit(
        "privacy.erase",
        "user",
        user.uuid,
        admin,
        {"reason": reason, **erasure.detail()},
    )
    db.session.commit()
    log.info("admin %s erased user %s", admin.id, user.id)
    delete_stored(erasure.keys)
    return erasure


def _erase_account(user: User, now: datetime) -> None:
    """Blank the account and keep it as a tombstone holding its uuid."""
    user.name = ""
    user.email = f"erased-{user.uuid}@{ERASED_DOMAIN}"
    user.password_hash = ""  # matches no password: the account cannot sign in
    user.active = False
    user.erased_at = now
    user.primary_unit_id = None
    user.job_role = None
    user.timezone = None
    # Sign-in data: the second factor, lockout state, reset links, open sessions.
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    user.failed_logins, user.locked_until = 0, None
    user.renew_session_token()
    db.session.execute(
        delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id)
    )
    user.set_roles(set())
    db.session.execute(delete(ManagedUnit).where(ManagedUnit.user_id == user.id))
    for table in (cohort_members, cohort_educators):
        db.session.execute(delete(table).where(table.c.user_id == user.id))


def _erase_submissions(user: User, now: datetime, erasure: Erasure) -> None:
    """Blank the texts and reviews of the person's work and drop their files."""
    query = (
        db.select(Submission)
        .join(Enrolment, Enrolment.id == Submission.enrolment_id)
        .where(Enrolment.user_id == user.id)
    )
    for submission in db.session.execute(query).scalars():
        submission.text = ""
        submission.feedback = None
        erasure.submissions += 1
        attached: SubmissionFile | None = submission.file
        if attached is not None and attached.deleted_at is None:
            _mark_deleted(attached, now, "erasure")
            erasure.keys.append(attached.storage_key)
            erasure.files += 1
        if attached is not None:
            attached.filename = ""  # the learner's own file name may name them


def _erase_documents(user: User, email: str) -> int:
    """Delete the person's xAPI State and Agent Profile documents.

    Those under their account, and those an outside client stored under their
    e-mail (lms.privacy.mailbox).
    """
    key = actor_key(user)
    connection = db.session.connection()
    removed = connection.execute(delete(states).where(states.c.agent_key == key))
    profiles = connection.execute(
        delete(agent_profiles).where(agent_profiles.c.agent_key == key)
    )
    return removed.rowcount + profiles.rowcount + mailbox.erase_documents(email)


def _erase_statements(user: User, email: str) -> int:
    """Make the person's statements anonymous records of their account; refold.

    First the statements that name them by e-mail are re-identified by the
    pseudonymous account (lms.privacy.mailbox); then every statement of the account
    loses names and free-text answers (lms.privacy.statements). Returns how many
    statements changed, each counted once.

    The projection keeps some responses (a case's chosen options): folding the
    scrubbed statements again drops any text from it. A re-identified statement
    whose actor was the e-mail now counts for the enrolment it names, as the
    account's statements do. Folding those enrolments again keeps the projections
    equal to what `flask --app lms progress rebuild` computes; erasure itself
    writes no statement and issues or withdraws no certificate.
    """
    adopted = mailbox.adopt_statements(email, actor(user))
    scrubbed = scrub_statements(actor_key(user))
    registrations = scrubbed.registrations | adopted.registrations
    if registrations:
        query = db.select(Enrolment).where(
            Enrolment.user_id == user.id,
            Enrolment.uuid.in_(sorted(registrations)),
        )
        for enrolment in db.session.execute(query).scalars():
            refold(enrolment)
    if adopted.registrations:
        _refold_programmes(user)
    return len(scrubbed.seqs | adopted.seqs)


def _refold_programmes(user: User) -> None:
    """Fold the person's programme enrolments again, writing only their projection.

    A re-identified statement may be a module's completion or a programme session's
    attendance that a programme enrolment rests on.
    """
    for enrolment in db.session.execute(
        db.select(ProgrammeEnrolment).where(ProgrammeEnrolment.user_id == user.id)
    ).scalars():
        programme = programme_of(enrolment.programme_version)
        programme_records.store_state(
            enrolment, programme_records.folded_state(enrolment, programme)
        )


def _erase_mails(user: User, email: str) -> int:
    """Delete mail to the person and unsent mail about them; blank sent mail about them.

    A sent mail to someone else stays only as the record that a mail went out.
    Returns how many mails were deleted or blanked.
    """
    deleted = db.session.execute(
        delete(Mail).where(
            (Mail.recipient == email)
            | ((Mail.about_user_id == user.id) & Mail.sent_at.is_(None))
        )
    ).rowcount
    blanked = db.session.execute(
        update(Mail)
        .where(Mail.about_user_id == user.id, Mail.sent_at.is_not(None))
        .values(subject=ERASED_MAIL_TEXT, body=ERASED_MAIL_TEXT)
    ).rowcount
    return deleted + blanked


def _erase_certificates(user: User, now: datetime) -> int:
    """Drop the holder's name and our copies that carry it; keep the record."""
    query = db.select(Certificate).where(
        Certificate.holder_id == user.id, Certificate.holder_erased_at.is_(None)
    )
    count = 0
    for certificate in db.session.execute(query).scalars():
        certificate.holder_name = ""
        certificate.holder_erased_at = now
        certificate.pdf = None
        # The signed credential names the holder; the copy the holder downloaded
        # still verifies, ours is deleted.
        certificate.credential = ""
        count += 1
    return count


# --- Files ----------------------------------------------------------------------------


def _mark_deleted(attached: SubmissionFile, now: datetime, reason: str) -> None:
    attached.deleted_at = now
    attached.deleted_reason = reason


def delete_stored(keys: list[str]) -> int:
    """Delete stored files after commit; queue a retry for each that fails."""
    failed = 0
    for key in keys:
        try:
            storage().delete(key)
        except Exception as error:  # any backend error: the job tries again
            log.warning("stored file %s not deleted (%s)", key, type(error).__name__)
            enqueue(DELETE_FILE_JOB, {"key": key})
            failed += 1
    if failed:
        db.session.commit()
    return failed


@handler(DELETE_FILE_JOB)
def _delete_file(payload: dict) -> None:
    """Delete one stored file that could not be deleted earlier."""
    storage().delete(payload["key"])


# --- Retention ------------------------------------------------------------------------


def retention_days() -> int:
    """Return the configured retention period in days; 0 keeps files for ever."""
    return int(current_app.config.get("LMS_SUBMISSION_FILE_RETENTION_DAYS", 365))


def purge_files(now: datetime | None = None, dry_run: bool = False) -> list[int]:
    """Delete files of enrolments finished longer ago than the period; audited.

    Return the ids of the files deleted (or, with ``dry_run``, due for deletion).
    """
    days = retention_days()
    if days <= 0:
        return []
    now = now or clock.now()
    due = expired_files(now, days)
    if dry_run or not due:
        return [item.file_id for item in due]
    files = db.session.execute(
        select(SubmissionFile).where(
            SubmissionFile.id.in_([item.file_id for item in due])
        )
    ).scalars()
    for attached in files:
        _mark_deleted(attached, now, "retention")
    audit(
        "privacy.purge_files",
        "system",
        "retention",
        None,
        {"files": len(due), "retention_days": days},
    )
    db.session.commit()
    log.info("deleted %d practice-task file(s) after %d days", len(due), days)
    delete_stored([item.storage_key for item in due])
    return [item.file_id for item in due]


def next_retention_run(now: datetime) -> datetime:
    """Return the next daily run: tomorrow at 03:00 in Denmark."""
    local = now.astimezone(clock.LOCAL)
    tomorrow = local.date() + timedelta(days=1)
    return datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, 3, 0, tzinfo=clock.LOCAL
    )


def ensure_retention_scheduled() -> None:
    """Queue the daily retention run unless one is already waiting; commit."""
    waiting = db.session.execute(
        db.select(Job.id).filter_by(kind=RETENTION_JOB, finished_at=None).limit(1)
    ).first()
    if waiting is None:
        enqueue(RETENTION_JOB, {})
        db.session.commit()


@handler(RETENTION_JOB)
def _retention(payload: dict) -> None:
    """Delete files past the retention period, then queue tomorrow's run."""
    purge_files()
    enqueue(RETENTION_JOB, {}, run_at=next_retention_run(clock.now()))
    db.session.commit()
