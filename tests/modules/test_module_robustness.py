"""The checker reports errors for any broken input and never crashes."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modules import PackageError, check_package, load_framework, read_package

FIXTURE = Path(__file__).parent / "fixtures" / "valid"
NAME = "sample-module"
FILES = read_package(FIXTURE / NAME)
FRAMEWORK = load_framework((FIXTURE / "competences.toml").read_bytes())
TEXT_FILES = sorted(path for path in FILES if path.endswith((".toml", ".md")))
TOML_CHARACTERS = "[]{}=\"'\n#., abc12_-"


def assert_sensible(errors: list[PackageError], files: dict[str, bytes]) -> None:
    """Every error names a package file and a line inside it, or no line."""
    for error in errors:
        path = error.file.removeprefix(f"{NAME}/")
        assert path in files or path == "module.toml", error
        if error.line is not None and path in files:
            assert 1 <= error.line <= files[path].count(b"\n") + 1, error


@pytest.mark.parametrize("path", TEXT_FILES)
def test_deleting_any_line(path: str) -> None:
    """Removing any single line gives errors or none, never an exception."""
    lines = FILES[path].decode().splitlines(keepends=True)
    for number in range(len(lines)):
        text = "".join(lines[:number] + lines[number + 1 :])
        files = {**FILES, path: text.encode()}
        assert_sensible(check_package(files, FRAMEWORK, name=NAME), files)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_edits(data: st.DataObject) -> None:
    """Replacing any stretch of text with TOML-ish characters never crashes."""
    path = data.draw(st.sampled_from(TEXT_FILES))
    text = FILES[path].decode()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 30)))
    insert = data.draw(st.text(alphabet=TOML_CHARACTERS, max_size=12))
    files = {**FILES, path: (text[:start] + insert + text[end:]).encode()}
    assert_sensible(check_package(files, FRAMEWORK, name=NAME), files)
