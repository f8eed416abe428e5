"""Reproducible order of questions and options for one attempt."""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from assessments.questions import Question
from assessments.quiz import Quiz


@dataclass(frozen=True)
class Presentation:
    """Hold the order in which an attempt shows questions and their components."""

    question_ids: tuple[str, ...]
    #: Per question id: option ids (choice), item ids (ordering) or the ids of the
    #: pairs whose right sides are offered (matching). Other types are absent.
    option_orders: Mapping[str, tuple[str, ...]]


def present(quiz: Quiz, seed: int | str) -> Presentation:
    """Order an attempt's questions and options; the same seed gives the same order.

    ``random.Random`` seeded with a string hashes it with SHA-512, never with
    ``hash()``, so the order is the same in every process.
    """
    question_ids = tuple(question.id for question in quiz.questions)
    if quiz.shuffle:
        question_ids = _shuffled(question_ids, _random(seed, "questions"))
    orders = {
        question.id: _component_order(question, quiz.shuffle, seed)
        for question in quiz.questions
        if question.component_ids()
    }
    return Presentation(question_ids, MappingProxyType(orders))


def _component_order(
    question: Question, shuffle: bool, seed: int | str
) -> tuple[str, ...]:
    ids = question.component_ids()
    if question.authored_order_reveals_answer:
        return _shuffled_away(ids, _random(seed, f"question:{question.id}"))
    if shuffle:
        return _shuffled(ids, _random(seed, f"question:{question.id}"))
    return ids


def _random(seed: int | str, purpose: str) -> random.Random:
    # One generator per purpose keeps a question's option order independent of
    # the other questions, so editing one question reshuffles only that one.
    return random.Random(f"{seed}/{purpose}")


def _shuffled(ids: tuple[str, ...], generator: random.Random) -> tuple[str, ...]:
    order = list(ids)
    generator.shuffle(order)
    return tuple(order)


def _shuffled_away(ids: tuple[str, ...], generator: random.Random) -> tuple[str, ...]:
    """Shuffle until the order differs from the authored one (which is the answer)."""
    if len(ids) < 2:
        return ids
    order = _shuffled(ids, generator)
    while order == ids:
        order = _shuffled(ids, generator)
    return order
