"""Every check of a package reports the file, the line and what is wrong."""

from pathlib import Path

import pytest

from modules import (
    Framework,
    PackageError,
    PackageInvalid,
    check_package,
    load_framework,
    parse_package,
    read_package,
)

FIXTURE = Path(__file__).parent / "fixtures" / "valid"
NAME = "sample-module"
MODULE = "module.toml"
LESSON = "lessons/01-intro.en.md"
CASE = "cases/first-call.toml"
QUIZ = "quizzes/check.toml"
TASK = "tasks/practice.toml"
DELETE = None  # as the replacement: remove every line holding the old text
EXTRA_CRITERIA = "".join(
    f'\n[[rubric]]\nid = "extra-{number}"\ntitle = {{ da = "T", en = "T" }}\n'
    f'description = {{ da = "D", en = "D" }}\nmax_score = 1\n'
    for number in range(3)
)


@pytest.fixture(scope="module")
def framework() -> Framework:
    """Load the fixture's competence framework."""
    return load_framework((FIXTURE / "competences.toml").read_bytes())


@pytest.fixture(scope="module")
def valid_files() -> dict[str, bytes]:
    """Read the valid fixture package."""
    return read_package(FIXTURE / NAME)


def edit(
    files: dict[str, bytes], path: str, old: str, new: str | None
) -> dict[str, bytes]:
    """Return a copy of the files with `old` replaced, or its lines deleted."""
    text = files[path].decode()
    assert old in text, f"{old!r} is not in {path}"
    if new is DELETE:
        lines = text.splitlines(keepends=True)
        return {**files, path: "".join(x for x in lines if old not in x).encode()}
    return {**files, path: text.replace(old, new).encode()}


def expected_line(
    files: dict[str, bytes], path: str, line: int | str | None
) -> int | None:
    """Resolve a line given as a number, or as text found on that line."""
    if not isinstance(line, str):
        return line
    lines = files[path].decode().splitlines()
    return next(number for number, text in enumerate(lines, 1) if line in text)


def assert_error(
    errors: list[PackageError], file: str, line: int | None, fragment: str
) -> None:
    """Assert that one of the errors is in file at line and mentions fragment."""
    found = [e for e in errors if e.file == f"{NAME}/{file}" and fragment in e.message]
    listing = "\n".join(str(error) for error in errors) or "(no errors)"
    assert found, f"no error in {file} about {fragment!r}; got:\n{listing}"
    assert line in [error.line for error in found], f"wrong line; got:\n{listing}"


def test_the_fixture_is_valid(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """The untouched fixture has no errors, so each case below tests one change."""
    assert check_package(valid_files, framework, name=NAME) == []


EDITS = [
    # module.toml: syntax, required keys and types
    pytest.param(
        MODULE,
        "estimated_minutes = 90",
        "estimated_minutes = ",
        MODULE,
        3,
        "invalid TOML",
        id="toml-syntax",
    ),
    pytest.param(
        MODULE,
        "slug = ",
        DELETE,
        MODULE,
        None,
        "missing required key 'slug'",
        id="missing-slug",
    ),
    pytest.param(
        MODULE,
        '"sample-module"',
        '"Sample_Module"',
        MODULE,
        1,
        "lowercase letters",
        id="slug-pattern",
    ),
    pytest.param(
        MODULE,
        '"sample-module"',
        '"other-module"',
        MODULE,
        1,
        "must equal the folder name",
        id="slug-folder",
    ),
    pytest.param(
        MODULE, '"1.2.0"', '"1.2"', MODULE, 2, "MAJOR.MINOR.PATCH", id="version"
    ),
    pytest.param(
        MODULE,
        "estimated_minutes = 90",
        "estimated_minutes = 0",
        MODULE,
        3,
        "at least 1",
        id="minutes-zero",
    ),
    pytest.param(
        MODULE,
        "= 90",
        '= "90"',
        MODULE,
        3,
        "must be a whole number, not a string",
        id="minutes-type",
    ),
    pytest.param(
        MODULE,
        "_months = 24",
        "_months = 0",
        MODULE,
        4,
        "at least 1",
        id="certificate-months",
    ),
    pytest.param(
        MODULE,
        "= 90",
        "= 90\nestimated_minute = 9",
        MODULE,
        4,
        "unknown key 'estimated_minute'",
        id="unknown-key",
    ),
    pytest.param(
        MODULE,
        ', en = "Sample module" }',
        " }",
        MODULE,
        5,
        "'title' is missing the English text ('en')",
        id="title-missing-en",
    ),
    pytest.param(
        MODULE,
        'da = "Et lille modul til testene."',
        'da = " "',
        MODULE,
        6,
        "'summary' is missing the Danish text ('da')",
        id="summary-empty-da",
    ),
    pytest.param(
        MODULE,
        '{ da = "Prøvemodul", en = "Sample module" }',
        '"Sample"',
        MODULE,
        5,
        "needs text in each language",
        id="title-plain-string",
    ),
    pytest.param(
        MODULE,
        'en = "Sample module" }',
        'en = "Sample module", dk = "x" }',
        MODULE,
        5,
        "unknown key 'dk'",
        id="text-unknown-language",
    ),
    pytest.param(
        MODULE,
        'en = ["Prepare a video call.", ',
        "en = [",
        MODULE,
        "[objectives]",
        "as many items in each language (2 in 'da' and 1 in 'en')",
        id="objectives-count",
    ),
    pytest.param(
        MODULE,
        '"Prepare a video call.", "Build trust through the screen."',
        "",
        MODULE,
        "en = []",
        "'objectives' is missing the English",
        id="objectives-empty",
    ),
    pytest.param(
        MODULE,
        '"Build trust through the screen."',
        '""',
        MODULE,
        "en = [",
        "list of non-empty strings",
        id="objectives-item",
    ),
    pytest.param(
        MODULE,
        "[objectives]",
        "[objectivs]",
        MODULE,
        "[objectivs]",
        "unknown key 'objectivs'",
        id="objectives-typo",
    ),
    # module.toml: competences
    pytest.param(
        MODULE,
        '"use.video"',
        '"use.vidoe"',
        MODULE,
        13,
        "unknown competence 'use.vidoe'",
        id="unknown-competence",
    ),
    pytest.param(
        MODULE,
        "level = 2",
        "level = 3",
        MODULE,
        14,
        "level 3 is not a level of the framework (1, 2)",
        id="unknown-level",
    ),
    pytest.param(
        MODULE,
        '"communicate.relationship"',
        '"use.video"',
        MODULE,
        17,
        "duplicate competence id 'use.video'",
        id="duplicate-competence",
    ),
    # module.toml: activities
    pytest.param(
        MODULE,
        '"first-call"',
        '"intro"',
        MODULE,
        32,
        "duplicate activity id 'intro'",
        id="duplicate-activity",
    ),
    pytest.param(
        MODULE,
        '"first-call"',
        '"First call"',
        MODULE,
        32,
        "lowercase letters, digits and hyphens",
        id="activity-id",
    ),
    pytest.param(
        MODULE,
        '"case"',
        '"video"',
        MODULE,
        33,
        "unknown activity kind 'video'",
        id="unknown-kind",
    ),
    pytest.param(
        MODULE,
        'done_when = "passed"',
        'done_when = "read"',
        MODULE,
        42,
        "done_when 'read' is not allowed for a quiz (passed, completed)",
        id="done-when",
    ),
    pytest.param(
        MODULE,
        '"cases/first-call.toml"',
        DELETE,
        MODULE,
        31,
        "missing required key 'file'",
        id="missing-file-key",
    ),
    pytest.param(
        MODULE,
        '"cases/first-call.toml"',
        '"cases/first-call"',
        MODULE,
        35,
        "'cases/first-call' not found in the package (write it as cases/NAME.toml)",
        id="file-not-found",
    ),
    pytest.param(
        MODULE,
        'kind = "case"',
        'kind = "case"\nrequried = false',
        MODULE,
        "requried",
        "unknown key 'requried'",
        id="typo-required",
    ),
    pytest.param(
        MODULE,
        'kind = "webinar"',
        'kind = "webinar"\nfile = "x.toml"',
        MODULE,
        "x.toml",
        "unknown key 'file'",
        id="webinar-file",
    ),
    pytest.param(
        MODULE,
        "minutes = 15",
        "minutes = 0",
        MODULE,
        25,
        "'minutes' must be at least 1",
        id="activity-minutes",
    ),
    pytest.param(
        MODULE,
        "required = false",
        'required = "no"',
        MODULE,
        "required =",
        "must be true or false",
        id="required-type",
    ),
    pytest.param(
        MODULE,
        '{ da = "Introduktion", en',
        "{ en",
        MODULE,
        23,
        "'title' is missing the Danish",
        id="activity-title",
    ),
    pytest.param(
        MODULE,
        "[[activities]]",
        "[[activity]]",
        MODULE,
        27,
        "'activities' must be a list of tables ([[activities]])",
        id="activities-table",
    ),
    # lesson video
    pytest.param(
        MODULE,
        "captions = ",
        DELETE,
        MODULE,
        27,
        "captions or a transcript in both languages",
        id="video-no-captions",
    ),
    pytest.param(
        MODULE,
        ', en = "media/intro.en.vtt" }',
        " }",
        MODULE,
        29,
        "'captions' is missing the English",
        id="video-captions-en",
    ),
    pytest.param(
        MODULE,
        'captions = { da = "media/intro.da.vtt", en = "media/intro.en.vtt" }',
        'transcript = { da = "Hej." }',
        MODULE,
        29,
        "'transcript' is missing the English",
        id="video-transcript-en",
    ),
    pytest.param(
        MODULE,
        '"media/intro.mp4"',
        '"media/outro.mp4"',
        MODULE,
        28,
        "video file 'media/outro.mp4' not found",
        id="video-src",
    ),
    pytest.param(
        MODULE,
        '"media/intro.en.vtt"',
        '"media/intro.vtt"',
        MODULE,
        29,
        "captions file 'media/intro.vtt' not found",
        id="video-captions-file",
    ),
    pytest.param(
        "media/intro.en.vtt",
        "WEBVTT",
        "SRT",
        MODULE,
        29,
        "must be WebVTT",
        id="video-captions-webvtt",
    ),
    pytest.param(
        MODULE,
        'src = "media/intro.mp4"',
        'src = "media/intro.mp4"\nposter = "x.png"',
        MODULE,
        29,
        "unknown key 'poster'",
        id="video-unknown-key",
    ),
    # lessons
    pytest.param(
        LESSON, "", "", LESSON, None, "the lesson is empty", id="lesson-empty"
    ),
    pytest.param(
        LESSON,
        "## Why video?",
        "# Why video?",
        LESSON,
        1,
        "level-1 heading",
        id="lesson-h1",
    ),
    pytest.param(
        LESSON,
        "a journey.\n",
        "a journey.\n=====\n",
        LESSON,
        4,
        "level-1 heading",
        id="lesson-setext-h1",
    ),
    pytest.param(
        LESSON,
        "![Diagram of a video call]",
        "![ ]",
        LESSON,
        5,
        "has no alt text",
        id="image-alt",
    ),
    pytest.param(
        LESSON,
        "media/diagram.png",
        "media/diagram.jpg",
        LESSON,
        5,
        "image 'media/diagram.jpg' not found",
        id="image-missing",
    ),
    pytest.param(
        LESSON,
        "media/diagram.png",
        "https://example.org/x.png",
        LESSON,
        5,
        "must be a file in the package",
        id="image-external",
    ),
    pytest.param(
        LESSON,
        "## Preparation",
        '## Preparation\n<video src="media/intro.mp4"></video>',
        LESSON,
        13,
        "declared on the activity",
        id="inline-video",
    ),
    # cases
    pytest.param(
        CASE, "best = true", "best = yes", CASE, 17, "invalid TOML", id="case-syntax"
    ),
    pytest.param(
        CASE,
        'en = """\nMrs Hansen',
        'x = """\nMrs Hansen',
        CASE,
        1,
        "'scenario' is missing the English",
        id="case-scenario-en",
    ),
    pytest.param(
        CASE,
        "Linket alene",
        DELETE,
        CASE,
        19,
        "missing required key 'feedback'",
        id="case-feedback",
    ),
    pytest.param(
        CASE,
        "best = true",
        DELETE,
        CASE,
        9,
        "step 'prepare' needs at least one option with best = true",
        id="case-no-best",
    ),
    pytest.param(
        CASE,
        '[[steps.options]]\nid = "b"',
        '[not-options]\nid = "b"',
        CASE,
        13,
        "'options' needs at least 2 option",
        id="case-one-option",
    ),
    pytest.param(
        CASE,
        'id = "b"',
        'id = "a"',
        CASE,
        20,
        "duplicate option id 'a'",
        id="case-duplicate-option",
    ),
    pytest.param(
        CASE,
        "[[steps]]",
        "[[stepz]]",
        CASE,
        13,
        "'steps' must be a list of tables ([[steps]])",
        id="case-steps-table",
    ),
    pytest.param(
        CASE,
        "best = true",
        "best = true\nscore = 1",
        CASE,
        18,
        "unknown key 'score'",
        id="case-unknown-key",
    ),
    pytest.param(
        CASE,
        '{ da = "Hvad gør du først?", ',
        "{ ",
        CASE,
        11,
        "'prompt' is missing the Danish",
        id="case-prompt-da",
    ),
    pytest.param(
        CASE,
        'en = "Mrs Hansen is ready for the call."',
        'en = ""',
        CASE,
        26,
        "'closing' is missing the English",
        id="case-closing-en",
    ),
    # quizzes (through the assessment engine)
    pytest.param(
        QUIZ,
        "pass_mark = 0.8",
        "pass_mark = ",
        QUIZ,
        1,
        "invalid TOML",
        id="quiz-syntax",
    ),
    pytest.param(
        QUIZ,
        'type = "numeric"',
        'type = "essay"',
        QUIZ,
        "essay",
        "question 'q6': unknown question type 'essay'",
        id="quiz-unknown-type",
    ),
    pytest.param(
        QUIZ,
        'en = "The weather" }',
        'en = "The weather" }\ncorrect = true',
        QUIZ,
        10,
        "question 'q1': 'options' needs exactly one correct option",
        id="quiz-two-correct",
    ),
    pytest.param(
        QUIZ,
        'da = "Nej."',
        DELETE,
        QUIZ,
        16,
        "question 'q1', option 'b': 'feedback' is missing",
        id="quiz-option-feedback",
    ),
    pytest.param(
        QUIZ,
        'id = "q2"',
        'id = "q1"',
        QUIZ,
        22,
        "'id' 'q1' repeats",
        id="quiz-duplicate-question",
    ),
    pytest.param(
        QUIZ,
        "shuffle = false",
        "shufle = false",
        QUIZ,
        3,
        "'shufle' is not a known field",
        id="quiz-unknown-field",
    ),
    pytest.param(
        QUIZ,
        "pass_mark = 0.8",
        "pass_mark = 1.5",
        QUIZ,
        1,
        "'pass_mark' must be above 0",
        id="quiz-pass-mark",
    ),
    pytest.param(
        QUIZ,
        ', en = "Match the terms." }',
        " }",
        QUIZ,
        "Par begreberne",
        "question 'q4': 'prompt' is missing the English text ('en')",
        id="quiz-prompt-en",
    ),
    pytest.param(
        QUIZ,
        'da = "Lys forfra."',
        'da = ""',
        QUIZ,
        "Light from the front",
        "question 'q4', pair 'p2': 'feedback' is missing the Danish text ('da')",
        id="quiz-pair-feedback-da",
    ),
    pytest.param(
        QUIZ,
        'en = "Noise"',
        'en = " "',
        QUIZ,
        "Støj",
        "question 'q2', option 'c': 'text' is missing the English",
        id="quiz-option-text-en",
    ),
    pytest.param(
        QUIZ,
        'en = "minutes" }',
        'en = "minutes", dk = "min" }',
        QUIZ,
        "unit =",
        "'unit' has an unknown language 'dk'",
        id="quiz-unit-language",
    ),
    pytest.param(
        QUIZ,
        '{ da = "Nej, ikke altid.", en',
        "{ en",
        QUIZ,
        "feedback_true",
        "question 'q3': 'feedback_true' is missing the Danish",
        id="quiz-true-false-feedback",
    ),
    pytest.param(
        QUIZ,
        'en = "Next."',
        'en = ""',
        QUIZ,
        "Dernæst",
        "question 'q5', item 'call': 'feedback' is missing the English",
        id="quiz-item-feedback",
    ),
    # practice tasks
    pytest.param(
        TASK,
        '[[rubric]]\nid = "reflection"',
        '[[not-rubric]]\nid = "reflection"',
        TASK,
        9,
        "'rubric' needs at least 3 criteria",
        id="task-two-criteria",
    ),
    pytest.param(
        TASK,
        "max_score = 2\n",
        "max_score = 2\n" + EXTRA_CRITERIA,
        TASK,
        9,
        "'rubric' has 6 criteria; use 3 to 5",
        id="task-six-criteria",
    ),
    pytest.param(
        TASK,
        "max_score = 2",
        "max_score = 0",
        TASK,
        25,
        "'max_score' must be at least 1",
        id="task-max-score-zero",
    ),
    pytest.param(
        TASK,
        "max_score = 2",
        "max_score = 2.5",
        TASK,
        25,
        "must be a whole number, not a number",
        id="task-max-score-float",
    ),
    pytest.param(
        TASK,
        'id = "reflection"',
        'id = "preparation"',
        TASK,
        22,
        "duplicate criterion id 'preparation'",
        id="task-duplicate-criterion",
    ),
    pytest.param(
        TASK,
        '{ da = """',
        '{ dk = """',
        TASK,
        1,
        "'instructions' is missing the Danish",
        id="task-instructions-da",
    ),
    pytest.param(
        TASK,
        ', "Hvad vil du ændre?"',
        "",
        TASK,
        6,
        "'reflection_prompts' needs as many items",
        id="task-prompts-count",
    ),
    pytest.param(
        TASK,
        "min_words = 150",
        "min_words = -1",
        TASK,
        7,
        "'min_words' must be at least 0",
        id="task-min-words",
    ),
    pytest.param(
        TASK,
        "Borgeren føler sig hørt",
        DELETE,
        TASK,
        15,
        "missing required key 'description'",
        id="task-description",
    ),
]


@pytest.mark.parametrize(
    ("path", "old", "new", "file", "line", "fragment"),
    EDITS,
)
def test_edit_is_reported(
    valid_files: dict[str, bytes],
    framework: Framework,
    path: str,
    old: str,
    new: str | None,
    file: str,
    line: int | str | None,
    fragment: str,
) -> None:
    """Each broken variant is reported at the right file and line."""
    files = edit(valid_files, path, old, new) if old else {**valid_files, path: b" \n"}
    errors = check_package(files, framework, name=NAME)
    assert_error(errors, file, expected_line(files, file, line), fragment)


def test_no_required_activity(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """At least one activity must be required."""
    files = edit(valid_files, MODULE, "required = false", DELETE)
    files = edit(files, MODULE, "\nkind = ", "\nrequired = false\nkind = ")
    errors = check_package(files, framework, name=NAME)
    assert_error(errors, MODULE, 20, "at least one activity must be required")


def test_missing_lesson_language(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """A lesson needs a Markdown file in each language."""
    files = {path: data for path, data in valid_files.items() if path != LESSON}
    errors = check_package(files, framework, name=NAME)
    assert_error(errors, MODULE, 24, "'lessons/01-intro.en.md' not found")


def test_missing_module_toml(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """A package without module.toml has exactly that error."""
    files = {path: data for path, data in valid_files.items() if path != MODULE}
    errors = check_package(files, framework, name=NAME)
    assert errors == [
        PackageError(f"{NAME}/{MODULE}", None, "module.toml not found in the package")
    ]


@pytest.mark.parametrize("path", [LESSON, CASE])
def test_invalid_utf8(
    valid_files: dict[str, bytes], framework: Framework, path: str
) -> None:
    """A file that is not UTF-8 is reported at the line of the first bad byte."""
    files = {**valid_files, path: b"## Fine\n\nBad \xff byte\n"}
    errors = check_package(files, framework, name=NAME)
    assert_error(errors, path, 3, "not valid UTF-8")


def test_errors_are_all_reported_and_sorted(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """All errors come back at once, ordered by file and line."""
    files = edit(valid_files, MODULE, '"1.2.0"', '"one"')
    files = edit(files, MODULE, "level = 2", "level = 7")
    files = edit(files, LESSON, "## Why video?", "# Why video?")
    files = edit(files, TASK, "max_score = 2", "max_score = 0")
    errors = check_package(files, framework, name=NAME)
    assert [(error.file, error.line) for error in errors] == [
        (f"{NAME}/{LESSON}", 1),
        (f"{NAME}/{MODULE}", 2),
        (f"{NAME}/{MODULE}", 14),
        (f"{NAME}/{TASK}", 25),
    ]


def test_parse_package_raises_with_every_error(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """parse_package raises PackageInvalid holding all the errors."""
    files = edit(valid_files, MODULE, '"1.2.0"', '"one"')
    files = edit(files, MODULE, "level = 2", "level = 7")
    with pytest.raises(PackageInvalid) as raised:
        parse_package(files, framework, name=NAME)
    assert len(raised.value.errors) == 2
    assert f"{NAME}/{MODULE}:2: version 'one'" in str(raised.value)


def test_without_a_name_paths_are_not_prefixed(
    valid_files: dict[str, bytes], framework: Framework
) -> None:
    """Without a folder name, files are named relative to the package."""
    files = edit(valid_files, MODULE, '"1.2.0"', '"one"')
    (error,) = check_package(files, framework)
    assert (error.file, error.line) == (MODULE, 2)


@pytest.mark.parametrize(
    ("path", "text", "fragment"),
    [
        (MODULE, 'slug = "sample-module"\n', "missing required key 'activities'"),
        (CASE, '[scenario]\nda = "A"\nen = "B"\n', "missing required key 'steps'"),
        (
            TASK,
            'instructions = { da = "A", en = "B" }\n',
            "missing required key 'rubric'",
        ),
    ],
)
def test_missing_top_level_list(
    valid_files: dict[str, bytes],
    framework: Framework,
    path: str,
    text: str,
    fragment: str,
) -> None:
    """A missing top-level key has no line: the whole file should hold it."""
    errors = check_package({**valid_files, path: text.encode()}, framework, name=NAME)
    assert_error(errors, path, None, fragment)
