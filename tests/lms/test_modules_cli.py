"""Checking and publishing module packages, and pinning enrolments to versions."""

import shutil
from pathlib import Path

from lms.content import current_version, publish
from lms.extensions import db
from lms.models import Enrolment, ModuleVersion
from modules import read_package

SHIPPED = Path(__file__).resolve().parents[2] / "modules"


def test_check_passes_on_the_shipped_modules(runner):
    result = runner.invoke(args=["modules", "check", str(SHIPPED)])
    assert result.exit_code == 0, result.output


def test_check_names_file_and_line_of_an_error(runner, tmp_path):
    package = tmp_path / "video-consultations"
    shutil.copytree(SHIPPED / "video-consultations", package)
    toml = package / "module.toml"
    lines = toml.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("kind = ")) + 1
    lines[number - 1] = 'kind = "podcast"'
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["modules", "check", str(package)])
    assert result.exit_code == 1
    assert f"video-consultations/module.toml:{number}:" in result.output
    assert "podcast" in result.output


def test_check_reports_broken_toml_with_its_line(runner, tmp_path):
    package = tmp_path / "video-consultations"
    shutil.copytree(SHIPPED / "video-consultations", package)
    quiz = package / "quizzes" / "final.toml"
    quiz.write_text(
        quiz.read_text(encoding="utf-8") + "\nthis is = = not toml\n", encoding="utf-8"
    )
    result = runner.invoke(args=["modules", "check", str(package)])
    assert result.exit_code == 1
    assert "quizzes/final.toml:" in result.output


def test_load_is_idempotent(runner):
    first = runner.invoke(args=["modules", "load"])
    assert first.exit_code == 0, first.output
    assert "unchanged" in first.output
    assert "published" not in first.output


def test_a_new_version_does_not_move_existing_enrolments(client, auth, demo, tmp_path):
    auth.login()
    client.post("/learn/modules/video-consultations/enrol")
    old = current_version("video-consultations")

    package = tmp_path / "video-consultations"
    shutil.copytree(SHIPPED / "video-consultations", package)
    toml = package / "module.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'version = "1.2.0"', 'version = "1.3.0"'
        ),
        encoding="utf-8",
    )
    try:
        new, created = publish(read_package(package), name="video-consultations")
        assert created and new.version == "1.3.0"
        enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
        assert enrolment.module_version_id == old.id
        page = client.get("/learn/modules/video-consultations")
        assert "1.2.0" in page.text
    finally:
        for version in db.session.execute(
            db.select(ModuleVersion).filter_by(version="1.3.0")
        ).scalars():
            db.session.delete(version)
        db.session.get(ModuleVersion, old.id).is_current = True
        db.session.commit()
