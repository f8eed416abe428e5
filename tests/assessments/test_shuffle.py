"""Reproducible presentation order of questions and options."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessments import (
    Item,
    Matching,
    Numeric,
    Option,
    Ordering,
    Pair,
    Quiz,
    SingleChoice,
    TrueFalse,
    present,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEXT = {"da": "tekst", "en": "text"}


def single(question_id: str, size: int = 4) -> SingleChoice:
    """Return a single-choice question with options o0, o1, ..."""
    options = tuple(Option(f"o{i}", TEXT, i == 0, TEXT) for i in range(size))
    return SingleChoice(question_id, TEXT, options)


def mixed_quiz(shuffle: bool = True) -> Quiz:
    """Return a quiz with one question of most types."""
    questions = (
        single("q1"),
        Ordering("q2", TEXT, tuple(Item(i, TEXT) for i in "abcd")),
        Matching("q3", TEXT, tuple(Pair(i, TEXT, TEXT) for i in "xyz")),
        TrueFalse("q4", TEXT, True, TEXT, TEXT),
        Numeric("q5", TEXT, 1, TEXT, TEXT),
    )
    return Quiz("final", questions, 0.8, None, shuffle)


def test_known_seed_gives_known_order() -> None:
    """Pin the order for a seed, so no change silently reshuffles open attempts."""
    presentation = present(mixed_quiz(), "attempt-1")
    assert presentation.question_ids == ("q5", "q1", "q4", "q3", "q2")
    assert dict(presentation.option_orders) == {
        "q1": ("o2", "o3", "o1", "o0"),
        "q2": ("b", "d", "a", "c"),
        "q3": ("y", "z", "x"),
    }


def test_order_is_the_same_in_another_process() -> None:
    """Give the same order in a fresh interpreter with a different hash seed."""
    code = (
        "import json; from tests.assessments.test_shuffle import mixed_quiz; "
        "from assessments import present; "
        "p = present(mixed_quiz(), 'attempt-1'); "
        "print(json.dumps([p.question_ids, dict(p.option_orders)]))"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environment,
    ).stdout
    presentation = present(mixed_quiz(), "attempt-1")
    expected = [list(presentation.question_ids), dict(presentation.option_orders)]
    assert json.loads(output) == json.loads(json.dumps(expected))


@pytest.mark.parametrize("seed", [0, 1, 42, "attempt-1", "e7c1"])
def test_same_seed_same_presentation(seed: int | str) -> None:
    """Give the same order every time for the same seed."""
    assert present(mixed_quiz(), seed) == present(mixed_quiz(), seed)


def test_without_shuffle_authored_order_except_where_it_gives_the_answer() -> None:
    """Keep the authored order, but still shuffle ordering items and matches."""
    presentation = present(mixed_quiz(shuffle=False), "attempt-1")
    assert presentation.question_ids == ("q1", "q2", "q3", "q4", "q5")
    assert presentation.option_orders["q1"] == ("o0", "o1", "o2", "o3")
    assert presentation.option_orders["q2"] != ("a", "b", "c", "d")
    assert sorted(presentation.option_orders["q2"]) == ["a", "b", "c", "d"]
    assert presentation.option_orders["q3"] != ("x", "y", "z")


@pytest.mark.parametrize("seed", range(20))
def test_two_items_are_always_swapped(seed: int) -> None:
    """Never show an ordering question in its correct order."""
    question = Ordering("q1", TEXT, (Item("first", TEXT), Item("second", TEXT)))
    quiz = Quiz("final", (question,), 1.0, None)
    assert present(quiz, seed).option_orders["q1"] == ("second", "first")


def test_types_without_components_have_no_option_order() -> None:
    """Leave out true/false and numeric questions, which have nothing to order."""
    assert set(present(mixed_quiz(), 3).option_orders) == {"q1", "q2", "q3"}


def test_different_seeds_give_different_orders() -> None:
    """Order 30 questions differently for two seeds (equal with chance 1/30!)."""
    quiz = Quiz("big", tuple(single(f"q{i}") for i in range(30)), 0.8, None)
    assert present(quiz, "a").question_ids != present(quiz, "b").question_ids
