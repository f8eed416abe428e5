"""Grading whole attempts, the pass mark and the attempt rule."""

from typing import Any

import pytest

from assessments import (
    AttemptLimitReached,
    InvalidQuestion,
    InvalidResponse,
    Matching,
    Numeric,
    Option,
    Pair,
    Question,
    Quiz,
    SingleChoice,
    attempts_left,
    check_can_attempt,
    grade_attempt,
)

TEXT = {"da": "tekst", "en": "text"}


def single(question_id: str, points: float = 1.0) -> SingleChoice:
    """Return a single-choice question whose answer is "a"."""
    options = (Option("a", TEXT, True, TEXT), Option("b", TEXT, False, TEXT))
    return SingleChoice(question_id, TEXT, options, points=points)


def quiz_of(*questions: Question, pass_mark: float = 0.8, **rules: Any) -> Quiz:
    """Return a quiz of the given questions."""
    return Quiz("final", questions, pass_mark, rules.get("max_attempts"))


MIXED = quiz_of(
    single("q1"),
    Matching("q2", TEXT, tuple(Pair(i, TEXT, TEXT) for i in "abcd"), points=2),
    Numeric("q3", TEXT, 2.5, TEXT, TEXT),
)


@pytest.mark.parametrize(
    ("responses", "raw", "scaled", "passed"),
    [
        ({"q1": "a", "q2": {i: i for i in "abcd"}, "q3": 2.5}, 4.0, 1.0, True),
        (
            {"q1": "a", "q2": {"a": "a", "b": "b", "c": "d"}, "q3": 2.5},
            3.0,
            0.75,
            False,
        ),
        ({"q1": "a", "q2": {"a": "a", "b": "b"}}, 2.0, 0.5, False),
        ({"q1": "b", "q2": None, "q3": None}, 0.0, 0.0, False),
        ({}, 0.0, 0.0, False),
    ],
)
def test_grade_attempt(
    responses: dict[str, Any], raw: float, scaled: float, passed: bool
) -> None:
    """Add up the questions; a missing or None answer scores 0."""
    result = grade_attempt(MIXED, responses)
    assert (result.raw, result.max, result.scaled, result.passed) == (
        raw,
        4.0,
        scaled,
        passed,
    )
    assert [r.question_id for r in result.results] == ["q1", "q2", "q3"]


def test_missing_answer_is_recorded_as_unanswered() -> None:
    """Keep a result for an unanswered question, with no response and no points."""
    result = grade_attempt(MIXED, {"q1": "a"})
    unanswered = result.results[2]
    assert (unanswered.response, unanswered.score, unanswered.max_score) == (
        None,
        0.0,
        1.0,
    )
    assert not unanswered.correct


def test_response_to_unknown_question() -> None:
    """Reject a response for a question that is not in the quiz."""
    with pytest.raises(InvalidResponse) as caught:
        grade_attempt(MIXED, {"q1": "a", "q9": "a"})
    assert caught.value.question_id == "q9"


def test_malformed_response_in_attempt() -> None:
    """Reject an attempt holding a response of the wrong shape."""
    with pytest.raises(InvalidResponse) as caught:
        grade_attempt(MIXED, {"q3": "2,5"})
    assert caught.value.question_id == "q3"


@pytest.mark.parametrize(
    ("correct", "total", "pass_mark", "passed"),
    [
        (4, 5, 0.8, True),
        (3, 5, 0.8, False),
        (5, 5, 1.0, True),
        (1, 3, 0.33, True),
        (2, 3, 0.6667, True),
        (2, 3, 0.6668, False),
        (7, 10, 0.7, True),
    ],
)
def test_pass_mark_is_inclusive(
    correct: int, total: int, pass_mark: float, passed: bool
) -> None:
    """Pass at exactly the pass mark, compared with the scaled score shown."""
    quiz = quiz_of(*(single(f"q{i}") for i in range(total)), pass_mark=pass_mark)
    responses = {f"q{i}": "a" if i < correct else "b" for i in range(total)}
    result = grade_attempt(quiz, responses)
    assert result.passed is passed
    assert result.passed is (result.scaled >= pass_mark)


def test_scores_add_up_without_float_drift() -> None:
    """Pass 0.3 of 0.6 points at a 0.5 mark, which plain floats get wrong.

    0.3 / (0.1 + 0.2 + 0.3) is 0.4999999999999999 in binary floating point.
    """
    quiz = quiz_of(
        single("q1", 0.1), single("q2", 0.2), single("q3", 0.3), pass_mark=0.5
    )
    result = grade_attempt(quiz, {"q1": "b", "q2": "b", "q3": "a"})
    assert (result.raw, result.max, result.scaled, result.passed) == (
        0.3,
        0.6,
        0.5,
        True,
    )


@pytest.mark.parametrize(
    ("max_attempts", "used", "passed_before", "allowed", "left"),
    [
        (None, 0, False, True, None),
        (None, 99, False, True, None),
        (3, 0, False, True, 3),
        (3, 2, False, True, 1),
        (3, 3, False, False, 0),
        (3, 4, False, False, 0),
        (1, 0, False, True, 1),
        (3, 1, True, False, 2),
        (None, 1, True, False, None),
    ],
)
def test_attempt_rule(
    max_attempts: int | None,
    used: int,
    passed_before: bool,
    allowed: bool,
    left: int | None,
) -> None:
    """Allow attempts up to the limit, none after a pass; None means unlimited."""
    quiz = quiz_of(single("q1"), max_attempts=max_attempts)
    assert attempts_left(quiz, used) == left
    if allowed:
        check_can_attempt(quiz, used, passed_before)
        return
    with pytest.raises(AttemptLimitReached) as caught:
        check_can_attempt(quiz, used, passed_before)
    assert (caught.value.max_attempts, caught.value.attempts_used) == (
        max_attempts,
        used,
    )
    assert caught.value.passed_before is passed_before


@pytest.mark.parametrize(
    ("questions", "pass_mark", "max_attempts", "field"),
    [
        ((), 0.8, None, "questions"),
        ((single("q1"), single("q1")), 0.8, None, "questions[1].id"),
        ((single("q1"),), 0, None, "pass_mark"),
        ((single("q1"),), 1.5, None, "pass_mark"),
        ((single("q1"),), 0.8, 0, "max_attempts"),
    ],
)
def test_quiz_invariants(
    questions: tuple[Question, ...],
    pass_mark: float,
    max_attempts: int | None,
    field: str,
) -> None:
    """Refuse to build a quiz that could not be taken or graded."""
    with pytest.raises(InvalidQuestion) as caught:
        Quiz("final", questions, pass_mark, max_attempts)
    assert caught.value.field == field
