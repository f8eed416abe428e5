"""Who may review, download, and see a cohort's overview: role × URL → status."""

import io

import pytest

from lms.extensions import db
from lms.models import Cohort, Submission
from tests.lms import files
from tests.lms.journey import SLUG, shipped_module

TASK = "first-consultation"
ACCOUNTS = {
    "anonymous": None,
    "author": ("learner@example.org", "learner-demo-2026"),
    "other_learner": ("other-learner@example.org", "other-password-1"),
    "educator": ("educator@example.org", "educator-demo-2026"),
    "other_educator": ("other-educator@example.org", "other-password-1"),
    "manager": ("manager@example.org", "manager-demo-2026"),
    "admin": ("admin@example.org", "admin-demo-2026"),
}

# URL templates, filled with the submission's uuid and the cohort's id.
REVIEW = "/teach/submissions/{uuid}"
DOWNLOAD = "/learn/submissions/{uuid}/file"
OVERVIEW = "/teach/cohorts/{cohort}/overview"
CSV = "/teach/cohorts/{cohort}/overview.csv"

# (method, url, {role: status}); 302 for anonymous goes to the login page, and 302
# for a decision means it was taken.
MATRIX = [
    (
        "GET",
        REVIEW,
        {
            "anonymous": 302,
            "author": 403,
            "other_learner": 403,
            "educator": 200,
            "other_educator": 404,
            "manager": 403,
            "admin": 200,
        },
    ),
    (
        "POST",
        REVIEW,
        {
            "anonymous": 302,
            "author": 403,
            "other_learner": 403,
            "educator": 302,
            "other_educator": 404,
            "manager": 403,
            "admin": 302,
        },
    ),
    (
        "GET",
        DOWNLOAD,
        {
            "anonymous": 302,
            "author": 200,
            "other_learner": 404,
            "educator": 200,
            "other_educator": 404,
            "manager": 404,
            "admin": 200,
        },
    ),
    (
        "GET",
        OVERVIEW,
        {
            "anonymous": 302,
            "author": 403,
            "other_learner": 403,
            "educator": 200,
            "other_educator": 404,
            "manager": 403,
            "admin": 200,
        },
    ),
    (
        "GET",
        CSV,
        {
            "anonymous": 302,
            "author": 403,
            "other_learner": 403,
            "educator": 200,
            "other_educator": 404,
            "manager": 403,
            "admin": 200,
        },
    ),
]
CASES = [
    pytest.param(method, url, role, status, id=f"{method} {url} {role}")
    for method, url, expected in MATRIX
    for role, status in expected.items()
]


@pytest.fixture
def world(app, client, auth, demo, make_user, tmp_path, monkeypatch):
    """A submission with a file in the demo cohort, and outsiders of every kind.

    The other educator runs a cohort of their own on the same module, with the
    other learner in it, so the refusals are about cohorts and not about roles.
    """
    monkeypatch.setitem(app.config, "LMS_STORAGE_DIR", str(tmp_path / "uploads"))
    other_learner = make_user(
        email="other-learner@example.org", password="other-password-1"
    )
    other_educator = make_user(
        role="educator",
        unit_code="SUU",
        email="other-educator@example.org",
        password="other-password-1",
        job_role=None,
    )
    db.session.add(
        Cohort(
            name="Et andet hold",
            module_slug=SLUG,
            educators=[other_educator],
            members=[other_learner],
        )
    )
    db.session.commit()
    auth.login(*ACCOUNTS["author"])
    client.post(f"/learn/modules/{SLUG}/enrol")
    response = client.post(
        f"/learn/modules/{SLUG}/{TASK}/submissions",
        data={
            "text": " ".join(["tekst"] * 200),
            "file": (io.BytesIO(files.pdf()), "rapport.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    auth.logout()
    submission = db.session.execute(db.select(Submission)).scalar_one()
    cohort = (
        db.session.execute(
            db.select(Cohort).filter_by(module_slug=SLUG).order_by(Cohort.id)
        )
        .scalars()
        .first()
    )
    assert submission.file is not None
    assert [m.email for m in cohort.members] == ["learner@example.org"]
    return submission, cohort


def _decision() -> dict:
    rubric = shipped_module().activity(TASK).content.rubric
    data = {"decision": "approve", "feedback": "Godt."}
    data |= {f"score-{c.id}": str(c.max_score) for c in rubric}
    return data


@pytest.mark.parametrize(("method", "url", "role", "status"), CASES)
def test_review_and_overview_matrix(client, auth, world, method, url, role, status):
    submission, cohort = world
    if ACCOUNTS[role]:
        auth.login(*ACCOUNTS[role])
    target = url.format(uuid=submission.uuid, cohort=cohort.id)
    data = _decision() if method == "POST" else None
    response = client.open(target, method=method, data=data, buffered=True)
    assert response.status_code == status
    if role == "anonymous":
        assert "/login" in response.headers["Location"]
    db.session.refresh(submission)
    decided = method == "POST" and status == 302 and role != "anonymous"
    assert submission.status == ("approved" if decided else "submitted")
    if method == "GET" and status == 200 and url == DOWNLOAD:
        assert response.data == files.pdf()


def test_the_other_educators_queue_and_filter_hide_the_cohort(client, auth, world):
    submission, cohort = world
    auth.login(*ACCOUNTS["other_educator"])
    assert submission.uuid not in client.get("/teach/").text
    assert client.get(f"/teach/?cohort={cohort.id}").status_code == 404


def test_the_admin_queue_shows_every_cohort(client, auth, world):
    submission, _cohort = world
    auth.login(*ACCOUNTS["admin"])
    assert submission.uuid in client.get("/teach/").text
