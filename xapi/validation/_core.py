"""Shared building blocks of statement validation: failures, types, maps, formats."""

# Leaf checks take ``(value, path, key)`` and build the ``path.key`` string only when
# they fail, and callers test ``obj.keys() <= ALLOWED`` inline before calling
# fail_unknown_key, so the happy path allocates no path strings and makes few calls.

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from xapi.errors import StatementValidationError
from xapi.formats import is_iri, is_irl, is_language_tag, is_uuid

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}
IRI = "an absolute IRI with a scheme"
IRL = "an absolute IRL with a scheme"
UUID = "a UUID in standard string form"


def fail(path: str, message: str) -> NoReturn:
    """Raise a StatementValidationError for ``path``."""
    raise StatementValidationError(path, message)


def json_type(value: object) -> str:
    """Name the JSON type of ``value`` for error messages."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def shown(value: object) -> str:
    """Return a short printable form of ``value`` for error messages."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail_type(value: object, path: str, expected: str) -> NoReturn:
    """Fail because ``value`` has the wrong JSON type (null included)."""
    if value is None:
        fail(path, f"must be {expected}, not null (null values are not allowed)")
    fail(path, f"must be {expected}, not {json_type(value)}")


def fail_format(value: object, path: str, expected: str) -> NoReturn:
    """Fail because ``value`` is not a string of the ``expected`` format."""
    if not isinstance(value, str):
        fail_type(value, path, expected)
    fail(path, f"must be {expected}, got {shown(value)}")


def require_array(value: object, path: str) -> list[Any]:
    """Return ``value`` if it is a JSON array, else fail."""
    if isinstance(value, list):
        return value
    fail_type(value, path, "an array")


def fail_unknown_key(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    """Fail at the first property of ``obj`` that is not in ``allowed``."""
    for key in obj:
        if key not in allowed:
            fail(f"{path}.{key}", unknown_key_message(key, allowed))


def unknown_key_message(key: str, allowed: Iterable[str]) -> str:
    """Explain an unknown property, pointing out a case mismatch if there is one."""
    for name in allowed:
        if name.lower() == key.lower():
            return f"is not an allowed property (names are case-sensitive: {name!r})"
    return f"is not an allowed property here (allowed: {', '.join(sorted(allowed))})"


def require_keys(obj: dict[str, Any], required: tuple[str, ...], path: str) -> None:
    """Fail at the first name in ``required`` that ``obj`` lacks."""
    for key in required:
        if key not in obj:
            fail(f"{path}.{key}", "is required")


def at(path: str, key: str | None) -> str:
    """Return the path of property ``key`` below ``path`` (``path`` if key is None)."""
    return path if key is None else f"{path}.{key}"


def check_str(value: object, path: str, key: str | None = None) -> str:
    """Return ``value`` if it is a string, else fail at ``path.key``."""
    if isinstance(value, str):
        return value
    fail_type(value, at(path, key), "a string")


def check_bool(value: object, path: str, key: str | None = None) -> bool:
    """Return ``value`` if it is a boolean, else fail at ``path.key``."""
    if value is True or value is False:
        return value
    fail_type(value, at(path, key), "a boolean")


def check_int(value: object, path: str, key: str | None = None) -> int:
    """Return ``value`` if it is an integer (not a boolean), else fail."""
    if type(value) is int:
        return value
    fail_type(value, at(path, key), "an integer")


def optional_number(obj: dict[str, Any], key: str, path: str) -> float | None:
    """Return the finite number ``obj[key]``, None if absent; fail on non-numbers."""
    if key not in obj:
        return None
    value = obj[key]
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return value
    if kind is float:
        fail(f"{path}.{key}", "must be a finite number")
    fail_type(value, f"{path}.{key}", "a number")


def check_formatted(
    value: object, test: Callable[[str], bool], what: str, path: str, key: str | None
) -> str:
    """Return ``value`` if it is a string passing ``test``, else fail."""
    if isinstance(value, str) and test(value):
        return value
    fail_format(value, at(path, key), what)


def check_iri(value: object, path: str, key: str | None = None) -> str:
    """Return ``value`` if it is an absolute IRI with a scheme, else fail."""
    if isinstance(value, str) and is_iri(value):
        return value
    fail_format(value, at(path, key), IRI)


def check_irl(value: object, path: str, key: str | None = None) -> str:
    """Return ``value`` if it is an absolute IRL with a scheme, else fail."""
    if isinstance(value, str) and is_irl(value):
        return value
    fail_format(value, at(path, key), IRL)


def check_uuid(value: object, path: str, key: str | None = None) -> str:
    """Return ``value`` if it is a UUID in standard string form, else fail."""
    if isinstance(value, str) and is_uuid(value):
        return value
    fail_format(value, at(path, key), UUID)


def check_language_map(value: object, path: str, key: str | None = None) -> None:
    """Check a language map: RFC 5646 tags as keys, strings as values (Data 4.2)."""
    if not isinstance(value, dict):
        fail_type(value, at(path, key), "a language map object")
    for tag, text in value.items():
        if not (isinstance(text, str) and is_language_tag(tag)):
            _fail_language_entry(tag, text, at(path, key))


def _fail_language_entry(tag: str, text: object, path: str) -> NoReturn:
    """Explain why one language map entry is invalid."""
    if not is_language_tag(tag):
        fail(f"{path}.{tag}", "language map keys must be RFC 5646 language tags")
    fail_type(text, f"{path}.{tag}", "a string")


def validate_language_map(value: object, *, path: str = "languageMap") -> None:
    """Check a language map: RFC 5646 tags as keys, strings as values (Data 4.2)."""
    check_language_map(value, path)


def check_extensions(value: object, path: str, key: str | None = None) -> None:
    """Check an extensions map: IRI keys, any JSON values incl. null (Data 4.1)."""
    if not isinstance(value, dict):
        fail_type(value, at(path, key), "an extensions object")
    for name in value:
        if not is_iri(name):
            fail(f"{at(path, key)}.{name}", "extension keys must be absolute IRIs")


def validate_extensions(value: object, *, path: str = "extensions") -> None:
    """Check an extensions map: IRI keys, any JSON values incl. null (Data 4.1)."""
    check_extensions(value, path)
