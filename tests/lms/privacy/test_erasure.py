"""An admin erases a person: personal data goes, anonymous records stay."""

import json

import pytest

from lms.extensions import db
from lms.mail import queue_mail
from lms.models import (
    AuditRecord,
    Certificate,
    Job,
    Mail,
    Submission,
    SubmissionFile,
    User,
    cohort_members,
)
from lms.privacy import operations
from lms.storage import DirectoryStorage
from tests.lms.privacy.conftest import (
    ADMIN,
    EDUCATOR,
    FILE_NAME,
    LEARNER,
    MANAGER,
    OUTSIDE_NAME,
    account,
    certificate_of,
    stored,
    user,
)
from xapi.agents import agent_key
from xapi.documents.schema import agent_profiles, states
from xapi.store.schema import statements

REASON = "Request under GDPR art. 17, case 2026-114"


def erase_url(person: User) -> str:
    return f"/admin/users/{person.id}/erase"


def confirm(client, person: User, email: str | None = None, reason: str = REASON):
    return client.post(
        erase_url(person), data={"email": email or person.email, "reason": reason}
    )


def statement_rows() -> list[tuple[str, str]]:
    connection = db.session.connection()
    return [
        (row.statement_id, row.actor_key)
        for row in connection.execute(statements.select().order_by(statements.c.seq))
    ]


def document_count(person: User) -> int:
    key = agent_key(account(person))
    connection = db.session.connection()
    return sum(
        connection.execute(
            db.select(db.func.count())
            .select_from(table)
            .where(table.c.agent_key == key)
        ).scalar()
        for table in (states, agent_profiles)
    )


def test_erasure_removes_personal_data_and_keeps_anonymous_records(
    client, auth, record, uploads
):
    learner, name, uuid = record, record.name, record.uuid
    certificate = certificate_of(learner)
    queue_mail(LEARNER[0], "Påmindelse", f"Kære {name}")
    db.session.commit()
    before = statement_rows()
    assert len(stored(uploads)) == 1 and document_count(learner) == 2

    auth.login(*ADMIN)
    response = confirm(client, learner)
    assert response.status_code == 302
    db.session.expire_all()

    person = db.session.get(User, learner.id)
    assert person.name == "" and person.password_hash == ""
    assert person.email == f"erased-{uuid}@erased.invalid"
    assert person.uuid == uuid  # the tombstone keeps the pseudonymous account
    assert not person.active and person.erased_at is not None
    assert person.roles == frozenset() and person.primary_unit_id is None
    assert person.job_role is None
    members = db.session.execute(
        db.select(cohort_members).where(cohort_members.c.user_id == person.id)
    ).all()
    assert members == []
    # Work: the texts, the feedback and the file are gone; the versions stay.
    submission = db.session.execute(db.select(Submission)).scalar_one()
    assert submission.text == "" and submission.feedback is None
    assert submission.status == "approved"
    attached = db.session.execute(db.select(SubmissionFile)).scalar_one()
    assert attached.deleted_reason == "erasure" and attached.filename == ""
    assert stored(uploads) == []
    assert document_count(person) == 0
    assert (
        db.session.execute(db.select(Mail).filter_by(recipient=LEARNER[0])).all() == []
    )
    # Statements stay, about the same pseudonymous actor; a name an outside client
    # sent is scrubbed from the stored statement.
    assert statement_rows() == before
    payloads = " ".join(
        row.payload for row in db.session.connection().execute(statements.select())
    )
    assert OUTSIDE_NAME not in payloads and name not in payloads
    assert uuid in payloads
    # The certificate stays, without the name or our copies that carry it.
    kept = db.session.get(Certificate, certificate.id)
    assert kept.holder_name == "" and kept.holder_erased_at is not None
    assert kept.credential == "" and kept.pdf is None
    assert kept.code == certificate.code and kept.revoked_at is None
    # Audited with the reason and counts, no personal data.
    (audited,) = db.session.execute(
        db.select(AuditRecord).filter_by(action="privacy.erase")
    ).scalars()
    assert audited.target_id == uuid and audited.actor_id == user(ADMIN[0]).id
    assert audited.detail["reason"] == REASON
    assert audited.detail["files"] == 1 and audited.detail["documents"] == 2
    assert audited.detail["statements"] == 1 and audited.detail["certificates"] == 1
    detail = json.dumps(audited.detail, ensure_ascii=False)
    assert LEARNER[0] not in detail and name not in detail and FILE_NAME not in detail


def test_the_erased_person_cannot_sign_in_and_their_session_ends(
    app, client, auth, record
):
    other = app.test_client()
    other.post("/login", data={"email": LEARNER[0], "password": LEARNER[1]})
    assert other.get("/account").status_code == 200
    auth.login(*ADMIN)
    assert confirm(client, record).status_code == 302
    assert other.get("/account").status_code == 302  # signed out
    response = other.post("/login", data={"email": LEARNER[0], "password": LEARNER[1]})
    assert response.status_code == 401


def test_the_certificate_verifies_without_a_name_and_has_no_pdf(client, auth, record):
    certificate = certificate_of(record)
    name, code, uuid = record.name, certificate.code, certificate.uuid
    auth.login(*ADMIN)
    assert client.get(f"/certificates/{uuid}/certificate.pdf").status_code == 200
    confirm(client, record)
    assert client.get(f"/certificates/{uuid}/certificate.pdf").status_code == 410
    assert client.get(f"/certificates/{uuid}/credential.json").status_code == 410
    auth.logout()
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200
    assert "Valid: this certificate is genuine and in force." in page.text
    assert "Issued to an erased holder" in page.text
    assert name not in page.text


def test_a_revoked_certificate_of_an_erased_holder_still_says_revoked(
    client, auth, record
):
    certificate = certificate_of(record)
    auth.login(*ADMIN)
    confirm(client, record)
    mails = db.session.execute(db.select(db.func.count(Mail.id))).scalar()
    client.post(
        f"/certificates/admin/{certificate.uuid}/revoke", data={"reason": "Fejl"}
    )
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/verify/{certificate.code}").text
    assert "Revoked: the issuer has withdrawn this certificate." in page
    assert "Issued to an erased holder" in page
    # No mail goes to the erased holder's placeholder address.
    assert db.session.execute(db.select(db.func.count(Mail.id))).scalar() == mails


def test_erasing_twice_changes_nothing(client, auth, record):
    auth.login(*ADMIN)
    assert confirm(client, record).status_code == 302
    db.session.expire_all()
    person = db.session.get(User, record.id)
    erased_at, email = person.erased_at, person.email
    again = confirm(client, person, email=email)
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, record.id).erased_at == erased_at
    count = db.session.execute(
        db.select(db.func.count(AuditRecord.id)).filter_by(action="privacy.erase")
    ).scalar()
    assert count == 1
    assert operations.erase(person, user(ADMIN[0]), "again") is None
    page = client.get(erase_url(person))
    assert page.status_code == 200 and 'name="reason"' not in page.text


@pytest.mark.parametrize(
    ("email", "reason", "message"),
    [
        ("someone.else@example.org", REASON, "This is not the person"),
        ("", REASON, "Type the e-mail address to confirm."),
        (LEARNER[0], "", "Write the reason for the erasure."),
        (LEARNER[0], "x" * 501, "Write at most 500 characters."),
    ],
)
def test_a_wrong_confirmation_erases_nothing(
    client, auth, record, email, reason, message
):
    auth.login(*ADMIN)
    client.post("/language", data={"locale": "en"})
    response = client.post(erase_url(record), data={"email": email, "reason": reason})
    assert response.status_code == 400
    assert message in response.text
    db.session.expire_all()
    assert db.session.get(User, record.id).erased_at is None


def test_the_email_is_confirmed_regardless_of_case(client, auth, record):
    auth.login(*ADMIN)
    assert confirm(client, record, email="  Learner@Example.ORG ").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, record.id).erased_at is not None


def test_an_admin_cannot_erase_themselves(client, auth, demo):
    admin = user(ADMIN[0])
    auth.login(*ADMIN)
    client.post("/language", data={"locale": "en"})
    assert "You cannot erase your own account." in client.get(erase_url(admin)).text
    assert confirm(client, admin).status_code == 409
    db.session.expire_all()
    assert db.session.get(User, admin.id).erased_at is None


def test_the_last_admin_cannot_be_erased(demo, make_user):
    admin = user(ADMIN[0])
    other = make_user(role="manager")
    with pytest.raises(operations.ErasureRefused) as refused:
        operations.erase(admin, other, REASON)
    assert refused.value.code == "last_admin"
    second = make_user(role="admin")
    assert operations.erase(admin, second, REASON) is not None


@pytest.mark.parametrize("account", [LEARNER, EDUCATOR, MANAGER])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_admins_may_erase(client, auth, demo, account, method):
    target = user(LEARNER[0]) if account != LEARNER else user(EDUCATOR[0])
    auth.login(*account)
    response = getattr(client, method)(
        erase_url(target), data={"email": target.email, "reason": REASON}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, target.id).erased_at is None


def test_anonymous_is_sent_to_sign_in(client, demo):
    target = user(LEARNER[0])
    for response in (
        client.get(erase_url(target)),
        client.post(erase_url(target), data={"email": target.email, "reason": "x"}),
    ):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.get(User, target.id).erased_at is None


def test_an_unknown_person_is_not_found(client, auth, demo):
    auth.login(*ADMIN)
    assert client.get("/admin/users/999999/erase").status_code == 404


class FailingStorage(DirectoryStorage):
    """A storage whose deletes fail, as a network store might."""

    def delete(self, key: str) -> None:
        raise OSError("storage unavailable")


def test_a_file_that_cannot_be_deleted_is_retried_by_a_job(
    app, client, auth, record, uploads, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_STORAGE", FailingStorage(uploads))
    auth.login(*ADMIN)
    assert confirm(client, record).status_code == 302
    assert len(stored(uploads)) == 1  # still there
    job = db.session.execute(
        db.select(Job).filter_by(kind=operations.DELETE_FILE_JOB)
    ).scalar_one()
    from lms.jobs import run_job

    assert run_job(job) is False  # still failing: backoff, tried again later
    monkeypatch.setitem(app.config, "LMS_STORAGE", None)
    job = db.session.get(Job, job.id)
    assert run_job(job) is True
    assert stored(uploads) == []


def test_the_confirmation_page_shows_the_account_and_what_to_do_downstream(
    client, auth, record
):
    auth.login(*ADMIN)
    client.post("/language", data={"locale": "en"})
    page = client.get(erase_url(record)).text
    assert "http://lms.test" in page and record.uuid in page
    assert "No statements are forwarded to external learning record stores" in page
    assert "keeps verifying offline" in page  # the admin is told about OB3 copies

    from lms.forwarding.operations import create_endpoint

    create_endpoint(
        "Region analytics", "https://lrs.example/xapi/", "lms", "s3cret-value", None
    )
    db.session.commit()
    page = client.get(erase_url(record)).text
    assert "Region analytics" in page and "https://lrs.example/xapi/" in page
    assert "xAPI has no way to ask another store to erase" in page


def test_downstream_notice_is_empty_without_forwarding(app, record):
    from lms.privacy.downstream import actor_account, downstream_notice

    assert downstream_notice(record) == []
    assert actor_account(record) == ("http://lms.test", record.uuid)


def test_the_admin_user_list_links_to_erasure_and_marks_the_erased(
    client, auth, record
):
    auth.login(*ADMIN)
    client.post("/language", data={"locale": "en"})
    assert erase_url(record) in client.get("/admin/users").text
    confirm(client, record)
    page = client.get("/admin/users").text
    assert "Erased person" in page and LEARNER[0] not in page


def test_erasure_removes_sign_in_data_and_ends_sessions(client, auth, record, app):
    from lms.models import PasswordResetToken
    from lms.operations import accounts, two_factor

    learner = record
    learner.timezone = "America/Nuuk"
    learner.failed_logins = 3
    two_factor.start_enrolment(learner)
    db.session.commit()
    with app.test_request_context():
        accounts.request_reset(learner.email, lambda token: f"/reset/{token}")
    db.session.commit()
    assert db.session.execute(db.select(PasswordResetToken)).first() is not None
    token = learner.session_token

    auth.login(*ADMIN)
    assert confirm(client, learner).status_code == 302
    db.session.expire_all()
    person = db.session.get(User, learner.id)
    assert person.totp_secret is None and not person.totp_enabled
    assert person.failed_logins == 0 and person.locked_until is None
    assert person.timezone is None
    assert person.session_token != token  # every open session ends
    assert db.session.execute(db.select(PasswordResetToken)).first() is None


# --- Free-text answers in statements -----------------------------------------------

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
FREE_TEXT = "Jeg hedder Lærke og bor på Strandvejen 4"
SIMULATOR = {
    "objectType": "Agent",
    "account": {"homePage": "http://example.org", "name": "simulator"},
}


def _outside(statement_id: str, actor: dict, obj: dict, response: str, **more):
    return {
        "id": statement_id,
        "actor": actor,
        "verb": {"id": ANSWERED},
        "object": obj,
        "result": {"response": response, **more.pop("result", {})},
        **more,
    }


def _interaction(kind: str, **components) -> dict:
    return {
        "id": f"http://example.org/simulator/{kind}",
        "definition": {"interactionType": kind, **components},
    }


def _payloads() -> dict[str, dict]:
    rows = db.session.connection().execute(statements.select())
    return {row.statement_id: json.loads(row.payload) for row in rows}


def _response(statement: dict) -> str | None:
    return statement.get("result", {}).get("response")


def test_erasure_removes_free_text_answers_and_keeps_structured_ones(
    client, auth, record
):
    """Issue: "Personal data is deleted, and their statements stay only as anonymous
    records through the pseudonymous actor." A fill-in answer an outside client sent
    may hold the person's own words; a chosen option id cannot."""
    from lms.records import ingest

    learner, educator = record, account(user(EDUCATOR[0]))
    me = account(learner)
    choices = [{"id": "a", "description": {"da": "A"}}, {"id": "b"}]
    group = {"objectType": "Group", "member": [me, educator]}
    extensions = {"http://example.org/ext/station": "Afsnit 4"}
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(12)]
    batch = [
        # Lose the response (and, the first, a name too: still one statement).
        _outside(
            ids[0],
            {**me, "name": OUTSIDE_NAME},
            _interaction("fill-in"),
            FREE_TEXT,
            result={"extensions": extensions},
            context={"extensions": extensions},
        ),
        _outside(ids[1], me, _interaction("long-fill-in"), FREE_TEXT),
        _outside(ids[2], me, _interaction("other"), FREE_TEXT),
        _outside(
            ids[3],
            me,
            _interaction("performance", steps=[{"id": "s1"}]),
            f"s1[.]{FREE_TEXT}",
        ),
        _outside(ids[4], me, {"id": "http://example.org/simulator/q"}, FREE_TEXT),
        _outside(ids[5], me, _interaction("choice", choices=choices), FREE_TEXT),
        _outside(ids[6], group, _interaction("fill-in"), FREE_TEXT),
        _outside(
            ids[7],
            SIMULATOR,
            {
                "objectType": "SubStatement",
                "actor": me,
                "verb": {"id": ANSWERED},
                "object": _interaction("fill-in"),
                "result": {"response": FREE_TEXT},
            },
            "the simulator's own words",
        ),
        # Keep the response: structured, or not the person's.
        _outside(ids[8], me, _interaction("choice", choices=choices), "a[,]b"),
        _outside(ids[9], me, _interaction("numeric"), "4.5"),
        _outside(ids[10], educator, _interaction("fill-in"), "Erik's own words"),
        _outside(ids[11], me, _interaction("true-false"), "true"),
    ]
    ingest(batch, SIMULATOR)
    db.session.commit()
    before = _payloads()
    own = {
        k: v for k, v in before.items() if v["authority"]["account"]["name"] == "lms"
    }
    assert [s for s in own.values() if _response(s)]  # quiz and case answers

    auth.login(*ADMIN)
    assert confirm(client, learner).status_code == 302
    db.session.expire_all()

    after = _payloads()
    assert {k: v for k, v in after.items() if k in own} == own  # kept as they were
    assert FREE_TEXT not in json.dumps(after, ensure_ascii=False)
    for statement_id in ids[:7]:
        assert _response(after[statement_id]) is None
    assert after[ids[7]]["object"]["result"] == {}
    assert _response(after[ids[7]]) == "the simulator's own words"
    for statement_id in ids[8:]:
        assert after[statement_id] == before[statement_id]
    # Extension values are the profile's, not the person's free text: they stay.
    assert after[ids[0]]["result"]["extensions"] == extensions
    assert after[ids[0]]["context"]["extensions"] == extensions
    changed = {k for k in before if before[k] != after[k]}
    assert changed == set(ids[:8]) | {_outside_statement_id(before)}
    audited = db.session.execute(
        db.select(AuditRecord).filter_by(action="privacy.erase")
    ).scalar_one()
    assert audited.detail["statements"] == len(changed) == 9


def _outside_statement_id(payloads: dict[str, dict]) -> str:
    """Return the id of the fixture's outside statement (the one with a name)."""
    (found,) = [
        k
        for k, v in payloads.items()
        if v["actor"].get("name") == OUTSIDE_NAME and "result" not in v
    ]
    return found


def test_a_free_text_answer_leaves_the_progress_projection_too(client, auth, record):
    """The progress projection holds a case's answers; after erasure it must not
    keep one the statements lost, and must still equal a rebuild from them."""
    from lms.models import ActivityProgress, Enrolment
    from lms.operations.progress import rebuild
    from lms.records import ingest
    from tests.lms.journey import shipped_module
    from xapi.builders import ActivityIds

    module = shipped_module()
    case = next(a for a in module.activities if a.kind == "case")
    step = case.content.steps[0]
    enrolment = db.session.execute(
        db.select(Enrolment).filter_by(user_id=record.id)
    ).scalar_one()
    statement = _outside(
        "00000000-0000-4000-8000-000000000100",
        account(record),
        {"id": ActivityIds("http://lms.test").case_step(module.slug, case.id, step.id)},
        FREE_TEXT,
        context={"registration": enrolment.uuid},
    )
    ingest([statement], SIMULATOR)
    db.session.commit()
    query = db.select(ActivityProgress).filter_by(
        enrolment_id=enrolment.id, activity_id=case.id
    )
    progress = db.session.execute(query).scalar_one()
    assert progress.detail["answers"][step.id] == FREE_TEXT

    auth.login(*ADMIN)
    assert confirm(client, record).status_code == 302
    db.session.expire_all()
    progress = db.session.execute(query).scalar_one()
    assert FREE_TEXT not in json.dumps(progress.detail, ensure_ascii=False)
    assert progress.detail["answers"][step.id] is None
    assert progress.status == "done"  # an answer's text never decided completion
    assert rebuild(check=True) == []


# --- Mails about the person --------------------------------------------------------


def test_mails_about_the_person_go_or_keep_only_that_they_were_sent(
    client, auth, record, make_user
):
    """Issue: "Personal data is deleted." A manager's mail about the person's
    certificate names them: unsent, it goes; sent, only the record that a mail
    went out stays. Mails about other people stay as they are."""
    from datetime import timedelta

    from lms.competence import clock
    from lms.operations.certificate_reminders import send_expiry_reminders
    from lms.operations.certificates import revoke
    from tests.lms.certificates.conftest import certify

    learner, name, admin = record, record.name, user(ADMIN[0])
    manager = user(MANAGER[0])
    certificate = certificate_of(learner)
    now = clock.now()
    certificate.expires_at = now + timedelta(days=20)
    send_expiry_reminders(now)  # to the holder and to the manager
    reminder = db.session.execute(
        db.select(Mail).filter_by(recipient=manager.email)
    ).scalar_one()
    assert name in reminder.body and reminder.about_user_id == learner.id
    reminder.sent_at = now
    revoke(certificate, admin, "Fejl")  # queued for the manager, not sent yet
    notice = db.session.execute(
        db.select(Mail).where(Mail.recipient == manager.email, Mail.sent_at.is_(None))
    ).scalar_one()
    assert name in notice.body and notice.about_user_id == learner.id
    own = db.session.execute(
        db.select(Mail).filter_by(recipient=learner.email)
    ).scalars()
    assert {mail.about_user_id for mail in own} == {None}  # to the person: enough
    # The same notices about someone else, one of them sent.
    other = make_user(role="learner")
    revoke(certify(other), admin, "Fejl")
    send_expiry_reminders(now)
    about_other = db.session.execute(
        db.select(Mail).filter_by(recipient=manager.email, about_user_id=other.id)
    ).scalar_one()
    about_other.sent_at = now
    digest = queue_mail(manager.email, "Daglig oversigt", "Forsinket: 1")
    db.session.commit()
    kept = {
        mail.id: (mail.subject, mail.body, mail.sent_at)
        for mail in (about_other, digest)
    }
    reminder_id, notice_id = reminder.id, notice.id

    auth.login(*ADMIN)
    assert confirm(client, learner).status_code == 302
    db.session.expire_all()

    assert db.session.get(Mail, notice_id) is None
    blanked = db.session.get(Mail, reminder_id)
    assert (blanked.subject, blanked.body) == ("[erased]", "[erased]")
    assert blanked.recipient == manager.email and blanked.sent_at is not None
    for mail_id, (subject, body, sent_at) in kept.items():
        mail = db.session.get(Mail, mail_id)
        assert (mail.subject, mail.body, mail.sent_at) == (subject, body, sent_at)
    texts = db.session.execute(db.select(Mail.subject, Mail.body)).all()
    assert not [text for text in texts if name in text.subject + text.body]
    audited = db.session.execute(
        db.select(AuditRecord).filter_by(action="privacy.erase")
    ).scalar_one()
    # Two to the person (expiry, revocation), one deleted and one blanked about them.
    assert audited.detail["mails"] == 4
