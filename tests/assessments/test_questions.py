"""Each question type: parsing, grading, xAPI patterns and feedback."""

from typing import Any

import pytest

from assessments import (
    InvalidResponse,
    Item,
    Matching,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Pair,
    Question,
    SingleChoice,
    TrueFalse,
)


def text(label: str) -> dict[str, str]:
    """Return a bilingual text whose content shows where it came from."""
    return {"da": f"{label} (da)", "en": f"{label} (en)"}


def option(option_id: str, correct: bool = False) -> Option:
    """Return an option with feedback named after it."""
    return Option(option_id, text(option_id), correct, text(f"feedback {option_id}"))


SINGLE = SingleChoice(
    "single", text("prompt"), (option("a", True), option("b"), option("c"))
)
MULTIPLE = MultipleChoice(
    "multiple",
    text("prompt"),
    (option("a", True), option("b", True), option("c")),
    points=2,
)
TRUE_FALSE = TrueFalse(
    "tf", text("prompt"), True, text("said true"), text("said false")
)
MATCHING = Matching(
    "matching",
    text("prompt"),
    tuple(Pair(i, text(f"l{i}"), text(f"r{i}"), text(f"feedback {i}")) for i in "abcd"),
    points=2,
)
MATCHING_THREE = Matching(
    "matching3", text("prompt"), tuple(Pair(i, text(i), text(i)) for i in "abc")
)
ORDERING = Ordering(
    "ordering",
    text("prompt"),
    tuple(Item(i, text(i), text(f"feedback {i}")) for i in "abc"),
)
NUMERIC = Numeric(
    "numeric",
    text("prompt"),
    3.5,
    text("right"),
    text("wrong"),
    tolerance=0.1,
    unit=text("mg"),
)
EXACT_NUMERIC = Numeric("exact", text("prompt"), 12, text("right"), text("wrong"))


@pytest.mark.parametrize(
    ("question", "response", "score", "correct"),
    [
        (SINGLE, "a", 1.0, True),
        (SINGLE, "b", 0.0, False),
        (MULTIPLE, frozenset({"a", "b"}), 2.0, True),
        (MULTIPLE, {"b", "a"}, 2.0, True),
        (MULTIPLE, frozenset({"a"}), 0.0, False),
        (MULTIPLE, frozenset({"a", "b", "c"}), 0.0, False),
        (MULTIPLE, frozenset(), 0.0, False),
        (TRUE_FALSE, True, 1.0, True),
        (TRUE_FALSE, False, 0.0, False),
        (MATCHING, {"a": "a", "b": "b", "c": "c", "d": "d"}, 2.0, True),
        (MATCHING, {"a": "a", "b": "b", "c": "d", "d": "c"}, 1.0, False),
        (MATCHING, {"a": "a"}, 0.5, False),
        (MATCHING, {"a": "b", "b": "a"}, 0.0, False),
        (MATCHING, {}, 0.0, False),
        (MATCHING_THREE, {"a": "a", "b": "c"}, 0.3333, False),
        (MATCHING_THREE, {"a": "a", "b": "b", "c": "a"}, 0.6667, False),
        (ORDERING, ("a", "b", "c"), 1.0, True),
        (ORDERING, ["a", "b", "c"], 1.0, True),
        (ORDERING, ("b", "a", "c"), 0.0, False),
        (NUMERIC, 3.5, 1.0, True),
        (NUMERIC, 3.4, 1.0, True),
        (NUMERIC, 3.6, 1.0, True),
        (NUMERIC, 3.61, 0.0, False),
        (NUMERIC, 3.39, 0.0, False),
        (EXACT_NUMERIC, 12, 1.0, True),
        (EXACT_NUMERIC, 12.0001, 0.0, False),
    ],
)
def test_grade(question: Question, response: Any, score: float, correct: bool) -> None:
    """Grade a parsed response: full marks, none, or a share for matching."""
    result = question.grade(response)
    assert (result.question_id, result.response) == (question.id, response)
    assert (result.score, result.max_score, result.correct) == (
        score,
        question.points,
        correct,
    )


@pytest.mark.parametrize(
    ("question", "raw", "parsed"),
    [
        (SINGLE, "a", "a"),
        (SINGLE, " b ", "b"),
        (SINGLE, ["c"], "c"),
        (MULTIPLE, ["a", "b"], frozenset({"a", "b"})),
        (MULTIPLE, ("c",), frozenset({"c"})),
        (MULTIPLE, "a", frozenset({"a"})),
        (MULTIPLE, [], frozenset()),
        (MULTIPLE, "", frozenset()),
        (TRUE_FALSE, "true", True),
        (TRUE_FALSE, " False ", False),
        (TRUE_FALSE, True, True),
        (MATCHING, {"a": "b", "b": "a"}, {"a": "b", "b": "a"}),
        (MATCHING, {"a": "b", "c": "", "d": None}, {"a": "b"}),
        (ORDERING, ["c", "a", "b"], ("c", "a", "b")),
        (NUMERIC, "3,5", 3.5),
        (NUMERIC, "3.5", 3.5),
        (NUMERIC, " -2 ", -2.0),
        (NUMERIC, "\u22121,25", -1.25),
        (NUMERIC, ",5", 0.5),
        (NUMERIC, "4", 4.0),
        (NUMERIC, 4, 4.0),
        (NUMERIC, 0.25, 0.25),
    ],
)
def test_parse_response(question: Question, raw: Any, parsed: Any) -> None:
    """Turn form input into the response type of the question."""
    assert question.parse_response(raw) == parsed


@pytest.mark.parametrize(
    ("question", "raw"),
    [
        (SINGLE, "z"),
        (SINGLE, ""),
        (SINGLE, ["a", "b"]),
        (SINGLE, 1),
        (SINGLE, None),
        (MULTIPLE, ["a", "z"]),
        (MULTIPLE, {"a": "b"}),
        (MULTIPLE, [1]),
        (MULTIPLE, 5),
        (TRUE_FALSE, "yes"),
        (TRUE_FALSE, ""),
        (TRUE_FALSE, 1),
        (TRUE_FALSE, None),
        (MATCHING, {"z": "a"}),
        (MATCHING, {"a": "z"}),
        (MATCHING, {"a": 1}),
        (MATCHING, ["a"]),
        (ORDERING, ["a", "b"]),
        (ORDERING, ["a", "a", "b"]),
        (ORDERING, ["a", "b", "z"]),
        (ORDERING, "abc"),
        (ORDERING, 3),
        (NUMERIC, ""),
        (NUMERIC, "  "),
        (NUMERIC, "abc"),
        (NUMERIC, "3,5,1"),
        (NUMERIC, "1.000,5"),
        (NUMERIC, "3 5"),
        (NUMERIC, "1e5"),
        (NUMERIC, "nan"),
        (NUMERIC, "inf"),
        (NUMERIC, "9" * 400),
        (NUMERIC, None),
        (NUMERIC, True),
        (NUMERIC, float("nan")),
    ],
)
def test_parse_response_rejects_malformed_input(question: Question, raw: Any) -> None:
    """Raise InvalidResponse naming the question for input of the wrong shape."""
    with pytest.raises(InvalidResponse) as caught:
        question.parse_response(raw)
    assert caught.value.question_id == question.id
    assert question.id in str(caught.value)


@pytest.mark.parametrize(
    ("question", "response"),
    [
        (SINGLE, ["a"]),
        (SINGLE, "z"),
        (MULTIPLE, ["a", "b"]),
        (MULTIPLE, "a"),
        (TRUE_FALSE, "true"),
        (MATCHING, [("a", "a")]),
        (ORDERING, "abc"),
        (ORDERING, ("a", "b")),
        (NUMERIC, "3.5"),
        (NUMERIC, float("inf")),
    ],
)
@pytest.mark.parametrize("method", ["grade", "response_pattern", "feedback_for"])
def test_unparsed_response_is_rejected(
    question: Question, response: Any, method: str
) -> None:
    """Refuse to grade, describe or comment on a response that was never parsed."""
    with pytest.raises(InvalidResponse):
        getattr(question, method)(response)


@pytest.mark.parametrize(
    ("question", "response", "pattern"),
    [
        (SINGLE, "b", "b"),
        (MULTIPLE, frozenset({"b", "a"}), "a[,]b"),
        (MULTIPLE, frozenset({"c"}), "c"),
        (MULTIPLE, frozenset(), ""),
        (TRUE_FALSE, False, "false"),
        (MATCHING, {"b": "a", "a": "b"}, "a[.]b[,]b[.]a"),
        (MATCHING, {"c": "c"}, "c[.]c"),
        (ORDERING, ("c", "a", "b"), "c[,]a[,]b"),
        (NUMERIC, 3.5, "3.5"),
        (NUMERIC, 4.0, "4"),
        (NUMERIC, -0.25, "-0.25"),
        (NUMERIC, 1e-05, "0.00001"),
        (NUMERIC, 1e20, "100000000000000000000"),
    ],
)
def test_response_pattern(question: Question, response: Any, pattern: str) -> None:
    """Write the response in the xAPI 1.0.3 pattern of its interaction type."""
    assert question.response_pattern(response) == pattern


@pytest.mark.parametrize(
    ("question", "interaction_type", "patterns"),
    [
        (SINGLE, "choice", ["a"]),
        (MULTIPLE, "choice", ["a[,]b"]),
        (TRUE_FALSE, "true-false", ["true"]),
        (MATCHING, "matching", ["a[.]a[,]b[.]b[,]c[.]c[,]d[.]d"]),
        (ORDERING, "sequencing", ["a[,]b[,]c"]),
        (NUMERIC, "numeric", ["3.4[:]3.6"]),
        (EXACT_NUMERIC, "numeric", ["12"]),
        (
            Numeric("n", text("p"), 0.3, text("r"), text("w"), tolerance=0.1),
            "numeric",
            ["0.2[:]0.4"],
        ),
    ],
)
def test_correct_responses_pattern(
    question: Question, interaction_type: str, patterns: list[str]
) -> None:
    """Describe the correct answer as an xAPI correctResponsesPattern."""
    assert question.interaction_type == interaction_type
    assert question.correct_responses_pattern() == patterns


@pytest.mark.parametrize(
    ("question", "response", "feedback"),
    [
        (SINGLE, "b", [text("feedback b")]),
        (MULTIPLE, frozenset({"c", "a"}), [text("feedback a"), text("feedback c")]),
        (MULTIPLE, frozenset(), []),
        (TRUE_FALSE, True, [text("said true")]),
        (TRUE_FALSE, False, [text("said false")]),
        (
            MATCHING,
            {"a": "a", "b": "c"},
            [text("feedback b"), text("feedback c"), text("feedback d")],
        ),
        (MATCHING, {i: i for i in "abcd"}, []),
        (MATCHING_THREE, {}, []),
        (ORDERING, ("b", "a", "c"), [text("feedback a"), text("feedback b")]),
        (ORDERING, ("a", "b", "c"), []),
        (NUMERIC, 3.55, [text("right")]),
        (NUMERIC, 9, [text("wrong")]),
    ],
)
def test_feedback_for(
    question: Question, response: Any, feedback: list[dict[str, str]]
) -> None:
    """Give the chosen options' feedback, or that of what was placed wrongly."""
    assert question.feedback_for(response) == tuple(feedback)


def test_numeric_keeps_its_unit() -> None:
    """Carry the unit through untouched for the page to show."""
    assert NUMERIC.unit == text("mg")
    assert EXACT_NUMERIC.unit is None


def test_questions_are_frozen() -> None:
    """Refuse to change a question after it is built."""
    with pytest.raises(AttributeError):
        SINGLE.points = 5  # type: ignore[misc]
