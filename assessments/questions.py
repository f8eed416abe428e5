"""Question types: their definitions, response parsing, grading and xAPI patterns."""

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from assessments.errors import InvalidQuestion, InvalidResponse

Text = Mapping[str, str]

#: Ids end up in xAPI response patterns and activity IRIs, so no spaces or brackets.
ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")

#: A number typed by a learner: digits with one optional "." or "," decimal mark.
NUMBER_PATTERN = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")

DELIMITER = "[,]"
PAIR_DELIMITER = "[.]"
RANGE_DELIMITER = "[:]"


@dataclass(frozen=True)
class Option:
    """Define one option of a choice question."""

    id: str
    text: Text
    correct: bool = False
    feedback: Text | None = None

    def __post_init__(self) -> None:
        check_id(self.id, "id")


@dataclass(frozen=True)
class Pair:
    """Define one left-right pair of a matching question."""

    id: str
    left: Text
    right: Text
    feedback: Text | None = None

    def __post_init__(self) -> None:
        check_id(self.id, "id")


@dataclass(frozen=True)
class Item:
    """Define one item of an ordering question."""

    id: str
    text: Text
    feedback: Text | None = None

    def __post_init__(self) -> None:
        check_id(self.id, "id")


@dataclass(frozen=True)
class QuestionResult:
    """Hold the grade of one response to one question."""

    question_id: str
    response: Any
    score: float
    max_score: float
    correct: bool


@dataclass(frozen=True)
class Question(ABC):
    """Define what every question type shares and must implement."""

    id: str
    prompt: Text
    points: float = field(default=1.0, kw_only=True)

    type_name: ClassVar[str]
    interaction_type: ClassVar[str]
    #: Whether showing the components in authored order gives the answer away.
    authored_order_reveals_answer: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_id(self.id, "id")
        if not is_number(self.points) or self.points <= 0:
            raise InvalidQuestion("points", "must be a number greater than 0")

    def grade(self, response: Any) -> QuestionResult:
        """Grade a parsed response; full marks count as correct."""
        self.check_response(response)
        share = self._share(response)
        score = _score(self.points, share)
        return QuestionResult(self.id, response, score, float(self.points), share == 1)

    def response_pattern(self, response: Any) -> str:
        """Return the xAPI ``result.response`` string for a parsed response."""
        self.check_response(response)
        return self._pattern(response)

    def feedback_for(self, response: Any) -> tuple[Text, ...]:
        """Return the feedback texts that apply to a parsed response."""
        self.check_response(response)
        return self._feedback(response)

    def component_ids(self) -> tuple[str, ...]:
        """Return the ids of the components the learner arranges or picks."""
        return ()

    def invalid(self, message: str) -> InvalidResponse:
        """Return an error about a response to this question."""
        return InvalidResponse(self.id, message)

    @abstractmethod
    def parse_response(self, raw: Any) -> Any:
        """Turn form input into a response, or raise InvalidResponse."""

    @abstractmethod
    def check_response(self, response: Any) -> None:
        """Raise InvalidResponse unless the parsed response fits this question."""

    @abstractmethod
    def correct_responses_pattern(self) -> list[str]:
        """Return the xAPI ``correctResponsesPattern``."""

    @abstractmethod
    def _share(self, response: Any) -> Fraction:
        """Return the share of the points a valid response earns."""

    @abstractmethod
    def _pattern(self, response: Any) -> str:
        """Return the xAPI response pattern of a valid response."""

    @abstractmethod
    def _feedback(self, response: Any) -> tuple[Text, ...]:
        """Return the feedback for a valid response."""


@dataclass(frozen=True)
class _ChoiceQuestion(Question):
    """Share the options, checks and patterns of the choice question types."""

    options: tuple[Option, ...]

    interaction_type: ClassVar[str] = "choice"

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.options) < 2:
            raise InvalidQuestion("options", "needs at least two options")
        check_unique((option.id for option in self.options), "options")
        for index, option in enumerate(self.options):
            if option.feedback is None:
                raise InvalidQuestion(f"options[{index}].feedback", "is missing")

    def component_ids(self) -> tuple[str, ...]:
        """Return the option ids in authored order."""
        return tuple(option.id for option in self.options)

    def correct_ids(self) -> tuple[str, ...]:
        """Return the ids of the correct options in authored order."""
        return tuple(option.id for option in self.options if option.correct)

    def _check_option_id(self, option_id: Any) -> None:
        if option_id not in self.component_ids():
            raise self.invalid(f"unknown option {option_id!r}")

    def _chosen(self, chosen_ids: Set[str]) -> tuple[Option, ...]:
        return tuple(option for option in self.options if option.id in chosen_ids)


@dataclass(frozen=True)
class SingleChoice(_ChoiceQuestion):
    """Ask for exactly one option; response: the option id."""

    type_name: ClassVar[str] = "single_choice"

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.correct_ids()) != 1:
            raise InvalidQuestion("options", "needs exactly one correct option")

    def parse_response(self, raw: Any) -> str:
        """Take an option id from a string or a one-element list."""
        if isinstance(raw, Sequence) and not isinstance(raw, str) and len(raw) == 1:
            raw = raw[0]
        if not isinstance(raw, str):
            raise self.invalid("expected one option id")
        option_id = raw.strip()
        self.check_response(option_id)
        return option_id

    def check_response(self, response: Any) -> None:
        """Require a known option id."""
        if not isinstance(response, str):
            raise self.invalid("expected one option id")
        self._check_option_id(response)

    def correct_responses_pattern(self) -> list[str]:
        """Return the id of the correct option."""
        return list(self.correct_ids())

    def _share(self, response: str) -> Fraction:
        return Fraction(response in self.correct_ids())

    def _pattern(self, response: str) -> str:
        return response

    def _feedback(self, response: str) -> tuple[Text, ...]:
        return _feedback_of(self._chosen({response}))


@dataclass(frozen=True)
class MultipleChoice(_ChoiceQuestion):
    """Ask for a set of options; full points only for the exact set."""

    type_name: ClassVar[str] = "multiple_choice"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.correct_ids():
            raise InvalidQuestion("options", "needs at least one correct option")

    def parse_response(self, raw: Any) -> frozenset[str]:
        """Take option ids from a string or a list of strings."""
        if isinstance(raw, str):
            raw = [raw] if raw.strip() else []
        if not isinstance(raw, Iterable) or isinstance(raw, Mapping):
            raise self.invalid("expected a list of option ids")
        chosen = frozenset(_strip_all(raw, self))
        self.check_response(chosen)
        return chosen

    def check_response(self, response: Any) -> None:
        """Require a set of known option ids."""
        if not isinstance(response, Set):
            raise self.invalid("expected a set of option ids")
        for option_id in response:
            self._check_option_id(option_id)

    def correct_responses_pattern(self) -> list[str]:
        """Return the correct option ids as one pattern."""
        return [DELIMITER.join(self.correct_ids())]

    def _share(self, response: Set[str]) -> Fraction:
        return Fraction(response == frozenset(self.correct_ids()))

    def _pattern(self, response: Set[str]) -> str:
        return DELIMITER.join(option.id for option in self._chosen(response))

    def _feedback(self, response: Set[str]) -> tuple[Text, ...]:
        return _feedback_of(self._chosen(response))


@dataclass(frozen=True)
class TrueFalse(Question):
    """Ask whether a statement is true; response: a bool."""

    answer: bool
    feedback_true: Text
    feedback_false: Text

    type_name: ClassVar[str] = "true_false"
    interaction_type: ClassVar[str] = "true-false"

    def parse_response(self, raw: Any) -> bool:
        """Take a bool, or the strings "true" and "false"."""
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        self.check_response(raw)
        return raw

    def check_response(self, response: Any) -> None:
        """Require a bool."""
        if not isinstance(response, bool):
            raise self.invalid('expected "true" or "false"')

    def correct_responses_pattern(self) -> list[str]:
        """Return "true" or "false"."""
        return [_bool_pattern(self.answer)]

    def _share(self, response: bool) -> Fraction:
        return Fraction(response == self.answer)

    def _pattern(self, response: bool) -> str:
        return _bool_pattern(response)

    def _feedback(self, response: bool) -> tuple[Text, ...]:
        return (self.feedback_true if response else self.feedback_false,)


@dataclass(frozen=True)
class Matching(Question):
    """Ask to match each left side to a right side; points per correct match.

    The response maps a left pair id to the id of the pair whose right side was
    chosen. Unmatched left sides may be left out.
    """

    pairs: tuple[Pair, ...]

    type_name: ClassVar[str] = "matching"
    interaction_type: ClassVar[str] = "matching"
    authored_order_reveals_answer: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.pairs) < 2:
            raise InvalidQuestion("pairs", "needs at least two pairs")
        check_unique(self.component_ids(), "pairs")

    def component_ids(self) -> tuple[str, ...]:
        """Return the pair ids in authored order."""
        return tuple(pair.id for pair in self.pairs)

    def parse_response(self, raw: Any) -> dict[str, str]:
        """Take a mapping of left id to right id; empty choices are left out."""
        if not isinstance(raw, Mapping):
            raise self.invalid("expected a mapping of left ids to right ids")
        matches = {
            _strip(left, self): _strip(right, self)
            for left, right in raw.items()
            if not _is_blank(right)
        }
        self.check_response(matches)
        return matches

    def check_response(self, response: Any) -> None:
        """Require a mapping between known pair ids."""
        if not isinstance(response, Mapping):
            raise self.invalid("expected a mapping of left ids to right ids")
        known = self.component_ids()
        for left, right in response.items():
            if left not in known or right not in known:
                raise self.invalid(f"unknown match {left!r} -> {right!r}")

    def correct_responses_pattern(self) -> list[str]:
        """Return every pair matched to itself."""
        return [self._pattern({pair_id: pair_id for pair_id in self.component_ids()})]

    def _share(self, response: Mapping[str, str]) -> Fraction:
        return Fraction(len(self._matched(response)), len(self.pairs))

    def _matched(self, response: Mapping[str, str]) -> set[str]:
        return {left for left, right in response.items() if left == right}

    def _pattern(self, response: Mapping[str, str]) -> str:
        return DELIMITER.join(
            f"{left}{PAIR_DELIMITER}{response[left]}"
            for left in self.component_ids()
            if left in response
        )

    def _feedback(self, response: Mapping[str, str]) -> tuple[Text, ...]:
        matched = self._matched(response)
        return _feedback_of(pair for pair in self.pairs if pair.id not in matched)


@dataclass(frozen=True)
class Ordering(Question):
    """Ask to put the items in order; full points only for the exact order.

    The items are defined in the correct order.
    """

    items: tuple[Item, ...]

    type_name: ClassVar[str] = "ordering"
    interaction_type: ClassVar[str] = "sequencing"
    authored_order_reveals_answer: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.items) < 2:
            raise InvalidQuestion("items", "needs at least two items")
        check_unique(self.component_ids(), "items")

    def component_ids(self) -> tuple[str, ...]:
        """Return the item ids in the correct order."""
        return tuple(item.id for item in self.items)

    def parse_response(self, raw: Any) -> tuple[str, ...]:
        """Take the item ids as a list in the learner's order."""
        if isinstance(raw, str | Mapping) or not isinstance(raw, Iterable):
            raise self.invalid("expected a list of item ids")
        order = tuple(_strip_all(raw, self))
        self.check_response(order)
        return order

    def check_response(self, response: Any) -> None:
        """Require every item id exactly once."""
        if not isinstance(response, tuple | list) or not all(
            isinstance(item_id, str) for item_id in response
        ):
            raise self.invalid("expected a sequence of item ids")
        if sorted(response) != sorted(self.component_ids()):
            raise self.invalid("expected every item exactly once")

    def correct_responses_pattern(self) -> list[str]:
        """Return the item ids in the correct order."""
        return [DELIMITER.join(self.component_ids())]

    def _share(self, response: Sequence[str]) -> Fraction:
        return Fraction(tuple(response) == self.component_ids())

    def _pattern(self, response: Sequence[str]) -> str:
        return DELIMITER.join(response)

    def _feedback(self, response: Sequence[str]) -> tuple[Text, ...]:
        return _feedback_of(
            item
            for item, given in zip(self.items, response, strict=True)
            if item.id != given
        )


@dataclass(frozen=True)
class Numeric(Question):
    """Ask for a number; correct within the tolerance on either side."""

    answer: float
    feedback_correct: Text
    feedback_incorrect: Text
    tolerance: float = field(default=0.0, kw_only=True)
    unit: Text | None = field(default=None, kw_only=True)

    type_name: ClassVar[str] = "numeric"
    interaction_type: ClassVar[str] = "numeric"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not is_number(self.answer):
            raise InvalidQuestion("answer", "must be a finite number")
        if not is_number(self.tolerance) or self.tolerance < 0:
            raise InvalidQuestion("tolerance", "must be a number of at least 0")

    def parse_response(self, raw: Any) -> float:
        """Take a number, or a string with a decimal point or comma."""
        if isinstance(raw, str):
            raw = _parse_number(raw, self)
        self.check_response(raw)
        return float(raw)

    def check_response(self, response: Any) -> None:
        """Require a finite number."""
        if not is_number(response):
            raise self.invalid("expected a number")

    def correct_responses_pattern(self) -> list[str]:
        """Return the answer, or the range ``min[:]max`` when there is a tolerance."""
        if not self.tolerance:
            return [format_number(self.answer)]
        low, high = self._bounds()
        return [f"{_format_decimal(low)}{RANGE_DELIMITER}{_format_decimal(high)}"]

    def _bounds(self) -> tuple[Decimal, Decimal]:
        answer, tolerance = _decimal(self.answer), _decimal(self.tolerance)
        return answer - tolerance, answer + tolerance

    def _share(self, response: float) -> Fraction:
        low, high = self._bounds()
        return Fraction(low <= _decimal(response) <= high)

    def _pattern(self, response: float) -> str:
        return format_number(response)

    def _feedback(self, response: float) -> tuple[Text, ...]:
        correct = self._share(response) == 1
        return (self.feedback_correct if correct else self.feedback_incorrect,)


QUESTION_TYPES: dict[str, type[Question]] = {
    question_type.type_name: question_type
    for question_type in (
        SingleChoice,
        MultipleChoice,
        TrueFalse,
        Matching,
        Ordering,
        Numeric,
    )
}


def check_id(value: Any, field_name: str) -> None:
    """Raise InvalidQuestion unless ``value`` is a usable id."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidQuestion(
            field_name, "must be letters, digits, '_', '.' or '-', without spaces"
        )


def check_unique(ids: Iterable[str], field_name: str) -> None:
    """Raise InvalidQuestion when an id occurs twice."""
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if item_id in seen:
            raise InvalidQuestion(f"{field_name}[{index}].id", f"{item_id!r} repeats")
        seen.add(item_id)


def format_number(value: float) -> str:
    """Format a number for an xAPI pattern, without exponent or trailing zeros."""
    return _format_decimal(_decimal(value))


def _format_decimal(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _decimal(value: float) -> Decimal:
    # repr() gives the shortest decimal that round-trips, so 0.1 stays 0.1.
    return Decimal(repr(float(value)))


def _parse_number(raw: str, question: Question) -> float:
    text = raw.strip().replace("\u2212", "-")  # a typographic minus sign
    if not NUMBER_PATTERN.fullmatch(text):
        raise question.invalid(f"{raw!r} is not a number")
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise question.invalid(f"{raw!r} is too large")
    return value


def is_number(value: Any) -> bool:
    """Tell whether ``value`` is a finite int or float, and not a bool."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _score(points: float, share: Fraction) -> float:
    if share == 1:
        return float(points)
    return float(round(Fraction(repr(float(points))) * share, 4))


def _bool_pattern(value: bool) -> str:
    return "true" if value else "false"


def _feedback_of(parts: Iterable[Option | Pair | Item]) -> tuple[Text, ...]:
    return tuple(part.feedback for part in parts if part.feedback is not None)


def _strip(value: Any, question: Question) -> str:
    if not isinstance(value, str):
        raise question.invalid(f"expected an id, got {value!r}")
    return value.strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _strip_all(values: Iterable[Any], question: Question) -> list[str]:
    return [_strip(value, question) for value in values]
