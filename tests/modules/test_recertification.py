"""module.toml [recertification]: the activities that renew a certificate."""

import pytest

from modules import check_package, load_framework, parse_package, read_package
from tests.modules.test_module_checks import (
    FIXTURE,
    MODULE,
    NAME,
    assert_error,
    edit,
)

ANCHOR = '[[competences]]\nid = "use.video"'


@pytest.fixture(scope="module")
def framework():
    """The fixture's competence framework."""
    return load_framework((FIXTURE / "competences.toml").read_bytes())


@pytest.fixture(scope="module")
def valid_files():
    """The valid fixture package, which declares no recertification path."""
    return read_package(FIXTURE / NAME)


def _with(files, block: str):
    return edit(files, MODULE, ANCHOR, block + "\n\n" + ANCHOR)


def test_without_a_path_every_required_activity_renews(valid_files, framework):
    module = parse_package(valid_files, framework, name=NAME)
    assert module.recertification == ()
    assert module.recertification_activities == module.required_activities


def test_a_declared_path_is_read_in_the_modules_order(valid_files, framework):
    files = _with(valid_files, '[recertification]\nactivities = ["practice", "check"]')
    module = parse_package(files, framework, name=NAME)
    assert module.recertification == ("practice", "check")
    assert [a.id for a in module.recertification_activities] == ["check", "practice"]


@pytest.mark.parametrize(
    "block, fragment",
    [
        ('[recertification]\nactivities = ["nope"]', "unknown activity 'nope'"),
        ("[recertification]\nactivities = []", "at least one activity"),
        ('[recertification]\nactivities = ["check", "check"]', "listed twice"),
        ('[recertification]\nactivities = "check"', "must be"),
        ("[recertification]\nactivities = [1]", "list of activity ids"),
        ('[recertification]\nactivitis = ["check"]', "unknown key 'activitis'"),
    ],
)
def test_mistakes_name_the_file_and_line(valid_files, framework, block, fragment):
    files = _with(valid_files, block)
    line = files[MODULE].decode().splitlines().index(block.splitlines()[1]) + 1
    assert_error(check_package(files, framework, name=NAME), MODULE, line, fragment)


def test_the_shipped_module_renews_with_quiz_and_task():
    from modules import load_catalog, shipped_root

    module = load_catalog(shipped_root()).modules["video-consultations"]
    assert module.recertification == ("final-quiz", "first-consultation")
