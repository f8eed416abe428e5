"""Practice tasks: hand-in with a file, review against the rubric, resubmission."""

import io
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.extensions import db
from lms.models import Enrolment, Submission, SubmissionFile, User
from lms.operations import review as review_ops
from tests.lms import files
from tests.lms.journey import SLUG, shipped_module
from xapi.store import StatementQuery, query_statements

TASK = "first-consultation"
TASK_URL = f"/learn/modules/{SLUG}/{TASK}"
LEARNER = ("learner@example.org", "learner-demo-2026")
EDUCATOR = ("educator@example.org", "educator-demo-2026")
REFLECTION = " ".join(["Jeg planlagde videokonsultationen grundigt."] * 40)
LIMIT = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Keep stored files in a folder of the test's own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "LMS_STORAGE_DIR", str(folder))
    return folder


def stored(folder) -> list:
    """Return every file the directory storage holds."""
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def sign_in(client, auth, account) -> None:
    """Sign in and switch the UI to English, so messages read as in the source."""
    auth.logout()
    auth.login(*account)
    client.post("/language", data={"locale": "en"})


def post_multipart(client, url, fields: dict, upload=None):
    """Post a multipart form built in memory (the test client would spool a large
    body to a temporary file it never closes)."""
    values = dict(fields)
    if upload is not None:
        name, content, *claimed = upload
        values["file"] = FileStorage(
            io.BytesIO(content),
            filename=name,
            content_type=claimed[0] if claimed else "application/octet-stream",
        )
    boundary, body = encode_multipart(values)
    return client.post(
        url, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def hand_in(client, text=REFLECTION, upload=None):
    """Post the practice task, with a file as (name, bytes[, claimed type])."""
    return post_multipart(client, f"{TASK_URL}/submissions", {"text": text}, upload)


def rubric():
    """Return the task's rubric criteria."""
    return shipped_module().activity(TASK).content.rubric


def decision(approve=True, score=None, feedback="Godt arbejde.", **overrides):
    """Return review form data with every criterion scored."""
    data = {"decision": "approve" if approve else "return", "feedback": feedback}
    for criterion in rubric():
        data[f"score-{criterion.id}"] = str(
            criterion.max_score if score is None else score
        )
    data.update(overrides)
    return data


def task_statements(verb: str) -> list[dict]:
    """Return the stored statements with this verb about the practice task."""
    found, _cursor = query_statements(
        db.session.connection(), StatementQuery(limit=500, ascending=True)
    )
    return [
        s
        for s in found
        if s["verb"]["id"].rsplit("/", 1)[-1] == verb
        and s["object"]["id"].endswith(f"/practice_task/{TASK}")
    ]


@pytest.fixture
def enrolled(client, auth, demo):
    """The demo learner, signed in, enrolled on the module."""
    sign_in(client, auth, LEARNER)
    assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
    return db.session.execute(db.select(User).filter_by(email=LEARNER[0])).scalar_one()


def only_submission() -> Submission:
    return db.session.execute(db.select(Submission)).scalar_one()


# --- Uploads ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), files.ACCEPTED)
def test_each_accepted_type_is_stored_with_the_type_found(
    client, enrolled, uploads, name, content, content_type
):
    response = hand_in(client, upload=(name, content))
    assert response.status_code == 302, response.text
    attached = db.session.execute(db.select(SubmissionFile)).scalar_one()
    assert attached.content_type == content_type
    assert attached.filename == name
    assert attached.size == len(content)
    assert re.fullmatch(r"[0-9a-f]{64}", attached.sha256)
    assert [p.read_bytes() for p in stored(uploads)] == [content]
    assert name not in str(stored(uploads)[0])  # keys never come from the name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rapport.pdf", files.executable()),  # an .exe renamed .pdf
        ("rapport.exe", files.pdf()),  # a PDF under a name we do not serve
        ("billede.pdf", files.png()),  # content and name disagree
        ("makro.docx", files.ooxml("docx", macro=True)),
        ("noter.txt", b"just some text"),
    ],
)
def test_a_wrongly_typed_file_is_refused_and_the_text_kept(
    client, enrolled, uploads, name, content
):
    response = hand_in(client, upload=(name, content))
    assert response.status_code == 400
    assert "The attached file must be a PDF, an image" in response.text
    assert REFLECTION in response.text
    assert 'aria-invalid="true"' in response.text
    assert db.session.execute(db.select(Submission)).first() is None
    assert stored(uploads) == []


def test_a_file_one_byte_over_10_mb_is_refused_and_the_text_kept(
    client, enrolled, uploads
):
    big = files.pdf()
    big += b"x" * (LIMIT + 1 - len(big))
    assert len(big) == LIMIT + 1
    response = hand_in(client, upload=("stor.pdf", big))
    assert response.status_code == 400
    assert "The attached file is larger than 10 MB" in response.text
    assert REFLECTION in response.text
    assert db.session.execute(db.select(Submission)).first() is None
    assert stored(uploads) == []


def test_a_body_over_the_request_limit_is_a_413_with_a_clear_message(
    client, enrolled, uploads
):
    content = files.pdf()
    content += b"x" * (13 * 1024 * 1024 - len(content))
    response = hand_in(client, upload=("enorm.pdf", content))
    assert response.status_code == 413
    assert "The file is too large. The limit is 10 MB." in response.text
    assert db.session.execute(db.select(Submission)).first() is None
    assert stored(uploads) == []


def test_a_file_of_exactly_10_mb_is_accepted(client, enrolled, uploads):
    content = files.pdf()
    content += b"x" * (LIMIT - len(content))
    assert hand_in(client, upload=("stor.pdf", content)).status_code == 302
    assert only_submission().file.size == LIMIT


def test_an_empty_file_is_refused(client, enrolled, uploads):
    response = hand_in(client, upload=("tom.pdf", b""))
    assert response.status_code == 400
    assert "The attached file is empty" in response.text


def test_a_reflection_error_asks_for_the_file_again(client, enrolled, uploads):
    response = hand_in(client, text="for kort", upload=("rapport.pdf", files.pdf()))
    assert response.status_code == 400
    assert "Write at least 150 words" in response.text
    assert "choose your file again" in response.text
    assert stored(uploads) == []


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../../../etc/passwd.pdf", "passwd.pdf"),
        ("/var/www/index.pdf", "index.pdf"),
        ("a:b|c*d?;<e>.pdf", "a_b_c_d___e_.pdf"),
        ("\u202egpj.exe\u202c.pdf", "gpj.exe.pdf"),  # no right-to-left override
        ("..pdf", "file.pdf"),
    ],
)
def test_names_that_look_like_paths_are_harmless(client, enrolled, uploads, name, kept):
    assert hand_in(client, upload=(name, files.pdf())).status_code == 302
    attached = only_submission().file
    assert attached.filename == kept
    (path,) = stored(uploads)
    assert path.parent.parent == uploads  # uploads/ab/abcdef…, nowhere else
    assert re.fullmatch(r"[0-9a-f]{32}", path.name)
    url = f"/learn/submissions/{only_submission().uuid}/file"
    download = client.get(url, buffered=True)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f'attachment; filename="{kept}"'


def test_a_double_click_on_hand_in_stores_one_version_and_one_file(
    client, enrolled, uploads
):
    first = hand_in(client, upload=("rapport.pdf", files.pdf()))
    second = hand_in(client, upload=("rapport.pdf", files.pdf()))
    assert first.status_code == second.status_code == 302
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar() == 1
    assert len(stored(uploads)) == 1
    assert len(task_statements("submit")) == 1


def test_another_file_while_awaiting_review_is_refused(client, enrolled, uploads):
    assert hand_in(client, upload=("rapport.pdf", files.pdf())).status_code == 302
    response = hand_in(client, upload=("andet.pdf", files.pdf(b"% changed\n")))
    assert response.status_code == 409
    assert REFLECTION in response.text
    assert len(stored(uploads)) == 1


# --- Downloads ---------------------------------------------------------------------


def test_a_download_is_an_attachment_of_the_checked_type(client, enrolled, uploads):
    hand_in(client, upload=("Min rapport æøå.pdf", files.pdf()))
    response = client.get(
        f"/learn/submissions/{only_submission().uuid}/file", buffered=True
    )
    assert response.status_code == 200
    assert response.data == files.pdf()
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Min%20rapport%20%C3%A6%C3%B8%C3%A5.pdf" in disposition
    assert "no-store" in response.headers["Cache-Control"]


def test_the_served_type_is_the_one_found_not_the_one_sent(client, enrolled):
    # The browser claims HTML; the content is a PNG, and that is what is served.
    response = hand_in(client, upload=("tavle.png", files.png(), "text/html"))
    assert response.status_code == 302
    download = client.get(
        f"/learn/submissions/{only_submission().uuid}/file", buffered=True
    )
    assert download.mimetype == "image/png"


def test_a_version_without_a_file_has_no_download(client, enrolled):
    hand_in(client)
    url = f"/learn/submissions/{only_submission().uuid}/file"
    assert client.get(url).status_code == 404


def test_a_file_missing_from_storage_is_a_404_not_a_crash(client, enrolled, uploads):
    hand_in(client, upload=("rapport.pdf", files.pdf()))
    for path in stored(uploads):
        path.unlink()
    url = f"/learn/submissions/{only_submission().uuid}/file"
    assert client.get(url).status_code == 404


# --- Review ------------------------------------------------------------------------


@pytest.fixture
def handed_in(client, auth, enrolled, uploads):
    """A version with a PDF awaiting review; the educator is signed in."""
    assert hand_in(client, upload=("rapport.pdf", files.pdf())).status_code == 302
    sign_in(client, auth, EDUCATOR)
    return only_submission()


def test_the_review_page_shows_reflection_file_and_rubric(client, handed_in):
    page = client.get(f"/teach/submissions/{handed_in.uuid}")
    assert page.status_code == 200
    assert "Jeg planlagde videokonsultationen grundigt." in page.text
    assert f"/learn/submissions/{handed_in.uuid}/file" in page.text
    for criterion in rubric():
        assert f'id="score-{criterion.id}"' in page.text
        assert f"0 to {criterion.max_score} points" in page.text
    assert "<legend>Rubric</legend>" in page.text


def test_the_reviewer_downloads_the_file(client, handed_in):
    response = client.get(f"/learn/submissions/{handed_in.uuid}/file", buffered=True)
    assert response.status_code == 200
    assert response.data == files.pdf()


@pytest.mark.parametrize("bad", ["99", "-1", "", "2.5", "tre", "²"])
def test_a_score_out_of_range_or_missing_is_refused_naming_the_criterion(
    client, handed_in, bad
):
    first = rubric()[0]
    data = decision(feedback="Min grundige feedback.", **{f"score-{first.id}": bad})
    response = client.post(f"/teach/submissions/{handed_in.uuid}", data=data)
    assert response.status_code == 400
    title = first.title["en"]
    assert f"“{title}”" in response.text
    assert f"0 and {first.max_score}" in response.text or (
        f"from 0 to {first.max_score}" in response.text
    )
    assert "Min grundige feedback." in response.text  # what was typed is kept
    for criterion in rubric()[1:]:
        assert f'value="{criterion.max_score}"' in response.text
    db.session.refresh(handed_in)
    assert handed_in.status == "submitted"
    assert task_statements("passed") == []


def test_the_operation_refuses_scores_outside_the_rubric(handed_in):
    educator = db.session.execute(
        db.select(User).filter_by(email=EDUCATOR[0])
    ).scalar_one()
    scores = {c.id: c.max_score for c in rubric()}
    scores[rubric()[-1].id] += 1
    with pytest.raises(review_ops.ReviewError) as caught:
        review_ops.review(
            handed_in, educator, approve=True, feedback="x", scores=scores
        )
    assert caught.value.code == "score_out_of_range"
    assert caught.value.criterion == rubric()[-1].id
    with pytest.raises(review_ops.ReviewError) as caught:
        review_ops.review(
            handed_in,
            educator,
            approve=True,
            feedback="x",
            scores={**scores, "invented": 1},
        )
    assert caught.value.code == "unknown_criterion"


def test_a_double_click_on_approve_decides_once(client, handed_in):
    url = f"/teach/submissions/{handed_in.uuid}"
    assert client.post(url, data=decision()).status_code == 302
    again = client.post(url, data=decision())
    assert again.status_code == 409
    assert "already approved by Erik Møller" in again.text
    assert "changed nothing" in again.text
    assert len(task_statements("passed")) == 1


def test_a_racing_second_decision_records_nothing(client, handed_in):
    """Two requests read "submitted"; only the first UPDATE may decide."""
    educator = db.session.execute(
        db.select(User).filter_by(email=EDUCATOR[0])
    ).scalar_one()
    scores = {c.id: c.max_score for c in rubric()}
    stale = db.session.get(Submission, handed_in.id)
    with db.engine.begin() as other_request:
        other_request.execute(
            db.update(Submission)
            .where(Submission.id == handed_in.id)
            .values(status="approved")
        )
    assert stale.status == "submitted"  # this request has not seen the decision
    with pytest.raises(review_ops.ReviewError) as caught:
        review_ops.review(
            stale, educator, approve=False, feedback="for sent", scores=scores
        )
    assert caught.value.code == "already_reviewed"
    assert task_statements("return") == [] and task_statements("passed") == []


def test_each_decision_is_a_statement_with_the_educator_as_instructor(
    client, handed_in
):
    client.post(f"/teach/submissions/{handed_in.uuid}", data=decision(False, 1))
    educator = db.session.execute(
        db.select(User).filter_by(email=EDUCATOR[0])
    ).scalar_one()
    (returned,) = task_statements("return")
    assert returned["context"]["instructor"]["account"]["name"] == educator.uuid
    assert returned["result"]["success"] is False
    assert returned["result"]["score"] == {
        "raw": len(rubric()),
        "min": 0,
        "max": sum(c.max_score for c in rubric()),
    }
    assert returned["actor"]["account"]["name"] == handed_in.enrolment.user.uuid


def test_a_returned_task_is_resubmitted_and_both_versions_kept(
    client, auth, handed_in, uploads, runner
):
    url = f"/teach/submissions/{handed_in.uuid}"
    feedback = "Beskriv plan B mere konkret."
    assert client.post(url, data=decision(False, 1, feedback)).status_code == 302

    sign_in(client, auth, LEARNER)
    page = client.get(TASK_URL)
    assert feedback in page.text and "Returned for revision" in page.text
    assert "Hand in a revised version" in page.text
    revised = REFLECTION + " Plan B: telefonopkald."
    second = hand_in(client, revised, ("rapport-v2.docx", files.ooxml("docx")))
    assert second.status_code == 302

    versions = db.session.execute(
        db.select(Submission).order_by(Submission.number)
    ).scalars()
    first, latest = list(versions)
    assert (first.status, latest.status) == ("returned", "submitted")
    assert (first.text, latest.text) == (REFLECTION, revised)
    assert first.file.filename == "rapport.pdf"
    assert latest.file.filename == "rapport-v2.docx"
    assert len(stored(uploads)) == 2
    assert (
        client.get(f"/learn/submissions/{first.uuid}/file", buffered=True).data
        == files.pdf()
    )

    sign_in(client, auth, EDUCATOR)
    page = client.get(f"/teach/submissions/{latest.uuid}")
    assert "Earlier versions" in page.text and feedback in page.text
    assert (
        client.post(f"/teach/submissions/{latest.uuid}", data=decision()).status_code
        == 302
    )
    verbs = [
        s["verb"]["id"].rsplit("/", 1)[-1]
        for s in task_statements("submit")
        + task_statements("return")
        + task_statements("passed")
    ]
    assert sorted(verbs) == ["passed", "return", "submit", "submit"]
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    state = {row.activity_id: row for row in enrolment.progress}
    assert state[TASK].status == "done"
    assert state[TASK].detail["status"] == "approved"
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 0, result.output


def test_the_learner_sees_feedback_and_scores_per_version(client, auth, handed_in):
    client.post(
        f"/teach/submissions/{handed_in.uuid}",
        data=decision(False, 1, "Mere om samtykke."),
    )
    sign_in(client, auth, LEARNER)
    page = client.get(f"/learn/submissions/{handed_in.uuid}")
    assert "Mere om samtykke." in page.text
    for criterion in rubric():
        assert f"1 of {criterion.max_score}" in page.text


# --- The queue -----------------------------------------------------------------------


def test_the_queue_is_oldest_first_and_filters_by_cohort(
    client, auth, demo, make_user, uploads
):
    from datetime import date

    from lms.models import Cohort

    educator = db.session.execute(
        db.select(User).filter_by(email=EDUCATOR[0])
    ).scalar_one()
    newer = make_user(email="newer@example.org", password="newer-password-1")
    other = Cohort(
        name="Hold 2",
        module_slug=SLUG,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 1),
        educators=[educator],
        members=[newer],
    )
    db.session.add(other)
    db.session.commit()
    sign_in(client, auth, LEARNER)
    client.post(f"/learn/modules/{SLUG}/enrol")
    hand_in(client)
    sign_in(client, auth, ("newer@example.org", "newer-password-1"))
    client.post(f"/learn/modules/{SLUG}/enrol")
    hand_in(client)
    first, second = db.session.execute(
        db.select(Submission).order_by(Submission.id)
    ).scalars()

    sign_in(client, auth, EDUCATOR)
    page = client.get("/teach/").text
    assert page.index(first.uuid) < page.index(second.uuid)
    filtered = client.get(f"/teach/?cohort={other.id}").text
    assert second.uuid in filtered and first.uuid not in filtered
    assert f"/teach/cohorts/{other.id}/overview" in filtered
    assert client.get("/teach/?cohort=999999").status_code == 404
    assert client.get("/teach/?cohort=abc").status_code == 404
