"""Checking folders on disk: the framework, one module, or a folder of modules."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modules import (
    PackageError,
    PackageInvalid,
    check_path,
    load_catalog,
    load_framework,
    shipped_root,
)

FIXTURE = Path(__file__).parent / "fixtures" / "valid"
NAME = "sample-module"
FRAMEWORK = "competences.toml"


@pytest.fixture
def modules_folder(tmp_path: Path) -> Path:
    """Copy the valid fixture (framework and one module) into a temporary folder."""
    folder = tmp_path / "modules"
    shutil.copytree(FIXTURE, folder)
    return folder


def replace(path: Path, old: str, new: str) -> None:
    """Replace text in a file, which must contain it."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_folder_of_modules_is_valid() -> None:
    """The fixture folder, with its framework and module, has no errors."""
    assert check_path(FIXTURE) == []


def test_single_module_is_valid() -> None:
    """A module folder is checked against the framework beside it."""
    assert check_path(FIXTURE / NAME) == []


def test_empty_folder(tmp_path: Path) -> None:
    """A folder with no module.toml and no modules gives one error saying so."""
    (error,) = check_path(tmp_path)
    assert error.file == tmp_path.name
    assert error.line is None
    assert "neither a module folder" in error.message


def test_missing_folder(tmp_path: Path) -> None:
    """A path that does not exist is reported, not raised."""
    (error,) = check_path(tmp_path / "nothing")
    assert "neither a module folder" in error.message


def test_errors_in_a_folder_of_modules(modules_folder: Path) -> None:
    """Errors name the module folder, and framework errors are included."""
    replace(modules_folder / NAME / "module.toml", "level = 2", "level = 9")
    replace(modules_folder / FRAMEWORK, 'id = "communicate"', 'id = "Communicate"')
    errors = check_path(modules_folder)
    assert [(error.file, error.line) for error in errors] == [
        (FRAMEWORK, 22),
        (f"{NAME}/module.toml", 14),
    ]


def test_errors_in_a_single_module(modules_folder: Path) -> None:
    """A single module's errors are named relative to its parent folder."""
    replace(modules_folder / NAME / "module.toml", "level = 2", "level = 9")
    assert check_path(modules_folder / NAME) == [
        PackageError(
            f"{NAME}/module.toml", 14, "level 9 is not a level of the framework (1, 2)"
        )
    ]


def test_single_module_without_framework_uses_the_shipped_one(tmp_path: Path) -> None:
    """Without competences.toml beside it, a module uses the shipped framework."""
    shutil.copytree(FIXTURE / NAME, tmp_path / NAME)
    assert check_path(tmp_path / NAME) == []
    replace(tmp_path / NAME / "module.toml", "level = 2", "level = 4")
    (error,) = check_path(tmp_path / NAME)
    assert "(1, 2, 3)" in error.message


def test_module_slug_must_match_its_folder(modules_folder: Path) -> None:
    """A module copied to another folder name must change its slug."""
    (modules_folder / NAME).rename(modules_folder / "renamed")
    (error,) = check_path(modules_folder)
    assert (error.file, error.line) == ("renamed/module.toml", 1)
    assert "must equal the folder name 'renamed'" in error.message


def test_stray_folder_is_reported(modules_folder: Path) -> None:
    """A sub-folder without module.toml is an error; hidden and _ folders are not."""
    (modules_folder / "draft").mkdir()
    (modules_folder / ".cache").mkdir()
    (modules_folder / "_templates").mkdir()
    (modules_folder / "__pycache__").mkdir()
    (error,) = check_path(modules_folder)
    assert error.file == "draft"
    assert "no module.toml" in error.message


def test_broken_framework_still_checks_modules(modules_folder: Path) -> None:
    """A syntax error in the framework does not hide the modules' errors."""
    replace(modules_folder / FRAMEWORK, "value = 1", "value = ")
    replace(modules_folder / NAME / "module.toml", '"1.2.0"', '"1.2"')
    errors = check_path(modules_folder)
    assert [(error.file, error.line) for error in errors] == [
        (FRAMEWORK, 4),
        (f"{NAME}/module.toml", 2),
    ]


def test_load_catalog_raises_with_every_error(modules_folder: Path) -> None:
    """load_catalog raises PackageInvalid listing every error."""
    replace(modules_folder / NAME / "module.toml", "level = 2", "level = 9")
    replace(modules_folder / NAME / "lessons/01-intro.da.md", "## Hvorfor", "# Hvorfor")
    with pytest.raises(PackageInvalid) as raised:
        load_catalog(modules_folder)
    assert [str(error).split(": ")[0] for error in raised.value.errors] == [
        f"{NAME}/lessons/01-intro.da.md:1",
        f"{NAME}/module.toml:14",
    ]


FRAMEWORK_EDITS = [
    pytest.param("value = 2", "value = ", 9, "invalid TOML", id="syntax"),
    pytest.param("value = 2", "value = 1", 9, "duplicate level value 1", id="level"),
    pytest.param("value = 2", "value = 0", 9, "at least 1", id="level-zero"),
    pytest.param(
        'id = "communicate.relationship"',
        'id = "use.video"',
        26,
        "duplicate competence id 'use.video'",
        id="duplicate-competence",
    ),
    pytest.param(
        'id = "use.video"',
        'id = "Use video"',
        18,
        "lowercase letters, digits, dots and hyphens",
        id="competence-id",
    ),
    pytest.param(
        ', en = "Video consultations" }',
        " }",
        19,
        "'name' is missing the English text ('en')",
        id="competence-name",
    ),
    pytest.param(
        'en = "Knows the concepts." }',
        'en = "" }',
        6,
        "'description' is missing the English",
        id="level-description",
    ),
    pytest.param("[[levels]]", "[[level]]", 3, "unknown key 'level'", id="typo"),
    pytest.param(
        'id = "use"',
        'id = "use"\ncolour = "red"',
        15,
        "unknown key 'colour'",
        id="area",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "fragment"), FRAMEWORK_EDITS)
def test_framework_errors(old: str, new: str, line: int | None, fragment: str) -> None:
    """Errors in competences.toml name the line; load_framework raises them all."""
    text = (FIXTURE / FRAMEWORK).read_text()
    assert old in text
    with pytest.raises(PackageInvalid) as raised:
        load_framework(text.replace(old, new, 1).encode())
    found = [e for e in raised.value.errors if fragment in e.message]
    assert found, str(raised.value)
    assert {(error.file, error.line) for error in found} == {(FRAMEWORK, line)}


def shipped_modules() -> list[str]:
    """Return the names of the shipped module folders."""
    root = shipped_root()
    return sorted(p.name for p in root.iterdir() if (p / "module.toml").is_file())


def test_shipped_root() -> None:
    """The shipped modules live beside the package's code, with the framework."""
    assert (shipped_root() / FRAMEWORK).is_file()
    framework = load_framework((shipped_root() / FRAMEWORK).read_bytes())
    assert framework.competence("use.video").area_id == "use"
    assert [level.value for level in framework.levels] == [1, 2, 3]


@pytest.mark.parametrize("name", shipped_modules())
def test_shipped_module_is_valid(name: str) -> None:
    """Every module that ships passes the checker."""
    errors = check_path(shipped_root() / name)
    assert not errors, "\n".join(str(error) for error in errors)


def test_shipped_folder_is_valid() -> None:
    """The shipped folder as a whole passes, so the catalog loads."""
    errors = check_path(shipped_root())
    assert not errors, "\n".join(str(error) for error in errors)


def test_importing_modules_loads_no_web_framework() -> None:
    """The package imports without Flask, SQLAlchemy or the web app."""
    code = (
        "import modules, sys; "
        "assert 'flask' not in sys.modules; "
        "loaded = [n for n in ('sqlalchemy', 'lms', 'xapi') if n in sys.modules]; "
        "assert not loaded, loaded"
    )
    root = Path(__file__).parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
