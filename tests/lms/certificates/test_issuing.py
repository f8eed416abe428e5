"""A certificate is issued exactly once when a completion rule is met."""

import threading
from datetime import timedelta

import pytest

from lms.certificates.queries import CODE_ALPHABET, CODE_LENGTH
from lms.extensions import db
from lms.models import Certificate, Enrolment, User
from lms.operations import certificates as certificate_ops
from lms.records import record
from lms.statements import module_completed
from tests.conftest import BASE_URL
from xapi.store import StatementQuery, query_statements
from xapi.vocabulary import VERBS


def _earned_statements(registration: str) -> list[dict]:
    found, _cursor = query_statements(
        db.session.connection(),
        StatementQuery(registration=registration, verb_id=VERBS["earned"].id),
    )
    return [s for s in found if s["verb"]["id"] == VERBS["earned"].id]


def test_completing_the_module_issues_one_certificate(earned, learner):
    assert earned.holder_id == learner.id
    assert earned.holder_name == "Lene Sørensen"
    assert earned.achievement_kind == "module"
    assert earned.achievement_slug == "video-consultations"
    assert earned.achievement_version == "1.2.0"
    assert earned.title_da == "Videokonsultationer med borgere"
    assert [(c["id"], c["level"]) for c in earned.competences] == [
        ("use.video", 2),
        ("communicate.relationship", 1),
    ]
    assert earned.competences[0]["name"]["en"] == "Video consultations"
    assert earned.issuer_name == "Bliv Digital Kompetent"
    assert earned.institution_name == "UCL Erhvervsakademi og Professionshøjskole"
    # certificate_valid_months = 24 in module.toml
    assert earned.expires_at - earned.issued_at > timedelta(days=729)
    assert earned.expires_at - earned.issued_at < timedelta(days=732)
    assert len(earned.code) == CODE_LENGTH
    assert set(earned.code) <= set(CODE_ALPHABET)
    assert earned.cycle == 0 and earned.previous_id is None


def test_issuing_writes_an_earned_statement(earned, learner):
    (statement,) = _earned_statements(earned.registration)
    assert statement["actor"]["account"] == {"homePage": BASE_URL, "name": learner.uuid}
    assert (
        statement["object"]["id"]
        == f"{BASE_URL}/xapi/activities/module/video-consultations"
    )
    extension = statement["result"]["extensions"][
        f"{BASE_URL}/xapi/extensions/certificate"
    ]
    assert extension == earned.uuid
    # The statement carries no personal data and not the verification code.
    assert "Lene" not in str(statement) and earned.code not in str(statement)


def test_a_second_completion_statement_issues_nothing(earned, enrolment):
    record(enrolment, [module_completed(enrolment)])
    db.session.commit()
    assert db.session.execute(db.select(db.func.count(Certificate.id))).scalar() == 1
    assert len(_earned_statements(enrolment.uuid)) == 1


def test_an_unfinished_enrolment_gets_no_certificate(client, auth, demo):
    from tests.lms.journey import do_learner_part

    auth.login()
    do_learner_part(client)  # the practice task still awaits review
    assert db.session.execute(db.select(Certificate)).first() is None
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    assert certificate_ops.issue_for_enrolment(enrolment) is None


def test_a_lost_race_is_caught_by_the_unique_constraint(earned, enrolment, monkeypatch):
    """The loser of a race does not see the winner's row before inserting its own."""
    monkeypatch.setattr(certificate_ops, "latest_in_chain", lambda *args: None)
    assert certificate_ops.issue_for_enrolment(enrolment) is None
    db.session.commit()
    assert db.session.execute(db.select(db.func.count(Certificate.id))).scalar() == 1


@pytest.mark.postgres_only  # SQLite runs one writer at a time: no race to test
def test_two_racing_completions_issue_one_certificate(
    app, backend, earned, enrolment, monkeypatch
):
    """Two transactions both see no certificate, both try to issue: one wins."""
    enrolment_id = enrolment.id
    db.session.delete(earned)
    db.session.commit()
    barrier = threading.Barrier(2, timeout=20)
    sign = certificate_ops.credential.sign_certificate

    def sign_together(certificate, summary):
        barrier.wait()  # both have passed the "already issued?" check
        sign(certificate, summary)

    monkeypatch.setattr(certificate_ops.credential, "sign_certificate", sign_together)
    results, errors = [], []

    def complete() -> None:
        with app.app_context():
            try:
                mine = db.session.get(Enrolment, enrolment_id)
                issued = certificate_ops.issue_for_enrolment(mine)
                db.session.commit()
                results.append(issued is not None)
            except BaseException as error:  # surface thread failures in the test
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(Certificate.id))).scalar() == 1
    assert (
        len(_earned_statements(enrolment.uuid)) == 2
    )  # the deleted one's and the winner's


def test_the_certificate_is_in_the_holders_language(client, auth, make_user, demo):
    from lms.models import Cohort
    from tests.lms.certificates.conftest import complete_module

    user = make_user(email="english@example.org")
    user.locale = "en"
    cohort = db.session.execute(db.select(Cohort)).scalar_one()
    cohort.members.append(user)
    db.session.commit()
    complete_module(client, auth, "english@example.org", "password-1234")
    found = db.session.execute(
        db.select(Certificate).filter_by(holder_id=user.id)
    ).scalar_one()
    assert found.locale == "en"
    assert '"name": "Video consultations with citizens"' in found.credential
    assert db.session.get(User, user.id).name in found.holder_name
