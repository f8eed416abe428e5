"""Practice-task files are deleted a set time after the enrolment finished."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest

from lms.content import current_version
from lms.extensions import db
from lms.jobs import run_job
from lms.models import (
    AuditRecord,
    Cohort,
    Enrolment,
    Job,
    Submission,
    SubmissionFile,
    User,
)
from lms.privacy import operations
from lms.storage import storage
from tests.lms import files
from tests.lms.privacy.conftest import LEARNER, stored, user

FINISHED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SLUG = "video-consultations"


def hand_in_file(learner: User, at: datetime, completed_at: datetime | None):
    """Give the learner an enrolment with one submission and its stored file."""
    enrolment = Enrolment(
        user=learner,
        module_version=current_version(SLUG),
        enrolled_at=at - timedelta(days=30),
        completed_at=completed_at,
    )
    submission = Submission(
        enrolment=enrolment,
        activity_id="first-consultation",
        number=1,
        text="Refleksion",
        submitted_at=at,
    )
    content = files.pdf()
    submission.file = SubmissionFile(
        storage_key=storage().save(io.BytesIO(content), content_type="application/pdf"),
        filename="rapport.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        created_at=at,
    )
    db.session.add_all([enrolment, submission])
    db.session.commit()
    return submission


@pytest.fixture
def learner(demo) -> User:
    return user(LEARNER[0])


def test_files_go_only_after_the_period_from_completion(app, learner, uploads):
    submission = hand_in_file(learner, FINISHED - timedelta(days=5), FINISHED)
    assert operations.purge_files(FINISHED + timedelta(days=364)) == []
    assert len(stored(uploads)) == 1
    assert operations.purge_files(FINISHED + timedelta(days=365, seconds=1)) == [
        submission.file.id
    ]
    assert stored(uploads) == []
    db.session.expire_all()
    attached = db.session.execute(db.select(SubmissionFile)).scalar_one()
    assert attached.deleted_reason == "retention"
    assert attached.deleted_at == FINISHED + timedelta(days=365, seconds=1)
    (audited,) = db.session.execute(
        db.select(AuditRecord).filter_by(action="privacy.purge_files")
    ).scalars()
    assert audited.actor_id is None and audited.target_type == "system"
    assert audited.detail == {"files": 1, "retention_days": 365}
    # A second run finds nothing more.
    assert operations.purge_files(FINISHED + timedelta(days=800)) == []


def test_unfinished_enrolments_keep_their_files(app, learner, uploads):
    hand_in_file(learner, FINISHED, None)
    assert operations.purge_files(FINISHED + timedelta(days=3000)) == []
    assert len(stored(uploads)) == 1


def test_an_ended_cohort_finishes_the_enrolment(app, learner, uploads):
    hand_in_file(learner, FINISHED, None)
    cohort = Cohort(
        name="Hold 3", module_slug=SLUG, ends_on=date(2025, 3, 31), members=[learner]
    )
    db.session.add(cohort)
    db.session.commit()
    # The cohort's last day ends at midnight in Denmark (22:00 UTC in summer).
    ended = datetime(2025, 3, 31, 22, 0, tzinfo=UTC)
    assert operations.purge_files(ended + timedelta(days=365, seconds=-1)) == []
    assert len(operations.purge_files(ended + timedelta(days=365))) == 1
    assert stored(uploads) == []


def test_a_cohort_of_another_module_does_not_count(app, learner, uploads):
    hand_in_file(learner, FINISHED, None)
    db.session.add(
        Cohort(
            name="X", module_slug="other", ends_on=date(2024, 1, 1), members=[learner]
        )
    )
    db.session.commit()
    assert operations.purge_files(FINISHED + timedelta(days=3000)) == []


def test_a_file_handed_in_after_the_finish_waits_for_its_own_period(
    app, learner, uploads
):
    late = FINISHED + timedelta(days=200)  # a renewal after completion
    hand_in_file(learner, late, FINISHED)
    assert operations.purge_files(FINISHED + timedelta(days=400)) == []
    assert len(operations.purge_files(late + timedelta(days=366))) == 1


def test_zero_keeps_files_for_ever_and_the_period_is_configurable(
    app, learner, uploads, monkeypatch
):
    hand_in_file(learner, FINISHED, FINISHED)
    monkeypatch.setitem(app.config, "LMS_SUBMISSION_FILE_RETENTION_DAYS", 0)
    assert operations.purge_files(FINISHED + timedelta(days=10_000)) == []
    monkeypatch.setitem(app.config, "LMS_SUBMISSION_FILE_RETENTION_DAYS", 30)
    assert len(operations.purge_files(FINISHED + timedelta(days=31))) == 1


def test_the_learner_sees_that_the_file_was_deleted(client, auth, learner, uploads):
    submission = hand_in_file(learner, FINISHED, FINISHED)
    operations.purge_files(FINISHED + timedelta(days=400))
    auth.login(*LEARNER)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/learn/submissions/{submission.uuid}").text
    assert "rapport.pdf: file deleted after the retention period" in page
    assert f"/learn/submissions/{submission.uuid}/file" not in page
    assert client.get(f"/learn/submissions/{submission.uuid}/file").status_code == 410


def test_the_command_lists_with_dry_run_and_deletes_without(
    app, runner, learner, uploads, monkeypatch
):
    hand_in_file(learner, FINISHED, FINISHED)
    monkeypatch.setattr(
        "lms.competence.clock.now", lambda: FINISHED + timedelta(days=400)
    )
    result = runner.invoke(args=["privacy", "purge-files", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 file(s) older than 365 days would be deleted" in result.output
    assert len(stored(uploads)) == 1
    result = runner.invoke(args=["privacy", "purge-files"])
    assert result.exit_code == 0
    assert "1 file(s) deleted after 365 days" in result.output
    assert stored(uploads) == []


def test_the_daily_job_purges_and_schedules_the_next_run(
    app, learner, uploads, monkeypatch
):
    hand_in_file(learner, FINISHED, FINISHED)
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    monkeypatch.setattr("lms.competence.clock.now", lambda: now)
    operations.ensure_retention_scheduled()
    operations.ensure_retention_scheduled()  # once only
    (job,) = db.session.execute(
        db.select(Job).filter_by(kind=operations.RETENTION_JOB)
    ).scalars()
    assert run_job(job) is True
    assert stored(uploads) == []
    waiting = db.session.execute(
        db.select(Job).filter_by(kind=operations.RETENTION_JOB, finished_at=None)
    ).scalar_one()
    # Tomorrow at 03:00 in Denmark (summer time: 01:00 UTC).
    assert waiting.run_at == datetime(2026, 6, 11, 1, 0, tzinfo=UTC)
