"""Every role tries what it must not do: role x URL -> status."""

import pytest

from lms.extensions import db
from lms.models import Submission
from tests.lms.journey import SLUG

LEARNER = ("learner@example.org", "learner-demo-2026")
EDUCATOR = ("educator@example.org", "educator-demo-2026")
MANAGER = ("manager@example.org", "manager-demo-2026")
ADMIN = ("admin@example.org", "admin-demo-2026")
ACCOUNTS = {
    "anonymous": None,
    "learner": LEARNER,
    "educator": EDUCATOR,
    "manager": MANAGER,
    "admin": ADMIN,
}

# (method, url, {role: expected status}); 302 for anonymous means "to the login page".
MATRIX = [
    (
        "GET",
        "/learn/",
        {
            "anonymous": 302,
            "learner": 200,
            "educator": 200,
            "manager": 200,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/learn/catalogue",
        {
            "anonymous": 302,
            "learner": 200,
            "educator": 200,
            "manager": 200,
            "admin": 200,
        },
    ),
    (
        "GET",
        f"/learn/modules/{SLUG}",
        {
            "anonymous": 302,
            "learner": 200,
            "educator": 200,
            "manager": 200,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/account",
        {
            "anonymous": 302,
            "learner": 200,
            "educator": 200,
            "manager": 200,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/teach/",
        {
            "anonymous": 302,
            "learner": 403,
            "educator": 200,
            "manager": 403,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/admin/users",
        {
            "anonymous": 302,
            "learner": 403,
            "educator": 403,
            "manager": 403,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/admin/users/import",
        {
            "anonymous": 302,
            "learner": 403,
            "educator": 403,
            "manager": 403,
            "admin": 200,
        },
    ),
    (
        "POST",
        "/admin/users/import",
        {
            "anonymous": 302,
            "learner": 403,
            "educator": 403,
            "manager": 403,
            "admin": 400,
        },
    ),
    (
        "GET",
        "/healthz",
        {
            "anonymous": 200,
            "learner": 200,
            "educator": 200,
            "manager": 200,
            "admin": 200,
        },
    ),
]

CASES = [
    (method, url, role, status)
    for method, url, expected in MATRIX
    for role, status in expected.items()
]


@pytest.mark.parametrize(("method", "url", "role", "status"), CASES)
def test_role_url_matrix(client, auth, demo, method, url, role, status):
    if ACCOUNTS[role]:
        auth.login(*ACCOUNTS[role])
    response = client.open(url, method=method)
    assert response.status_code == status
    if role == "anonymous" and status == 302:
        assert "/login" in response.headers["Location"]


@pytest.fixture
def learners_submission(client, auth, demo):
    """A submission handed in by the demo learner."""
    auth.login(*LEARNER)
    client.post(f"/learn/modules/{SLUG}/enrol")
    client.post(
        f"/learn/modules/{SLUG}/first-consultation/submissions",
        data={"text": " ".join(["tekst"] * 200)},
    )
    auth.logout()
    return db.session.execute(db.select(Submission)).scalar_one()


SUBMISSION_VIEW = "/learn/submissions/{uuid}"
SUBMISSION_REVIEW = "/teach/submissions/{uuid}"


def test_another_learner_cannot_open_a_submission(
    client, auth, make_user, learners_submission
):
    make_user(email="other@example.org", password="other-password-1")
    auth.login("other@example.org", "other-password-1")
    url = SUBMISSION_VIEW.format(uuid=learners_submission.uuid)
    assert client.get(url).status_code == 404
    review = SUBMISSION_REVIEW.format(uuid=learners_submission.uuid)
    assert client.get(review).status_code == 403


def test_the_author_sees_their_own_submission(client, auth, learners_submission):
    auth.login(*LEARNER)
    url = SUBMISSION_VIEW.format(uuid=learners_submission.uuid)
    assert client.get(url).status_code == 200


def test_educator_of_the_cohort_may_review(client, auth, learners_submission):
    auth.login(*EDUCATOR)
    assert client.get("/teach/").text.count(learners_submission.uuid) == 1
    url = SUBMISSION_REVIEW.format(uuid=learners_submission.uuid)
    assert client.get(url).status_code == 200


def test_educator_outside_the_cohort_gets_404(
    client, auth, make_user, learners_submission
):
    make_user(
        role="educator",
        unit_code="SUU",
        email="other-educator@example.org",
        password="other-password-1",
        job_role=None,
    )
    auth.login("other-educator@example.org", "other-password-1")
    assert learners_submission.uuid not in client.get("/teach/").text
    for template in (SUBMISSION_REVIEW, SUBMISSION_VIEW):
        assert (
            client.get(template.format(uuid=learners_submission.uuid)).status_code
            == 404
        )
    data = {"decision": "approve", "feedback": "x"}
    url = SUBMISSION_REVIEW.format(uuid=learners_submission.uuid)
    assert client.post(url, data=data).status_code == 404
    db.session.refresh(learners_submission)
    assert learners_submission.status == "submitted"


def test_manager_cannot_review_or_read_a_reflection(client, auth, learners_submission):
    auth.login(*MANAGER)
    assert (
        client.get(SUBMISSION_REVIEW.format(uuid=learners_submission.uuid)).status_code
        == 403
    )
    assert (
        client.get(SUBMISSION_VIEW.format(uuid=learners_submission.uuid)).status_code
        == 404
    )


def test_learner_cannot_open_another_learners_quiz_attempt(
    client, auth, make_user, demo
):
    auth.login(*LEARNER)
    client.post(f"/learn/modules/{SLUG}/enrol")
    client.post(f"/learn/modules/{SLUG}/final-quiz/attempts")
    auth.logout()
    make_user(email="other@example.org", password="other-password-1")
    auth.login("other@example.org", "other-password-1")
    response = client.get(f"/learn/modules/{SLUG}/final-quiz/attempts/1")
    assert response.status_code == 404
