"""A learner completes the shipped module end to end, recorded as xAPI."""

from lms.extensions import db
from lms.models import Enrolment, User
from tests.conftest import BASE_URL
from tests.lms.journey import SLUG, approve_all, do_learner_part
from xapi.store import StatementQuery, query_statements


def _statements(registration: str) -> list[dict]:
    found, _cursor = query_statements(
        db.session.connection(),
        StatementQuery(registration=registration, ascending=True, limit=500),
    )
    return found


def test_learner_completes_module_and_every_step_is_a_statement(client, auth, demo):
    auth.login()
    module = do_learner_part(client)
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    assert enrolment.progress_percent < 100
    assert enrolment.completed_at is None

    auth.logout()
    auth.login("educator@example.org", "educator-demo-2026")
    approve_all(client)
    auth.logout()

    db.session.expire_all()
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    assert enrolment.progress_percent == 100
    assert enrolment.completed_at is not None

    auth.login()
    page = client.get(f"/learn/modules/{SLUG}")
    assert "100%" in page.text

    statements = _statements(enrolment.uuid)
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]
    assert verbs[0] == "registered"
    lessons = [a for a in module.activities if a.kind == "lesson"]
    assert verbs.count("completed") == len(lessons) + 2  # lessons, the case, the module
    assert "passed" in verbs and "submit" in verbs and "answered" in verbs
    assert statements[-1]["object"]["id"] == f"{BASE_URL}/xapi/activities/module/{SLUG}"


def test_statements_follow_the_profile_and_hold_no_personal_data(client, auth, demo):
    auth.login()
    do_learner_part(client)
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    for statement in _statements(enrolment.uuid):
        assert statement["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": BASE_URL, "name": learner.uuid},
        }
        text = str(statement)
        assert learner.email not in text and learner.name not in text
        context = statement["context"]
        assert context["registration"] == enrolment.uuid
        assert context["contextActivities"]["category"][0]["id"] == (
            f"{BASE_URL}/xapi/profile"
        )
        assert context["language"] == "da"
        assert statement["object"]["id"].startswith(
            f"{BASE_URL}/xapi/activities/module/"
        )
        assert statement["version"].startswith("1.0")
        assert statement["stored"] and statement["authority"]


def test_quiz_answers_carry_interaction_results(client, auth, demo):
    auth.login()
    do_learner_part(client)
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    answered = [
        s
        for s in _statements(enrolment.uuid)
        if s["verb"]["id"].endswith("/answered") and "/question/" in s["object"]["id"]
    ]
    assert len(answered) == 10
    for statement in answered:
        definition = statement["object"]["definition"]
        assert (
            definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
        )
        assert definition["interactionType"] in {
            "choice",
            "true-false",
            "matching",
            "sequencing",
            "numeric",
        }
        assert statement["result"]["success"] is True
        assert statement["context"]["contextActivities"]["parent"][0]["id"].endswith(
            "/quiz/final-quiz"
        )
    passed = [
        s for s in _statements(enrolment.uuid) if s["verb"]["id"].endswith("/passed")
    ]
    assert passed[0]["result"]["score"]["scaled"] == 1.0
    assert passed[0]["result"]["duration"].startswith("PT")


def test_review_statement_names_the_educator_as_instructor(client, auth, demo):
    auth.login()
    do_learner_part(client)
    auth.logout()
    auth.login("educator@example.org", "educator-demo-2026")
    approve_all(client)
    educator = db.session.execute(
        db.select(User).filter_by(email="educator@example.org")
    ).scalar_one()
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    reviewed = [
        s
        for s in _statements(enrolment.uuid)
        if s["verb"]["id"].endswith("/passed")
        and "/practice_task/" in s["object"]["id"]
    ]
    assert reviewed[0]["context"]["instructor"]["account"]["name"] == educator.uuid


def test_resume_goes_to_the_first_unfinished_activity(client, auth, demo):
    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    client.post(f"/learn/modules/{SLUG}/when-video/read")
    response = client.get(f"/learn/modules/{SLUG}/resume")
    assert response.headers["Location"].endswith(f"/learn/modules/{SLUG}/preparation")


def test_progress_rebuild_check_matches_and_detects_drift(client, auth, demo, runner):
    auth.login()
    do_learner_part(client)
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 0, result.output

    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    enrolment.progress_percent = 3
    db.session.commit()
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 1
    assert f"enrolment {enrolment.id}" in result.output

    result = runner.invoke(args=["progress", "rebuild"])
    assert result.exit_code == 0
    db.session.expire_all()
    assert runner.invoke(args=["progress", "rebuild", "--check"]).exit_code == 0


def test_failed_quiz_then_retry_until_attempts_run_out(client, auth, demo):
    from tests.lms.journey import shipped_module, wrong_form

    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    quiz = shipped_module().activity("final-quiz").content
    url = f"/learn/modules/{SLUG}/final-quiz"
    for number in range(1, quiz.max_attempts + 1):
        started = client.post(f"{url}/attempts")
        assert started.headers["Location"].endswith(f"/attempts/{number}")
        done = client.post(started.headers["Location"], data=wrong_form(quiz))
        result = client.get(done.headers["Location"])
        assert 'class="outcome think"' in result.text
    refused = client.post(f"{url}/attempts")
    assert refused.headers["Location"].endswith(url)
    attempts = client.get(url).text
    assert f'action="{url}/attempts"' not in attempts
    assert client.get(f"{url}/attempts/{quiz.max_attempts + 1}").status_code == 404


def test_double_submission_of_a_task_is_stored_once(client, auth, demo):
    from lms.models import Submission

    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    url = f"/learn/modules/{SLUG}/first-consultation/submissions"
    text = " ".join(["ord"] * 200)
    assert client.post(url, data={"text": text}).status_code == 302
    assert client.post(url, data={"text": text}).status_code == 302
    assert len(db.session.execute(db.select(Submission)).scalars().all()) == 1


def test_returned_task_can_be_resubmitted_and_every_version_is_kept(client, auth, demo):
    from lms.models import Submission
    from tests.lms.journey import shipped_module

    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    url = f"/learn/modules/{SLUG}/first-consultation"
    client.post(f"{url}/submissions", data={"text": " ".join(["første"] * 200)})
    auth.logout()
    auth.login("educator@example.org", "educator-demo-2026")
    submission = db.session.execute(db.select(Submission)).scalar_one()
    data = {"decision": "return", "feedback": "Uddyb venligst."}
    task = shipped_module().activity("first-consultation").content
    for criterion in task.rubric:
        data[f"score-{criterion.id}"] = "1"
    assert (
        client.post(f"/teach/submissions/{submission.uuid}", data=data).status_code
        == 302
    )
    auth.logout()
    auth.login()
    page = client.get(url)
    assert "Uddyb venligst." in page.text
    assert (
        client.post(
            f"{url}/submissions", data={"text": " ".join(["anden"] * 200)}
        ).status_code
        == 302
    )
    versions = (
        db.session.execute(db.select(Submission).order_by(Submission.number))
        .scalars()
        .all()
    )
    assert [v.status for v in versions] == ["returned", "submitted"]
