"""The locator finds the line of a key path in TOML text."""

import tomllib

import pytest

from modules.locate import index_lines, key_line, split_key

SAMPLE = '''\
# A comment with [brackets] and key = value
slug = "sample"
title = { da = "Titel", en = "Title" }

[objectives]
da = [
  "a = b",
  "[not a header]",
]
en = ["""multi
line"""]

[[activities]]
id = "intro"
kind = "lesson"

[activities.video]
src = "media/intro.mp4"

[[activities]]
id = "case"
"kind" = 'case'  # a quoted key
scenario.da = """
[[not-an-array]]
kind = "fake"
"""

[[questions]]
id = "q1"

[[questions.options]]
id = "a"

[[questions.options]]
id = "b"

[[questions]]
id = "q2"

[[questions.options]]
id = "c"
'''


@pytest.fixture(scope="module")
def index() -> dict:
    """Index the sample, which must itself be valid TOML."""
    tomllib.loads(SAMPLE)
    return index_lines(SAMPLE)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("slug",), 2),
        (("title",), 3),
        (("title", "en"), 3),
        (("objectives",), 5),
        (("objectives", "en"), 10),
        (("objectives", "fr"), 5),
        (("activities",), 13),
        (("activities", 0), 13),
        (("activities", 0, "kind"), 15),
        (("activities", 0, "video"), 17),
        (("activities", 0, "video", "src"), 18),
        (("activities", 0, "video", "captions"), 17),
        (("activities", 1), 20),
        (("activities", 1, "kind"), 22),
        (("activities", 1, "file"), 20),
        (("activities", 1, "scenario", "da"), 23),
        (("questions", 0), 28),
        (("questions", 0, "options", 0, "id"), 32),
        (("questions", 0, "options", 1), 34),
        (("questions", 0, "options", 1, "id"), 35),
        (("questions", 1, "options"), 40),
        (("questions", 1, "options", 0, "id"), 41),
        (("questions", 1, "options", 0, "feedback", "da"), 40),
        (("missing",), None),
        ((), None),
    ],
)
def test_key_line(index: dict, path: tuple, line: int | None) -> None:
    """Each path maps to its own line, or to the nearest table that holds it."""
    assert key_line(index, path) == line


def test_text_inside_strings_is_not_a_statement(index: dict) -> None:
    """Headers and keys inside multi-line strings and arrays are ignored."""
    assert ("not-an-array",) not in index
    assert ("activities", 1, "kind") in index
    assert ("activities", 2) not in index


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("title", ("title",)),
        (" questions.options ", ("questions", "options")),
        ('"a.b".c', ("a.b", "c")),
        ("'quoted key' . x", ("quoted key", "x")),
    ],
)
def test_split_key(raw: str, parts: tuple) -> None:
    """Dotted keys split on dots outside quotes."""
    assert split_key(raw) == parts


def test_multi_line_string_ending_in_quotes() -> None:
    """A multi-line string may end with up to two extra quote characters."""
    text = 'a = """say "hi""""\nb = 1\n'
    assert tomllib.loads(text)["a"] == 'say "hi"'
    assert index_lines(text)[("b",)] == 2


def test_escaped_quotes_and_literal_strings() -> None:
    """Escapes in basic strings and backslashes in literal strings are handled."""
    text = 'a = "x \\" [y]"\nb = \'C:\\path\\\'\nc = """\\""""\nd = 1\n'
    tomllib.loads(text)
    assert index_lines(text)[("d",)] == 4
