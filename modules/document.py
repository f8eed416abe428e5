"""Read TOML files of a package, reporting every problem with its line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import PackageError
from .locate import KeyPath, index_lines, key_line
from .model import LANGUAGE_NAMES, LANGUAGES, Text

ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TOML_LINE = re.compile(r"\s*\(at line (\d+), (column \d+)\)|\s*\(at end of document\)")
_TEXT_EXAMPLE = '{ da = "...", en = "..." }'
_TYPE_NAMES = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a table",
}


def type_name(value: object) -> str:
    """Describe the TOML type of a value for an author."""
    return _TYPE_NAMES.get(type(value), "a date or time")


def decode(file: str, raw: bytes, errors: list[PackageError]) -> str | None:
    """Decode UTF-8 text, reporting the first line that is not valid."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        errors.append(PackageError(file, line, "the file is not valid UTF-8 text"))
        return None


def load_document(file: str, raw: bytes, errors: list[PackageError]) -> Document | None:
    """Parse a TOML file; report syntax errors and return None on failure."""
    text = decode(file, raw, errors)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        errors.append(_syntax_error(file, str(error), text))
        return None
    return Document(file, data, index_lines(text), errors)


def _syntax_error(file: str, message: str, text: str) -> PackageError:
    """Turn tomllib's message into an error at the line it names."""
    match = _TOML_LINE.search(message)
    line = len(text.splitlines()) or 1
    if match and match.group(1):
        line = int(match.group(1))
        message = message[: match.start()] + f" ({match.group(2)})"
    elif match:
        message = message[: match.start()] + " (at the end of the file)"
    return PackageError(file, line, f"invalid TOML: {message}")


class Document:
    """A parsed TOML file that knows the line of each key."""

    def __init__(
        self,
        file: str,
        data: dict[str, Any],
        index: dict[KeyPath, int],
        errors: list[PackageError],
    ) -> None:
        self.file = file
        self.data = data
        self.index = index
        self.errors = errors

    def line(self, path: KeyPath) -> int | None:
        """Return the line of a key path, or of the nearest table holding it."""
        return key_line(self.index, path)

    def report(self, path: KeyPath, message: str) -> None:
        """Record an error at the line of a key path."""
        self.errors.append(PackageError(self.file, self.line(path), message))

    def root(self) -> Table:
        """Return the top-level table."""
        return Table(self, self.data, ())


@dataclass(frozen=True)
class Table:
    """A TOML table with typed accessors that report what is wrong."""

    document: Document
    data: Mapping[str, Any]
    path: KeyPath

    def error(self, message: str, key: str | int | None = None) -> None:
        """Report an error at this table, or at one of its keys."""
        self.document.report(self.path if key is None else (*self.path, key), message)

    def check_keys(self, allowed: Iterable[str]) -> None:
        """Report every key that is not allowed here, such as a typo."""
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.error(f"unknown key '{key}' (expected one of: {expected})", key)

    def value(self, key: str, kind: type, *, required: bool = True) -> Any:
        """Return a value of the given type, or None if missing or wrong."""
        if key not in self.data:
            if required:
                self.error(f"missing required key '{key}'")
            return None
        value = self.data[key]
        if type(value) is not kind:
            self.error(
                f"'{key}' must be {_TYPE_NAMES[kind]}, not {type_name(value)}", key
            )
            return None
        return value

    def string(self, key: str, *, required: bool = True) -> str | None:
        """Return a non-empty string, or None if missing or wrong."""
        value = self.value(key, str, required=required)
        if value is not None and not value.strip():
            self.error(f"'{key}' must not be empty", key)
            return None
        return value

    def identifier(self, key: str = "id") -> str | None:
        """Return an id of lowercase letters, digits and hyphens."""
        value = self.string(key)
        if value is not None and not ID_PATTERN.fullmatch(value):
            self.error(
                f"'{key}' {value!r} must use lowercase letters, digits and hyphens",
                key,
            )
        return value

    def integer(
        self, key: str, *, required: bool = True, minimum: int = 1
    ) -> int | None:
        """Return a whole number of at least minimum, or None."""
        value = self.value(key, int, required=required)
        if value is not None and value < minimum:
            self.error(f"'{key}' must be at least {minimum}, not {value}", key)
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """Return true or false, or the default when missing."""
        value = self.value(key, bool, required=False)
        return default if value is None else value

    def table(self, key: str, *, required: bool = True) -> Table | None:
        """Return a sub-table, or None if missing or not a table."""
        value = self.value(key, dict, required=required)
        return None if value is None else Table(self.document, value, (*self.path, key))

    def tables(self, key: str, *, minimum: int = 0, noun: str = "entry") -> list[Table]:
        """Return an array of tables, reporting too few or wrong items."""
        if isinstance(self.data.get(key), dict):
            self.error(f"'{key}' must be a list of tables ([[{key}]])", key)
            return []
        items = self.value(key, list, required=minimum > 0)
        if items is None:
            return []
        if len(items) < minimum:
            self.error(
                f"'{key}' needs at least {minimum} {noun}, has {len(items)}", key
            )
        tables = []
        for number, item in enumerate(items):
            if type(item) is dict:
                tables.append(Table(self.document, item, (*self.path, key, number)))
            else:
                self.error(f"each '{key}' {noun} must be a table", key)
        return tables

    def text(self, key: str, *, required: bool = True) -> Text | None:
        """Return bilingual text with non-empty "da" and "en", or None."""
        if isinstance(self.data.get(key), str):
            self.error(
                f"'{key}' needs text in each language: {key} = {_TEXT_EXAMPLE}", key
            )
            return None
        table = self.table(key, required=required)
        if table is None:
            return None
        table.check_keys(LANGUAGES)
        return {language: table.language_text(key, language) for language in LANGUAGES}

    def language_text(self, field: str, language: str) -> str:
        """Return the non-empty text in one language, or "" after an error."""
        value = self.data.get(language)
        if value is not None and type(value) is not str:
            self.error(
                f"'{field}.{language}' must be a string, not {type_name(value)}",
                language,
            )
            return ""
        if not value or not value.strip():
            self.error(missing_language(field, language), language)
            return ""
        return value

    def text_lists(
        self, key: str, *, required: bool = True
    ) -> dict[str, tuple[str, ...]]:
        """Return lists of strings per language, the same length in each."""
        table = self.table(key, required=required)
        if table is None:
            return {language: () for language in LANGUAGES}
        table.check_keys(LANGUAGES)
        lists = {lang: table.language_list(key, lang) for lang in LANGUAGES}
        lengths = {len(items) for items in lists.values()}
        if len(lengths) > 1 and 0 not in lengths:
            counts = " and ".join(
                f"{len(lists[lang])} in '{lang}'" for lang in LANGUAGES
            )
            table.error(f"'{key}' needs as many items in each language ({counts})")
        return lists

    def language_list(self, field: str, language: str) -> tuple[str, ...]:
        """Return a non-empty list of non-empty strings in one language."""
        items = self.data.get(language)
        if not items:
            self.error(missing_language(field, language), language)
            return ()
        if type(items) is not list or not all(
            type(item) is str and item.strip() for item in items
        ):
            self.error(
                f"'{field}.{language}' must be a list of non-empty strings", language
            )
            return ()
        return tuple(items)


def missing_language(field: str, language: str) -> str:
    """Describe text that is missing in one language."""
    return f"'{field}' is missing the {LANGUAGE_NAMES[language]} text ('{language}')"


def check_unique_ids(tables: Iterable[Table], noun: str) -> None:
    """Report every table whose id repeats an earlier one."""
    seen: set[str] = set()
    for table in tables:
        identifier = table.data.get("id")
        if not isinstance(identifier, str):
            continue
        if identifier in seen:
            table.error(f"duplicate {noun} id '{identifier}'", "id")
        seen.add(identifier)


@dataclass(frozen=True)
class Package:
    """The files of a package being checked, and the errors found so far."""

    files: Mapping[str, bytes]
    name: str
    errors: list[PackageError]

    def file_name(self, path: str) -> str:
        """Return the path as shown in errors, prefixed with the folder name."""
        return f"{self.name}/{path}" if self.name else path

    def report(self, path: str, line: int | None, message: str) -> None:
        """Record an error in a package file that is not TOML."""
        self.errors.append(PackageError(self.file_name(path), line, message))

    def has(self, path: str) -> bool:
        """Tell whether the package holds a file at this path."""
        return path in self.files

    def document(self, path: str) -> Document | None:
        """Parse a TOML file of the package, or return None after an error."""
        return load_document(self.file_name(path), self.files[path], self.errors)

    def text(self, path: str) -> str | None:
        """Decode a text file of the package, or return None after an error."""
        return decode(self.file_name(path), self.files[path], self.errors)
