"""Read quiz activities through the assessment engine, with line numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from assessments import (
    QUESTION_TYPES,
    InvalidQuestion,
    Quiz,
    UnknownQuestionType,
    build_quiz,
)

from .document import ID_PATTERN, Document, Package, Table, missing_language
from .locate import KeyPath
from .model import LANGUAGES

_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_quiz(activity: Table, file: str, package: Package) -> Quiz | None:
    """Build a quiz file with the assessment engine and check its texts."""
    document = package.document(file)
    if document is None:
        return None
    quiz_id = activity.data.get("id")
    if not isinstance(quiz_id, str) or not ID_PATTERN.fullmatch(quiz_id):
        quiz_id = "quiz"  # module.toml reports the bad id; avoid a second error
    try:
        quiz = build_quiz(document.data, quiz_id=quiz_id, source=document.file)
    except UnknownQuestionType as error:
        _report_unknown_type(document, error.type_name)
        return None
    except InvalidQuestion as error:
        _report_invalid(document, error)
        return None
    check_texts(quiz, document)
    return quiz


def _report_unknown_type(document: Document, type_name: str) -> None:
    """Report an unknown question type at the question that uses it."""
    path = _question_of_type(document.data, type_name)
    known = ", ".join(QUESTION_TYPES)
    message = f"unknown question type '{type_name}' (expected one of: {known})"
    document.report(path, _label(path, document.data) + message)


def _report_invalid(document: Document, error: InvalidQuestion) -> None:
    """Report an invalid quiz or question at the line of its field."""
    path = field_path(error.field)
    field = ".".join(str(key) for key in _trailing_keys(path)) or error.field
    where = f"'{field}' " if field else ""
    document.report(path, f"{_label(path, document.data)}{where}{error.message}")


def field_path(field: str) -> KeyPath:
    """Turn an assessment field such as questions[2].options[0] into a path."""
    return tuple(name or int(index) for name, index in _FIELD_PART.findall(field or ""))


def _question_of_type(data: Mapping[str, Any], type_name: str) -> KeyPath:
    """Return the path of the type of the first question with this type."""
    questions = data.get("questions")
    for number, question in enumerate(questions if isinstance(questions, list) else []):
        if isinstance(question, dict) and str(question.get("type")) == type_name:
            return ("questions", number, "type")
    return ("questions",)


def _trailing_keys(path: KeyPath) -> KeyPath:
    """Return the keys after the last list index of a path."""
    indexes = [number for number, key in enumerate(path) if isinstance(key, int)]
    return path[indexes[-1] + 1 :] if indexes else path


def _label(path: KeyPath, data: Any) -> str:
    """Name the question and option a path leads into: "question 'q2': "."""
    names = []
    for number, key in enumerate(path):
        if isinstance(key, int):
            item = data[key] if isinstance(data, list) and key < len(data) else {}
            names.append(_item_name(path[number - 1], key, item))
            data = item
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return ", ".join(names) + ": " if names else ""


def _item_name(key: str | int, number: int, item: object) -> str:
    """Name a question, option, pair or item by its id: "option 'b'"."""
    noun = str(key).removesuffix("s")
    if isinstance(item, Mapping):
        identifier = item.get("id")
    else:
        identifier = getattr(item, "id", None)
    if isinstance(identifier, str) and identifier:
        return f"{noun} '{identifier}'"
    return f"{noun} {number + 1}"


def check_texts(quiz: Quiz, document: Document) -> None:
    """Report every text in the questions that lacks Danish or English."""
    for number, question in enumerate(quiz.questions):
        owner = _item_name("questions", number, question)
        for path, label, text in _texts(question, (), owner):
            _check_text(document, ("questions", number, *path), label, text)


def _check_text(
    document: Document, path: KeyPath, label: str, text: Mapping[str, str]
) -> None:
    """Report missing languages and unknown language keys in one text."""
    field = str(path[-1])
    for language in LANGUAGES:
        if not str(text.get(language) or "").strip():
            document.report(path, f"{label}: {missing_language(field, language)}")
    for language in text:
        if language not in LANGUAGES:
            message = f"'{field}' has an unknown language '{language}' (use da, en)"
            document.report(path, f"{label}: {message}")


def _texts(
    value: object, path: KeyPath, label: str
) -> Iterator[tuple[KeyPath, str, Mapping[str, str]]]:
    """Yield (path, label, text) for every language mapping inside a question."""
    if is_dataclass(value):
        for field in fields(value):
            yield from _texts(getattr(value, field.name), (*path, field.name), label)
    elif isinstance(value, Mapping):
        yield path, label, value
    elif isinstance(value, tuple | list):
        for number, item in enumerate(value):
            item_label = f"{label}, {_item_name(path[-1], number, item)}"
            yield from _texts(item, (*path, number), item_label)
