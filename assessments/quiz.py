"""Quizzes, and building questions and quizzes from parsed TOML tables."""

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any

from assessments.errors import InvalidQuestion, UnknownQuestionType
from assessments.questions import (
    QUESTION_TYPES,
    Question,
    Text,
    check_id,
    check_unique,
    is_number,
)

#: The keys a quiz file may have at its top level.
QUIZ_FIELDS = frozenset({"pass_mark", "max_attempts", "shuffle", "questions"})


@dataclass(frozen=True)
class Quiz:
    """Define a quiz: its questions, pass mark and attempt rule."""

    id: str
    questions: tuple[Question, ...]
    #: Share of the maximum score needed to pass, 0 < pass_mark <= 1.
    pass_mark: float
    #: None means unlimited.
    max_attempts: int | None
    shuffle: bool = True

    def __post_init__(self) -> None:
        check_id(self.id, "id")
        if not self.questions:
            raise InvalidQuestion("questions", "needs at least one question")
        check_unique((question.id for question in self.questions), "questions")
        if not is_number(self.pass_mark) or not 0 < self.pass_mark <= 1:
            raise InvalidQuestion("pass_mark", "must be above 0 and at most 1")
        if self.max_attempts is not None and not _is_count(self.max_attempts, 1):
            raise InvalidQuestion("max_attempts", "must be at least 1, or None")

    @property
    def max_score(self) -> float:
        """Return the sum of the points of all questions."""
        return float(sum(question.points for question in self.questions))


def build_question(data: Mapping[str, Any], *, source: str = "") -> Question:
    """Build a question from a parsed TOML table."""
    try:
        return _build_question(data, source)
    except InvalidQuestion as error:
        raise error.within(source=source) from None


def build_quiz(data: Mapping[str, Any], *, quiz_id: str, source: str = "") -> Quiz:
    """Build a quiz from a parsed quiz file; ``max_attempts = 0`` means unlimited."""
    try:
        return _build_quiz(data, quiz_id, source)
    except InvalidQuestion as error:
        raise error.within(source=source) from None


def _build_quiz(data: Mapping[str, Any], quiz_id: str, source: str) -> Quiz:
    _reject_unknown(_table(data, ""), QUIZ_FIELDS, "")
    if "pass_mark" not in data:
        raise InvalidQuestion("pass_mark", "is missing")
    max_attempts = _read_int(data.get("max_attempts", 0), "max_attempts")
    tables = _read_tables(data.get("questions", []), "questions")
    questions = tuple(
        _build_nth_question(table, index, source) for index, table in enumerate(tables)
    )
    return Quiz(
        id=quiz_id,
        questions=questions,
        pass_mark=_read_number(data["pass_mark"], "pass_mark"),
        max_attempts=max_attempts or None,
        shuffle=_read_bool(data.get("shuffle", True), "shuffle"),
    )


def _build_question(data: Any, source: str) -> Question:
    table = _table(data, "")
    type_name = table.get("type")
    if type_name is None:
        raise InvalidQuestion("type", "is missing")
    if not isinstance(type_name, str) or type_name not in QUESTION_TYPES:
        raise UnknownQuestionType(str(type_name), source)
    return _convert(QUESTION_TYPES[type_name], table, "", allowed={"type"})


def _build_nth_question(table: Any, index: int, source: str) -> Question:
    try:
        return _build_question(table, source)
    except InvalidQuestion as error:
        raise error.within(f"questions[{index}]") from None


def _convert(
    cls: type, table: Mapping[str, Any], path: str, allowed: set[str] | None = None
) -> Any:
    """Build the dataclass ``cls`` from a table, reading fields by their type."""
    hints = typing.get_type_hints(cls)
    _reject_unknown(table, {f.name for f in fields(cls)} | (allowed or set()), path)
    values = {}
    for attribute in fields(cls):
        if attribute.name in table:
            field_path = _join(path, attribute.name)
            values[attribute.name] = _read(
                hints[attribute.name], table[attribute.name], field_path
            )
        elif attribute.default is MISSING:
            raise InvalidQuestion(_join(path, attribute.name), "is missing")
    try:
        return cls(**values)
    except InvalidQuestion as error:
        raise error.within(path) from None


def _read(hint: Any, value: Any, path: str) -> Any:
    if hint in _READERS:
        return _READERS[hint](value, path)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _read(inner, value, path)
    if origin is tuple:
        return tuple(
            _convert(args[0], _table(table, f"{path}[{index}]"), f"{path}[{index}]")
            for index, table in enumerate(_read_tables(value, path))
        )
    raise TypeError(f"no reader for {hint!r}")


def _read_string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidQuestion(path, "must be a string")
    return value


def _read_number(value: Any, path: str) -> float:
    if not is_number(value):
        raise InvalidQuestion(path, "must be a number")
    return float(value)


def _read_int(value: Any, path: str) -> int:
    if not _is_count(value, 0):
        raise InvalidQuestion(path, "must be a whole number, 0 or more")
    return value


def _read_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidQuestion(path, "must be true or false")
    return value


def _read_text(value: Any, path: str) -> Text:
    if not isinstance(value, Mapping) or not value:
        raise InvalidQuestion(path, "must be a table of texts by language")
    for language, text in value.items():
        if not isinstance(language, str) or not isinstance(text, str):
            raise InvalidQuestion(path, "must map language codes to strings")
    return value


def _read_tables(value: Any, path: str) -> Sequence[Any]:
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise InvalidQuestion(path, "must be a list of tables")
    return value


def _table(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidQuestion(path, "must be a table")
    return value


def _reject_unknown(
    table: Mapping[str, Any], known: set[str] | frozenset[str], path: str
) -> None:
    for key in table:
        if key not in known:
            raise InvalidQuestion(_join(path, str(key)), "is not a known field")


def _is_count(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_READERS: dict[Any, Callable[[Any, str], Any]] = {
    str: _read_string,
    float: _read_number,
    bool: _read_bool,
    Text: _read_text,
}
