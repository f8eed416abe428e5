"""Building questions and quizzes from parsed TOML, and the errors authors see."""

import copy
import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from assessments import (
    QUESTION_TYPES,
    InvalidQuestion,
    Matching,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    SingleChoice,
    TrueFalse,
    UnknownQuestionType,
    build_question,
    build_quiz,
)

QUIZ_TOML = """
pass_mark = 0.8
max_attempts = 3

[[questions]]
id = "q1"
type = "single_choice"
prompt = { da = "Hvad gør du først?", en = "What do you do first?" }

[[questions.options]]
id = "a"
text = { da = "Tester lyden", en = "Test the sound" }
correct = true
feedback = { da = "Ja.", en = "Yes." }

[[questions.options]]
id = "b"
text = { da = "Ringer op", en = "Call" }
feedback = { da = "Nej.", en = "No." }

[[questions]]
id = "q2"
type = "multiple_choice"
points = 2
prompt = { da = "Vælg", en = "Choose" }

[[questions.options]]
id = "a"
text = { da = "A", en = "A" }
correct = true
feedback = { da = "a", en = "a" }

[[questions.options]]
id = "b"
text = { da = "B", en = "B" }
correct = true
feedback = { da = "b", en = "b" }

[[questions.options]]
id = "c"
text = { da = "C", en = "C" }
feedback = { da = "c", en = "c" }

[[questions]]
id = "q3"
type = "true_false"
prompt = { da = "Sandt?", en = "True?" }
answer = false
feedback_true = { da = "Nej", en = "No" }
feedback_false = { da = "Ja", en = "Yes" }

[[questions]]
id = "q4"
type = "matching"
points = 1.5
prompt = { da = "Par", en = "Pairs" }

[[questions.pairs]]
id = "cam"
left = { da = "Kamera", en = "Camera" }
right = { da = "Se", en = "See" }

[[questions.pairs]]
id = "mic"
left = { da = "Mikrofon", en = "Mic" }
right = { da = "Tale", en = "Talk" }
feedback = { da = "f", en = "f" }

[[questions]]
id = "q5"
type = "ordering"
prompt = { da = "Rækkefølge", en = "Order" }
items = [
  { id = "plan", text = { da = "Planlæg", en = "Plan" } },
  { id = "call", text = { da = "Ring", en = "Call" } },
]

[[questions]]
id = "q6"
type = "numeric"
prompt = { da = "Dosis?", en = "Dose?" }
answer = 2.5
tolerance = 0.25
unit = { da = "mg", en = "mg" }
feedback_correct = { da = "Rigtigt", en = "Right" }
feedback_incorrect = { da = "Forkert", en = "Wrong" }
"""

SOURCE = "modules/video/quizzes/final.toml"


def text(label: str) -> dict[str, str]:
    """Return a bilingual text table."""
    return {"da": label, "en": label}


def choice(type_name: str = "single_choice") -> dict[str, Any]:
    """Return a valid choice question table."""
    return {
        "id": "q1",
        "type": type_name,
        "prompt": text("prompt"),
        "options": [
            {"id": "a", "text": text("a"), "correct": True, "feedback": text("fa")},
            {"id": "b", "text": text("b"), "feedback": text("fb")},
        ],
    }


def quiz_table(**changes: Any) -> dict[str, Any]:
    """Return a valid quiz table with some top-level keys changed."""
    table = {"pass_mark": 0.5, "max_attempts": 2, "questions": [choice()]}
    table.update(changes)
    return {key: value for key, value in table.items() if value is not None}


VALID = {
    "single_choice": choice(),
    "multiple_choice": choice("multiple_choice"),
    "true_false": {
        "id": "q1",
        "type": "true_false",
        "prompt": text("p"),
        "answer": True,
        "feedback_true": text("t"),
        "feedback_false": text("f"),
    },
    "matching": {
        "id": "q1",
        "type": "matching",
        "prompt": text("p"),
        "pairs": [
            {"id": "x", "left": text("l"), "right": text("r")},
            {"id": "y", "left": text("l"), "right": text("r")},
        ],
    },
    "ordering": {
        "id": "q1",
        "type": "ordering",
        "prompt": text("p"),
        "items": [{"id": "x", "text": text("x")}, {"id": "y", "text": text("y")}],
    },
    "numeric": {
        "id": "q1",
        "type": "numeric",
        "prompt": text("p"),
        "answer": 3,
        "feedback_correct": text("c"),
        "feedback_incorrect": text("i"),
    },
}


def test_registry_has_every_type() -> None:
    """List the six question types by their TOML names."""
    assert QUESTION_TYPES == {
        "single_choice": SingleChoice,
        "multiple_choice": MultipleChoice,
        "true_false": TrueFalse,
        "matching": Matching,
        "ordering": Ordering,
        "numeric": Numeric,
    }
    assert all(cls.type_name == name for name, cls in QUESTION_TYPES.items())


def test_build_quiz_from_toml() -> None:
    """Build every question type from a quiz file as authors write it."""
    quiz = build_quiz(tomllib.loads(QUIZ_TOML), quiz_id="final", source=SOURCE)
    assert (quiz.id, quiz.pass_mark, quiz.max_attempts, quiz.shuffle) == (
        "final",
        0.8,
        3,
        True,
    )
    assert [type(question) for question in quiz.questions] == [
        SingleChoice,
        MultipleChoice,
        TrueFalse,
        Matching,
        Ordering,
        Numeric,
    ]
    single, multiple, true_false, matching, ordering, numeric = quiz.questions
    assert single.options[0] == Option(
        "a",
        {"da": "Tester lyden", "en": "Test the sound"},
        True,
        {"da": "Ja.", "en": "Yes."},
    )
    assert single.points == 1.0 and isinstance(single.points, float)
    assert multiple.points == 2.0 and multiple.correct_ids() == ("a", "b")
    assert true_false.answer is False
    assert matching.points == 1.5 and matching.pairs[0].feedback is None
    assert ordering.component_ids() == ("plan", "call")
    assert (numeric.answer, numeric.tolerance, numeric.unit) == (
        2.5,
        0.25,
        {"da": "mg", "en": "mg"},
    )
    assert quiz.max_score == 7.5


@pytest.mark.parametrize("type_name", sorted(VALID))
def test_build_question_of_each_type(type_name: str) -> None:
    """Build each type from its smallest valid table."""
    question = build_question(VALID[type_name])
    assert isinstance(question, QUESTION_TYPES[type_name])
    assert (question.id, question.points) == ("q1", 1.0)


def test_text_is_passed_through() -> None:
    """Keep text tables as given; languages are the module loader's business."""
    table = choice()
    table["prompt"] = {"da": "kun dansk"}
    assert build_question(table).prompt is table["prompt"]


def test_unknown_type_names_type_and_source() -> None:
    """Raise UnknownQuestionType naming the type and the file."""
    table = {**choice(), "type": "essay"}
    with pytest.raises(UnknownQuestionType) as caught:
        build_question(table, source=SOURCE)
    assert (caught.value.type_name, caught.value.source) == ("essay", SOURCE)
    assert "essay" in str(caught.value) and SOURCE in str(caught.value)


def test_unknown_type_inside_a_quiz_names_the_source() -> None:
    """Report an unknown type in a quiz file with that file's name."""
    table = quiz_table(questions=[choice(), {**choice(), "id": "q2", "type": "x"}])
    with pytest.raises(UnknownQuestionType, match="'x' in modules/video"):
        build_quiz(table, quiz_id="final", source=SOURCE)


def mutate(type_name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Return a deep copy of a valid table with ``change`` applied."""
    table = copy.deepcopy(VALID[type_name])
    change(table)
    return table


def set_key(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Return a change that sets a dotted path such as ``options.1.feedback``."""

    def change(table: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            table = table[part]
        table[last] = value

    return change


def drop_key(path: str) -> Callable[[dict[str, Any]], None]:
    """Return a change that removes a dotted path."""

    def change(table: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            table = table[part]
        del table[last]

    return change


@pytest.mark.parametrize(
    ("type_name", "change", "field"),
    [
        ("single_choice", drop_key("type"), "type"),
        ("single_choice", drop_key("id"), "id"),
        ("single_choice", set_key("id", "q 1"), "id"),
        ("single_choice", set_key("id", 7), "id"),
        ("single_choice", drop_key("prompt"), "prompt"),
        ("single_choice", set_key("prompt", "just a string"), "prompt"),
        ("single_choice", set_key("prompt", {"da": 1}), "prompt"),
        ("single_choice", set_key("prompt", {}), "prompt"),
        ("single_choice", set_key("points", 0), "points"),
        ("single_choice", set_key("points", -1), "points"),
        ("single_choice", set_key("points", "2"), "points"),
        ("single_choice", set_key("points", True), "points"),
        ("single_choice", set_key("points", float("nan")), "points"),
        ("single_choice", set_key("feedbak", {}), "feedbak"),
        ("single_choice", set_key("options.1.correct", True), "options"),
        ("single_choice", set_key("options.0.correct", False), "options"),
        ("single_choice", set_key("options.1.id", "a"), "options[1].id"),
        ("single_choice", drop_key("options.1.feedback"), "options[1].feedback"),
        ("single_choice", drop_key("options.0.text"), "options[0].text"),
        ("single_choice", set_key("options.0.correct", "yes"), "options[0].correct"),
        ("single_choice", set_key("options.0.colour", "red"), "options[0].colour"),
        ("single_choice", set_key("options.1", "b"), "options[1]"),
        ("single_choice", set_key("options", "a, b"), "options"),
        ("single_choice", set_key("options", []), "options"),
        ("single_choice", drop_key("options.1"), "options"),
        ("single_choice", drop_key("options"), "options"),
        ("multiple_choice", set_key("options.0.correct", False), "options"),
        ("multiple_choice", set_key("options.1.id", "a b"), "options[1].id"),
        ("true_false", set_key("answer", "true"), "answer"),
        ("true_false", drop_key("answer"), "answer"),
        ("true_false", drop_key("feedback_false"), "feedback_false"),
        ("matching", drop_key("pairs.1"), "pairs"),
        ("matching", drop_key("pairs.0.right"), "pairs[0].right"),
        ("matching", set_key("pairs.1.id", "x"), "pairs[1].id"),
        ("matching", set_key("pairs.1.feedback", "f"), "pairs[1].feedback"),
        ("ordering", drop_key("items.1"), "items"),
        ("ordering", set_key("items.1.id", "x"), "items[1].id"),
        ("numeric", drop_key("answer"), "answer"),
        ("numeric", set_key("answer", "3,5"), "answer"),
        ("numeric", set_key("answer", float("inf")), "answer"),
        ("numeric", set_key("tolerance", -0.5), "tolerance"),
        ("numeric", set_key("unit", {"da": 5}), "unit"),
        ("numeric", drop_key("feedback_incorrect"), "feedback_incorrect"),
    ],
)
def test_invalid_question(
    type_name: str, change: Callable[[dict[str, Any]], None], field: str
) -> None:
    """Raise InvalidQuestion naming the field, the problem and the file."""
    with pytest.raises(InvalidQuestion) as caught:
        build_question(mutate(type_name, change), source=SOURCE)
    assert caught.value.field == field
    assert caught.value.source == SOURCE
    assert caught.value.message
    assert str(caught.value).startswith(f"{SOURCE}: {field}: ")


def test_question_must_be_a_table() -> None:
    """Reject a question that is not a TOML table."""
    with pytest.raises(InvalidQuestion):
        build_question(["q1"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pass_mark": None}, "pass_mark"),
        ({"pass_mark": 0}, "pass_mark"),
        ({"pass_mark": 1.01}, "pass_mark"),
        ({"pass_mark": "0.8"}, "pass_mark"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"max_attempts": 1.5}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"questions": None}, "questions"),
        ({"questions": []}, "questions"),
        ({"questions": {"id": "q1"}}, "questions"),
        ({"questions": [choice(), choice()]}, "questions[1].id"),
        ({"title": text("Final")}, "title"),
        (
            {"questions": [choice(), mutate("numeric", drop_key("answer"))]},
            "questions[1].answer",
        ),
        (
            {
                "questions": [
                    {**choice(), "id": "q0"},
                    mutate("single_choice", drop_key("options.0.feedback")),
                ]
            },
            "questions[1].options[0].feedback",
        ),
    ],
)
def test_invalid_quiz(changes: dict[str, Any], field: str) -> None:
    """Raise InvalidQuestion with the path to the bad field in the quiz file."""
    with pytest.raises(InvalidQuestion) as caught:
        build_quiz(quiz_table(**changes), quiz_id="final", source=SOURCE)
    assert (caught.value.field, caught.value.source) == (field, SOURCE)
    assert SOURCE in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "max_attempts", "shuffle"),
    [
        ({"max_attempts": 0}, None, True),
        ({"max_attempts": None}, None, True),
        ({"max_attempts": 1}, 1, True),
        ({"shuffle": False}, 2, False),
        ({"pass_mark": 1}, 2, True),
    ],
)
def test_quiz_defaults(
    changes: dict[str, Any], max_attempts: int | None, shuffle: bool
) -> None:
    """Read 0 or no max_attempts as unlimited, and shuffle by default."""
    quiz = build_quiz(quiz_table(**changes), quiz_id="final")
    assert (quiz.max_attempts, quiz.shuffle) == (max_attempts, shuffle)
