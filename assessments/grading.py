"""Grade whole attempts at a quiz and enforce the attempt rule."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from assessments.errors import AttemptLimitReached, InvalidResponse
from assessments.questions import Question, QuestionResult
from assessments.quiz import Quiz

#: Decimals kept in the scaled score; the pass mark is compared with this value.
SCALED_DECIMALS = 4


@dataclass(frozen=True)
class AttemptResult:
    """Hold the grade of a whole attempt."""

    results: tuple[QuestionResult, ...]
    raw: float
    max: float
    #: raw / max rounded to four decimals, the share the learner is shown.
    scaled: float
    passed: bool


def grade_attempt(quiz: Quiz, responses: Mapping[str, Any]) -> AttemptResult:
    """Grade parsed responses by question id; a missing or None answer scores 0."""
    known = {question.id for question in quiz.questions}
    for question_id in responses:
        if question_id not in known:
            raise InvalidResponse(str(question_id), "no such question in the quiz")
    results = tuple(_grade(question, responses) for question in quiz.questions)
    return summarise(results, quiz.pass_mark)


def summarise(results: Iterable[QuestionResult], pass_mark: float) -> AttemptResult:
    """Add up question results; passed means the shown scaled score >= pass_mark."""
    results = tuple(results)
    raw = sum((_exact(result.score) for result in results), Fraction(0))
    maximum = sum((_exact(result.max_score) for result in results), Fraction(0))
    # Pass on the rounded share the learner sees, so "80 % of 80 %" never fails.
    scaled = round(raw / maximum, SCALED_DECIMALS) if maximum else Fraction(0)
    passed = maximum > 0 and scaled >= _exact(pass_mark)
    return AttemptResult(results, float(raw), float(maximum), float(scaled), passed)


def check_can_attempt(
    quiz: Quiz, attempts_used: int, passed_before: bool = False
) -> None:
    """Raise AttemptLimitReached unless the learner may start another attempt.

    A learner who has passed the quiz is not offered another attempt.
    """
    if passed_before:
        raise AttemptLimitReached(quiz.max_attempts, attempts_used, passed_before)
    if quiz.max_attempts is not None and attempts_used >= quiz.max_attempts:
        raise AttemptLimitReached(quiz.max_attempts, attempts_used)


def attempts_left(quiz: Quiz, attempts_used: int) -> int | None:
    """Return how many attempts remain, or None when they are unlimited."""
    if quiz.max_attempts is None:
        return None
    return max(0, quiz.max_attempts - attempts_used)


def _grade(question: Question, responses: Mapping[str, Any]) -> QuestionResult:
    response = responses.get(question.id)
    if response is None:
        return QuestionResult(question.id, None, 0.0, float(question.points), False)
    return question.grade(response)


def _exact(value: float) -> Fraction:
    # Through repr() so 0.1 counts as one tenth, not its binary approximation.
    return Fraction(repr(float(value)))
