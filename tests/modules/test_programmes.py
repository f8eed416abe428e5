"""programmes.toml: the valid file loads, and every error names the file and line."""

import shutil
from pathlib import Path

import pytest

from modules import (
    PackageError,
    PackageInvalid,
    Programme,
    ProgrammeActivity,
    check_path,
    check_programmes,
    load_catalog,
    load_programmes,
)

SHIPPED = Path(__file__).resolve().parents[2] / "modules"
FILE = "programmes.toml"
MODULES = {"alpha", "beta", "gamma"}
VALID = """\
# Two programmes.

[[programmes]]
slug = "first"
version = "1.0.0"
title = { da = "Første", en = "First" }
summary = { da = "Et forløb.", en = "A programme." }
certificate_valid_months = 12
modules = [
  "alpha",
  "beta",
]

[[programmes.activities]]
id = "kick-off"
kind = "meeting"
title = { da = "Opstart", en = "Kick-off" }
required = false

[[programmes.activities]]
id = "talk"
kind = "webinar"
title = { da = "Webinar", en = "Webinar" }
required = false

[[programmes.activities]]
id = "final"
kind = "meeting"
title = { da = "Afslutning", en = "Final meeting" }

# The second programme.
[[programmes]]
slug = "second"
version = "2.1.0"
title = { da = "Andet", en = "Second" }
summary = { da = "Endnu et.", en = "Another." }
modules = ["gamma"]
"""


def load(text: str = VALID, slugs=MODULES) -> tuple[Programme, ...]:
    """Load programmes from text."""
    return load_programmes(text.encode(), slugs)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """Return the line holding the n-th occurrence of fragment."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{fragment!r} not in the text")


def test_the_valid_file_loads() -> None:
    """Every field is read as written, in the order written."""
    first, second = load()
    assert first.slug == "first" and first.version == "1.0.0"
    assert first.title == {"da": "Første", "en": "First"}
    assert first.summary == {"da": "Et forløb.", "en": "A programme."}
    assert first.certificate_valid_months == 12
    assert first.modules == ("alpha", "beta")
    assert first.activities == (
        ProgrammeActivity(
            "kick-off", "meeting", {"da": "Opstart", "en": "Kick-off"}, False
        ),
        ProgrammeActivity("talk", "webinar", {"da": "Webinar", "en": "Webinar"}, False),
        ProgrammeActivity(
            "final", "meeting", {"da": "Afslutning", "en": "Final meeting"}, True
        ),
    )
    assert [a.id for a in first.required_activities] == ["final"]
    assert first.activity("talk").kind == "webinar"
    assert first.activity("nothing") is None
    assert second.modules == ("gamma",) and second.activities == ()
    assert second.certificate_valid_months is None


def test_each_programme_keeps_its_own_block_and_hash() -> None:
    """A published version holds its own block, which loads again on its own."""
    first, second = load()
    assert first.source.decode().startswith('[[programmes]]\nslug = "first"')
    assert "second" not in first.source.decode()
    assert "# The second programme." not in first.source.decode()
    assert second.source.decode().startswith('[[programmes]]\nslug = "second"')
    (again,) = load_programmes(first.source, None)
    assert again == first
    edited = VALID.replace('summary = { da = "Endnu et."', 'summary = { da = "Nyt."')
    first_after, second_after = load(edited)
    assert first_after.content_hash == first.content_hash
    assert second_after.content_hash != second.content_hash


def test_module_slugs_none_skips_the_existence_check() -> None:
    """A published programme is read back without the module folders."""
    assert load(slugs=None)[0].modules == ("alpha", "beta")
    with pytest.raises(PackageInvalid):
        load(slugs=set())


# (old text, new text, line given as text on the expected line, message fragment)
ERRORS = [
    ("# Two programmes.", 'owner = "x"', 'owner = "x"', "unknown key 'owner'"),
    (
        "certificate_valid_months = 12",
        'certificate_valid_months = 12\ncolour = "red"',
        'colour = "red"',
        "unknown key 'colour'",
    ),
    (
        'id = "talk"',
        'id = "talk"\ndone_when = "attended"',
        "done_when",
        "unknown key 'done_when'",
    ),
    ('  "beta",', '  "beta",\n  "delta",', '"delta"', "unknown module 'delta'"),
    ('  "beta",', '  "beta",\n  "alpha",', ('"alpha"', 2), "listed twice"),
    ('  "beta",', "  7,", "modules = [", "must be a module slug"),
    ('  "beta",', '  "Beta Module",', '"Beta Module"', "must be a module slug"),
    ('modules = ["gamma"]', "modules = []", "modules = []", "at least 1 module"),
    (
        'modules = ["gamma"]',
        "",
        ("[[programmes]]", 2),
        "missing required key 'modules'",
    ),
    (
        'slug = "second"',
        'slug = "first"',
        ('slug = "first"', 2),
        "duplicate programme slug",
    ),
    ('id = "talk"', 'id = "kick-off"', ('id = "kick-off"', 2), "duplicate activity id"),
    (
        'kind = "webinar"',
        'kind = "lesson"',
        'kind = "lesson"',
        "unknown programme activity kind",
    ),
    (
        'kind = "webinar"',
        "",
        ("[[programmes.activities]]", 2),
        "missing required key 'kind'",
    ),
    (
        'title = { da = "Første", en = "First" }',
        'title = { da = "Første" }',
        'title = { da = "Første" }',
        "English text ('en')",
    ),
    (
        'summary = { da = "Endnu et.", en = "Another." }',
        'summary = { da = "", en = "Another." }',
        'summary = { da = ""',
        "Danish text ('da')",
    ),
    (
        'title = { da = "Opstart", en = "Kick-off" }',
        'title = "Opstart"',
        'title = "Opstart"',
        "needs text in each language",
    ),
    ('slug = "second"', 'slug = "Second!"', 'slug = "Second!"', "lowercase letters"),
    ('version = "2.1.0"', 'version = "2.1"', 'version = "2.1"', "MAJOR.MINOR.PATCH"),
    (
        "certificate_valid_months = 12",
        "certificate_valid_months = 0",
        "certificate_valid_months = 0",
        "at least 1",
    ),
    ("required = false", 'required = "no"', 'required = "no"', "must be true or false"),
    ('modules = ["gamma"]', 'modules = ["gamma"', 'modules = ["gamma"', "invalid TOML"),
]


@pytest.mark.parametrize(("old", "new", "where", "message"), ERRORS)
def test_every_error_names_file_and_line(old, new, where, message) -> None:
    """Each broken rule is reported at the line an author must fix."""
    assert old in VALID
    text = VALID.replace(old, new, 1)
    fragment, occurrence = where if isinstance(where, tuple) else (where, 1)
    expected = line_of(text, fragment, occurrence)
    errors = check_programmes(text.encode(), MODULES)
    assert any(
        error.file == FILE and error.line == expected and message in error.message
        for error in errors
    ), errors
    with pytest.raises(PackageInvalid) as raised:
        load(text)
    assert any(message in str(error) for error in raised.value.errors)


def test_the_file_needs_a_programme() -> None:
    """An empty file is an error, not an empty list of programmes."""
    errors = check_programmes(b"# nothing yet\n", MODULES)
    assert errors == [PackageError(FILE, None, "missing required key 'programmes'")]


def test_each_programme_needs_its_own_header() -> None:
    """Inline programmes cannot be published one by one, so they are refused."""
    text = (
        'programmes = [{ slug = "x", version = "1.0.0", modules = ["alpha"], '
        'title = { da = "X", en = "X" }, summary = { da = "X", en = "X" } }]\n'
    )
    errors = check_programmes(text.encode(), MODULES)
    assert [(e.line, e.message) for e in errors] == [
        (1, "write each programme under its own [[programmes]] header")
    ]


def test_errors_carry_a_custom_file_name() -> None:
    """The loader names the file it is given."""
    text = VALID.replace('  "beta",', '  "delta",')
    (error,) = check_programmes(text.encode(), MODULES, file="other/programmes.toml")
    assert str(error).startswith(f"other/programmes.toml:{line_of(text, 'delta')}:")


def test_the_shipped_programme_loads_in_both_languages() -> None:
    """Bliv Digital Kompetent: six shipped modules, four sessions, one required."""
    catalog = load_catalog(SHIPPED)
    programme = catalog.programmes["bliv-digital-kompetent"]
    assert programme.version == "1.0.0"
    assert programme.title == {
        "da": "Bliv Digital Kompetent",
        "en": "Becoming Digitally Competent",
    }
    assert programme.certificate_valid_months == 24
    assert (
        set(programme.modules) == set(catalog.modules) and len(programme.modules) == 6
    )
    assert programme.modules[0] == "understanding-technology"
    assert [(a.id, a.kind, a.required) for a in programme.activities] == [
        ("initial-meeting", "meeting", False),
        ("webinar-1", "webinar", False),
        ("webinar-2", "webinar", False),
        ("final-meeting", "meeting", True),
    ]
    for text in (programme.title, programme.summary) + tuple(
        activity.title for activity in programme.activities
    ):
        assert text["da"].strip() and text["en"].strip()
    assert "2019" in programme.summary["en"] and "UC SYD" in programme.summary["da"]


def test_check_path_checks_programmes_beside_the_modules(tmp_path: Path) -> None:
    """`modules check modules/` covers programmes.toml, against the module folders."""
    assert check_path(SHIPPED) == []
    root = tmp_path / "modules"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.rmtree(root / "digital-relationships")
    errors = check_path(root)
    line = line_of((root / FILE).read_text(encoding="utf-8"), '"digital-relationships"')
    assert [str(error) for error in errors] == [
        f"{FILE}:{line}: unknown module "
        "'digital-relationships' (no folder 'digital-relationships' with a module.toml"
        " beside programmes.toml)"
    ]
    with pytest.raises(PackageInvalid):
        load_catalog(root)


def test_a_folder_without_programmes_has_none(tmp_path: Path) -> None:
    """programmes.toml is optional; the catalog then has no programmes."""
    root = tmp_path / "modules"
    shutil.copytree(SHIPPED / "video-consultations", root / "video-consultations")
    shutil.copy(SHIPPED / "competences.toml", root / "competences.toml")
    assert load_catalog(root).programmes == {}
