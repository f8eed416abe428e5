"""The learner's writes: enrol, read, answer cases, take quizzes, hand in tasks."""

import logging
import secrets
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from assessments import AttemptResult, check_can_attempt, grade_attempt
from lms import statements
from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import Enrolment, QuizAttempt, Submission, SubmissionFile, User
from lms.operations.recertification import counted_attempts, may_hand_in_again
from lms.records import load_state, record
from lms.storage import storage
from lms.uploads import CheckedUpload
from modules import Activity

log = logging.getLogger(__name__)


class LearningError(Exception):
    """A learning action that is not allowed now; the message is for the learner."""


def enrol(user: User, slug: str) -> Enrolment:
    """Enrol the user on the current version of a module, once."""
    version = current_version(slug)
    if version is None:
        raise LearningError("unknown module")
    existing = find_enrolment(user, slug)
    if existing is not None:
        return existing
    enrolment = Enrolment(user=user, module_version=version)
    db.session.add(enrolment)
    try:
        db.session.flush()
    except IntegrityError:  # a double click raced us
        db.session.rollback()
        return find_enrolment(user, slug)
    record(enrolment, [statements.registered(enrolment)])
    db.session.commit()
    log.info("user %s enrolled as %s on %s", user.id, enrolment.id, slug)
    return enrolment


def find_enrolment(user: User, slug: str) -> Enrolment | None:
    """Return the user's enrolment on any version of a module, newest first."""
    from lms.models import ModuleVersion

    query = (
        db.select(Enrolment)
        .join(ModuleVersion)
        .where(Enrolment.user_id == user.id, ModuleVersion.slug == slug)
        .order_by(Enrolment.enrolled_at.desc())
    )
    return db.session.execute(query).scalars().first()


def open_activity(enrolment: Enrolment, activity: Activity) -> None:
    """Record that the learner opened an activity."""
    record(enrolment, [statements.on_activity(enrolment, activity, "experienced")])
    db.session.commit()


def mark_read(enrolment: Enrolment, activity: Activity) -> None:
    """Record that the learner has read a lesson; a second click changes nothing."""
    if load_state(enrolment).done(activity.id):
        return
    record(enrolment, [statements.on_activity(enrolment, activity, "completed")])
    db.session.commit()


def answer_case_step(
    enrolment: Enrolment, activity: Activity, step_id: str, option_id: str
) -> None:
    """Record the learner's choice in one step of a case, and the end of the case."""
    case = activity.content
    step = next((s for s in case.steps if s.id == step_id), None)
    option = step and next((o for o in step.options if o.id == option_id), None)
    if option is None:
        raise LearningError("unknown option")
    answers = case_answers(enrolment, activity)
    if answers.get(step_id) == option_id:
        return
    batch = [statements.case_answered(enrolment, activity, step, option)]
    answered = set(answers) | {step_id}
    if answered >= {s.id for s in case.steps} and not load_state(enrolment).done(
        activity.id
    ):
        batch.append(statements.on_activity(enrolment, activity, "completed"))
    record(enrolment, batch)
    db.session.commit()


def case_answers(enrolment: Enrolment, activity: Activity) -> dict[str, str]:
    """Return the option chosen in each answered step of a case."""
    state = load_state(enrolment).activities.get(activity.id)
    return dict(state.detail.get("answers", {})) if state else {}


def start_quiz(enrolment: Enrolment, activity: Activity) -> QuizAttempt:
    """Return the open attempt, or start a new one if attempts remain."""
    attempts = quiz_attempts(enrolment, activity)
    if attempts and attempts[-1].finished_at is None:
        return attempts[-1]
    check_can_attempt(activity.content, len(counted_attempts(enrolment, attempts)))
    attempt = QuizAttempt(
        enrolment_id=enrolment.id,
        activity_id=activity.id,
        number=len(attempts) + 1,
        seed=secrets.randbelow(2**31),
    )
    db.session.add(attempt)
    record(enrolment, [statements.on_activity(enrolment, activity, "attempted")])
    db.session.commit()
    return attempt


def quiz_attempts(enrolment: Enrolment, activity: Activity) -> list[QuizAttempt]:
    """Return the learner's attempts at a quiz, oldest first."""
    query = (
        db.select(QuizAttempt)
        .filter_by(enrolment_id=enrolment.id, activity_id=activity.id)
        .order_by(QuizAttempt.number)
    )
    return list(db.session.execute(query).scalars())


def submit_quiz(
    enrolment: Enrolment, activity: Activity, attempt: QuizAttempt, responses: dict
) -> AttemptResult:
    """Grade an attempt and record every answer and the outcome, once."""
    quiz = activity.content
    graded = grade_attempt(quiz, responses)
    if attempt.finished_at is not None:
        return graded
    now = datetime.now(UTC)
    by_id = {question.id: question for question in quiz.questions}
    batch = [
        statements.question_answered(enrolment, activity, by_id[r.question_id], r)
        for r in graded.results
    ]
    seconds = (now - attempt.started_at).total_seconds()
    batch.append(statements.quiz_finished(enrolment, activity, graded, seconds))
    attempt.finished_at = now
    attempt.responses = {key: _jsonable(value) for key, value in responses.items()}
    attempt.score_scaled = graded.scaled
    attempt.passed = graded.passed
    record(enrolment, batch)
    db.session.commit()
    return graded


def _jsonable(response):
    if isinstance(response, frozenset | set | tuple):
        return (
            sorted(response)
            if isinstance(response, frozenset | set)
            else list(response)
        )
    return response


def submissions(enrolment: Enrolment, activity: Activity) -> list[Submission]:
    """Return every version the learner handed in for a task, oldest first."""
    query = (
        db.select(Submission)
        .filter_by(enrolment_id=enrolment.id, activity_id=activity.id)
        .order_by(Submission.number)
    )
    return list(db.session.execute(query).scalars())


def submit_task(
    enrolment: Enrolment,
    activity: Activity,
    text: str,
    upload: CheckedUpload | None = None,
) -> Submission:
    """Hand in a practice task; a repeated identical hand-in is stored once."""
    earlier = submissions(enrolment, activity)
    latest = earlier[-1] if earlier else None
    if latest is not None and latest.status == "submitted":
        if latest.text == text and _same_file(latest, upload):
            return latest
        raise LearningError("awaiting review")
    if latest is not None and latest.status == "approved":
        if not may_hand_in_again(enrolment, earlier):  # a certificate's renewal
            raise LearningError("already approved")
    submission = Submission(
        enrolment_id=enrolment.id,
        activity_id=activity.id,
        number=len(earlier) + 1,
        text=text,
    )
    db.session.add(submission)
    try:
        db.session.flush()
    except IntegrityError:  # the same hand-in arrived twice at once
        db.session.rollback()
        return submissions(enrolment, activity)[-1]
    key = _attach(submission, upload) if upload is not None else None
    try:
        record(enrolment, [statements.on_activity(enrolment, activity, "submitted")])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if key is not None:  # no row points at the stored file
            storage().delete(key)
        raise
    log.info(
        "enrolment %s submitted %s #%s", enrolment.id, activity.id, submission.number
    )
    return submission


def _same_file(submission: Submission, upload: CheckedUpload | None) -> bool:
    stored = submission.file
    if stored is None or upload is None:
        return stored is None and upload is None
    return stored.sha256 == upload.sha256


def _attach(submission: Submission, upload: CheckedUpload) -> str:
    """Store the file and link it to the submission; return its storage key."""
    key = storage().save(upload.stream, content_type=upload.content_type)
    submission.file = SubmissionFile(
        storage_key=key,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
    )
    return key


def module_for(enrolment: Enrolment):
    """Return the parsed module version the enrolment is pinned to."""
    return module_of(enrolment.module_version)
