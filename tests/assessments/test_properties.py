"""Property-based tests of grading and presentation."""

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assessments import (
    Item,
    Matching,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Pair,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
    format_number,
    grade_attempt,
    present,
)

TEXT = {"da": "tekst", "en": "text"}
SETTINGS = settings(max_examples=100, deadline=None)

points = st.sampled_from([0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0])
numbers = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
component_counts = st.integers(2, 6)


def ids(count: int, prefix: str = "c") -> list[str]:
    """Return ``count`` distinct ids."""
    return [f"{prefix}{i}" for i in range(count)]


@st.composite
def single_choices(draw: st.DrawFn, question_id: str = "q") -> SingleChoice:
    """Draw a single-choice question with one correct option."""
    count = draw(component_counts)
    correct = draw(st.integers(0, count - 1))
    options = tuple(
        Option(oid, TEXT, i == correct, TEXT) for i, oid in enumerate(ids(count))
    )
    return SingleChoice(question_id, TEXT, options, points=draw(points))


@st.composite
def multiple_choices(draw: st.DrawFn, question_id: str = "q") -> MultipleChoice:
    """Draw a multiple-choice question with at least one correct option."""
    flags = draw(st.lists(st.booleans(), min_size=2, max_size=6).filter(any))
    options = tuple(
        Option(oid, TEXT, flag, TEXT)
        for oid, flag in zip(ids(len(flags)), flags, strict=True)
    )
    return MultipleChoice(question_id, TEXT, options, points=draw(points))


@st.composite
def true_falses(draw: st.DrawFn, question_id: str = "q") -> TrueFalse:
    """Draw a true/false question."""
    answer = draw(st.booleans())
    return TrueFalse(question_id, TEXT, answer, TEXT, TEXT, points=draw(points))


@st.composite
def matchings(draw: st.DrawFn, question_id: str = "q") -> Matching:
    """Draw a matching question."""
    pairs = tuple(Pair(pid, TEXT, TEXT) for pid in ids(draw(component_counts)))
    return Matching(question_id, TEXT, pairs, points=draw(points))


@st.composite
def orderings(draw: st.DrawFn, question_id: str = "q") -> Ordering:
    """Draw an ordering question."""
    items = tuple(Item(iid, TEXT) for iid in ids(draw(component_counts)))
    return Ordering(question_id, TEXT, items, points=draw(points))


@st.composite
def numerics(draw: st.DrawFn, question_id: str = "q") -> Numeric:
    """Draw a numeric question."""
    tolerance = draw(st.sampled_from([0.0, 0.01, 0.5, 2.0]))
    return Numeric(
        question_id,
        TEXT,
        draw(numbers),
        TEXT,
        TEXT,
        tolerance=tolerance,
        points=draw(points),
    )


KINDS = [single_choices, multiple_choices, true_falses, matchings, orderings, numerics]


def questions(question_id: str = "q") -> st.SearchStrategy[Question]:
    """Draw a question of any type."""
    return st.one_of([kind(question_id) for kind in KINDS])


def responses(question: Question) -> st.SearchStrategy[Any]:
    """Draw any valid parsed response to ``question``."""
    components = st.sampled_from(question.component_ids() or ("unused",))
    if isinstance(question, SingleChoice):
        return components
    if isinstance(question, MultipleChoice):
        return st.frozensets(components)
    if isinstance(question, TrueFalse):
        return st.booleans()
    if isinstance(question, Matching):
        return st.dictionaries(components, components)
    if isinstance(question, Ordering):
        return st.permutations(question.component_ids()).map(tuple)
    return numbers


def correct_response(question: Question) -> Any:
    """Return the response that earns full marks."""
    if isinstance(question, SingleChoice):
        return question.correct_ids()[0]
    if isinstance(question, MultipleChoice):
        return frozenset(question.correct_ids())
    if isinstance(question, TrueFalse):
        return question.answer
    if isinstance(question, Matching):
        return {pair_id: pair_id for pair_id in question.component_ids()}
    if isinstance(question, Ordering):
        return question.component_ids()
    assert isinstance(question, Numeric)
    return question.answer


@st.composite
def question_and_response(draw: st.DrawFn) -> tuple[Question, Any]:
    """Draw a question and a valid response to it."""
    question = draw(questions())
    return question, draw(responses(question))


@st.composite
def quizzes(draw: st.DrawFn, max_size: int = 8) -> Quiz:
    """Draw a quiz of up to ``max_size`` questions of any type."""
    size = draw(st.integers(1, max_size))
    members = tuple(draw(questions(f"q{i}")) for i in range(size))
    pass_mark = draw(st.integers(1, 100)) / 100
    return Quiz("quiz", members, pass_mark, None, draw(st.booleans()))


@st.composite
def quiz_and_responses(draw: st.DrawFn) -> tuple[Quiz, dict[str, Any]]:
    """Draw a quiz and answers to some of its questions."""
    quiz = draw(quizzes())
    answered = [q for q in quiz.questions if draw(st.booleans())]
    return quiz, {q.id: draw(responses(q)) for q in answered}


@SETTINGS
@given(question_and_response())
def test_grading_is_pure_and_deterministic(case: tuple[Question, Any]) -> None:
    """Grade the same response the same way twice, leaving it unchanged."""
    question, response = case
    before = repr(response)
    assert question.grade(response) == question.grade(response)
    assert question.response_pattern(response) == question.response_pattern(response)
    assert repr(response) == before


@SETTINGS
@given(question_and_response())
def test_score_is_within_bounds(case: tuple[Question, Any]) -> None:
    """Score between 0 and the points; correct means full marks."""
    question, response = case
    result = question.grade(response)
    assert 0 <= result.score <= result.max_score == question.points
    assert result.correct == (result.score == result.max_score)


@SETTINGS
@given(questions())
def test_correct_response_gets_full_marks(question: Question) -> None:
    """Give full marks, and the correct pattern, to the correct response."""
    response = correct_response(question)
    result = question.grade(response)
    assert result.correct and result.score == question.points
    if not (isinstance(question, Numeric) and question.tolerance):
        assert question.response_pattern(response) in (
            question.correct_responses_pattern()
        )


@SETTINGS
@given(question_and_response())
def test_correct_iff_pattern_is_a_correct_pattern(case: tuple[Question, Any]) -> None:
    """Agree with correctResponsesPattern for every type without a tolerance."""
    question, response = case
    if isinstance(question, Numeric) and question.tolerance:
        return
    pattern = question.response_pattern(response)
    correct = pattern in question.correct_responses_pattern()
    assert question.grade(response).correct == correct


@SETTINGS
@given(numbers, st.sampled_from([".", ","]))
def test_numbers_survive_a_form_round_trip(number: float, decimal_mark: str) -> None:
    """Parse a formatted number back to itself, with a point or a comma."""
    question = Numeric("q", TEXT, 0, TEXT, TEXT)
    typed = format_number(number).replace(".", decimal_mark)
    assert question.parse_response(typed) == number


@SETTINGS
@given(quiz_and_responses())
def test_attempt_scaled_and_passed(case: tuple[Quiz, dict[str, Any]]) -> None:
    """Scale into [0, 1] and pass exactly when scaled reaches the pass mark."""
    quiz, answers = case
    result = grade_attempt(quiz, answers)
    assert 0 <= result.scaled <= 1
    assert 0 <= result.raw <= result.max
    assert result.passed == (result.scaled >= quiz.pass_mark)
    assert result.max == pytest.approx(sum(q.points for q in quiz.questions))
    assert result.raw == pytest.approx(sum(r.score for r in result.results))


@SETTINGS
@given(quizzes())
def test_all_correct_passes(quiz: Quiz) -> None:
    """Pass every quiz when every answer is correct."""
    answers = {q.id: correct_response(q) for q in quiz.questions}
    result = grade_attempt(quiz, answers)
    assert (result.scaled, result.passed) == (1.0, True)


@SETTINGS
@given(quizzes(), st.integers() | st.text(max_size=20))
def test_presentation_is_a_deterministic_permutation(quiz: Quiz, seed: Any) -> None:
    """Show every question and component once, the same way for the same seed."""
    presentation = present(quiz, seed)
    assert presentation == present(quiz, seed)
    assert sorted(presentation.question_ids) == sorted(q.id for q in quiz.questions)
    for question in quiz.questions:
        authored = question.component_ids()
        if not authored:
            assert question.id not in presentation.option_orders
            continue
        order = presentation.option_orders[question.id]
        assert sorted(order) == sorted(authored)
        if question.authored_order_reveals_answer:
            assert order != authored


@SETTINGS
@given(st.integers(), st.integers())
def test_different_seeds_reorder_a_big_quiz(first: int, second: int) -> None:
    """Order 25 questions differently for different seeds (equal w.p. 1/25!)."""
    assume(first != second)
    quiz = Quiz(
        "big",
        tuple(TrueFalse(f"q{i}", TEXT, True, TEXT, TEXT) for i in range(25)),
        0.5,
        None,
    )
    assert present(quiz, first).question_ids != present(quiz, second).question_ids
