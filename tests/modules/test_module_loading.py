"""The valid fixture package loads into the expected dataclasses."""

from pathlib import Path

import pytest

from assessments import Numeric, Quiz, SingleChoice
from modules import (
    ACTIVITY_KINDS,
    LANGUAGES,
    Case,
    CompetenceLevel,
    Framework,
    Lesson,
    Module,
    PackageError,
    PackageInvalid,
    PracticeTask,
    Video,
    content_hash,
    load_catalog,
    load_framework,
    parse_package,
    read_package,
)

FIXTURE = Path(__file__).parent / "fixtures" / "valid"
NAME = "sample-module"


@pytest.fixture(scope="module")
def framework() -> Framework:
    """Load the fixture's competence framework."""
    return load_framework((FIXTURE / "competences.toml").read_bytes())


@pytest.fixture(scope="module")
def module(framework: Framework) -> Module:
    """Load the fixture package."""
    return parse_package(read_package(FIXTURE / NAME), framework, name=NAME)


def test_framework(framework: Framework) -> None:
    """Levels, areas and competences are read, with lookups by id and value."""
    assert [level.value for level in framework.levels] == [1, 2]
    assert framework.level(2).name == {"da": "Kan anvende", "en": "Can apply"}
    assert framework.level(3) is None
    assert [area.id for area in framework.areas] == ["use", "communicate"]
    competence = framework.competence("communicate.relationship")
    assert competence.area_id == "communicate"
    assert competence.name["en"] == "Building relationships through screens"
    assert framework.competence("use.nothing") is None


def test_module_metadata(module: Module) -> None:
    """The metadata of module.toml is read as written."""
    assert module.slug == NAME
    assert module.version == "1.2.0"
    assert module.title == {"da": "Prøvemodul", "en": "Sample module"}
    assert module.summary["en"] == "A small module for the tests."
    assert module.estimated_minutes == 90
    assert module.certificate_valid_months == 24
    assert module.objectives == {
        "da": ("Forberede et videoopkald.", "Skabe tryghed gennem skærmen."),
        "en": ("Prepare a video call.", "Build trust through the screen."),
    }
    assert module.competences == (
        CompetenceLevel("use.video", 2),
        CompetenceLevel("communicate.relationship", 1),
    )
    assert len(module.content_hash) == 64


def test_activities(module: Module) -> None:
    """Activities keep their order, with done_when defaulting per kind."""
    summary = [
        (a.id, a.kind, a.required, a.done_when, a.minutes) for a in module.activities
    ]
    assert summary == [
        ("intro", "lesson", True, "read", 15),
        ("first-call", "case", True, "completed", None),
        ("check", "quiz", True, "passed", None),
        ("practice", "practice_task", True, "submitted", 40),
        ("webinar", "webinar", False, "attended", None),
        ("final-talk", "meeting", True, "attended", None),
    ]
    assert module.activity("check").title["da"] == "Tjek din viden"
    assert module.activity("nothing") is None
    assert "webinar" not in [a.id for a in module.required_activities]
    assert module.activity("webinar").content is None


def test_lesson(module: Module) -> None:
    """A lesson holds the Markdown of both languages and its video."""
    lesson = module.activity("intro").content
    assert isinstance(lesson, Lesson)
    assert lesson.markdown["da"].startswith("## Hvorfor video?")
    assert lesson.markdown["en"].startswith("## Why video?")
    assert lesson.video == Video(
        src="media/intro.mp4",
        captions={"da": "media/intro.da.vtt", "en": "media/intro.en.vtt"},
        transcript=None,
    )


def test_case(module: Module) -> None:
    """A case holds its scenario, steps, options and closing text."""
    case = module.activity("first-call").content
    assert isinstance(case, Case)
    assert case.scenario["en"].strip().startswith("Mrs Hansen, 82")
    (step,) = case.steps
    assert step.id == "prepare"
    assert [(option.id, option.best) for option in step.options] == [
        ("a", True),
        ("b", False),
    ]
    assert step.options[1].feedback["da"] == "Linket alene kan skabe usikkerhed."
    assert case.closing["en"] == "Mrs Hansen is ready for the call."


def test_quiz(module: Module) -> None:
    """A quiz is built by the assessment engine."""
    quiz = module.activity("check").content
    assert isinstance(quiz, Quiz)
    assert quiz.id == "check"
    assert (quiz.pass_mark, quiz.max_attempts, quiz.shuffle) == (0.8, 3, False)
    assert [q.id for q in quiz.questions] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert isinstance(quiz.questions[0], SingleChoice)
    numeric = quiz.questions[5]
    assert isinstance(numeric, Numeric)
    assert numeric.unit == {"da": "minutter", "en": "minutes"}


def test_practice_task(module: Module) -> None:
    """A practice task holds instructions, prompts, min_words and the rubric."""
    task = module.activity("practice").content
    assert isinstance(task, PracticeTask)
    assert task.instructions["en"].strip() == "Hold a video call with a colleague."
    assert task.reflection_prompts["en"] == (
        "What went well?",
        "What would you change?",
    )
    assert task.min_words == 150
    assert [(c.id, c.max_score) for c in task.rubric] == [
        ("preparation", 3),
        ("relationship", 3),
        ("reflection", 2),
    ]
    assert task.rubric[1].title == {"da": "Relation", "en": "Relationship"}


def test_activity_kinds_registry() -> None:
    """Each kind lists its done_when values, the default first."""
    assert {kind: spec.done_when for kind, spec in ACTIVITY_KINDS.items()} == {
        "lesson": ("read",),
        "case": ("completed",),
        "quiz": ("passed", "completed"),
        "practice_task": ("approved", "submitted"),
        "webinar": ("attended",),
        "meeting": ("attended",),
    }
    needs_file = {kind for kind, spec in ACTIVITY_KINDS.items() if spec.needs_file}
    assert needs_file == {"lesson", "case", "quiz", "practice_task"}
    assert ACTIVITY_KINDS["lesson"].paths("lessons/x") == (
        "lessons/x.da.md",
        "lessons/x.en.md",
    )
    assert LANGUAGES == ("da", "en")


def test_load_catalog() -> None:
    """A folder of modules loads into a catalog keyed by slug."""
    catalog = load_catalog(FIXTURE)
    assert list(catalog.modules) == [NAME]
    assert catalog.framework.competence("use.video") is not None


def test_read_package_skips_hidden_files_and_caches(tmp_path: Path) -> None:
    """Hidden files and folders and __pycache__ are not part of a package."""
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "a.da.md").write_text("## A")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"x")
    (tmp_path / "module.toml").write_text("slug = 'a'")
    assert read_package(tmp_path) == {
        "lessons/a.da.md": b"## A",
        "module.toml": b"slug = 'a'",
    }


def test_content_hash() -> None:
    """The hash depends on every path and byte, not on the order of the files."""
    files = {"a.md": b"x", "b.md": b"y"}
    assert content_hash(files) == content_hash({"b.md": b"y", "a.md": b"x"})
    assert content_hash(files) != content_hash({"a.md": b"x", "b.md": b"z"})
    assert content_hash(files) != content_hash({"a.md": b"x", "c.md": b"y"})
    assert content_hash({"ab": b"c"}) != content_hash({"a": b"bc"})


def test_package_error_text() -> None:
    """An error reads file:line: message, without the line when unknown."""
    error = PackageError("video-consultations/module.toml", 12, "bad")
    assert str(error) == "video-consultations/module.toml:12: bad"
    assert str(PackageError("competences.toml", None, "bad")) == "competences.toml: bad"
    invalid = PackageInvalid([error, PackageError("x.toml", None, "worse")])
    assert str(invalid) == "video-consultations/module.toml:12: bad\nx.toml: worse"
    assert len(invalid.errors) == 2
