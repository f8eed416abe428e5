"""Fixtures: a learner with a full record (work, file, documents, certificate)."""

import io
import json

import pytest

from lms.extensions import db, limiter
from lms.models import Certificate, Submission, SubmissionFile, User
from lms.records import ingest
from lms.storage import storage
from tests.lms import files
from tests.lms.journey import approve_all, do_learner_part
from xapi import documents
from xapi.agents import agent_key

LEARNER = ("learner@example.org", "learner-demo-2026")
EDUCATOR = ("educator@example.org", "educator-demo-2026")
MANAGER = ("manager@example.org", "manager-demo-2026")
ADMIN = ("admin@example.org", "admin-demo-2026")
REFLECTION = ("Min refleksion om videokonsultationen med fru Hansen. " * 40).strip()
FILE_NAME = "hansen-konsultation.pdf"
#: A name an outside LRS client sent beside the learner's account.
OUTSIDE_NAME = "Lærke Learnersen"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Keep stored files in a folder of the test's own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "LMS_STORAGE_DIR", str(folder))
    limiter.reset()
    return folder


def stored(folder) -> list:
    """Return every file the directory storage holds."""
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def user(email: str) -> User:
    """Return the user with this e-mail."""
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def account(person: User, base: str = "http://lms.test") -> dict:
    """Return the person's xAPI actor."""
    return {"objectType": "Agent", "account": {"homePage": base, "name": person.uuid}}


@pytest.fixture
def record(client, auth, demo):
    """The demo learner's record: module done, task with a file, documents, more."""
    auth.login(*LEARNER)
    do_learner_part(client, reflection=REFLECTION)
    auth.logout()
    submission = db.session.execute(db.select(Submission)).scalar_one()
    content = files.pdf()
    key = storage().save(io.BytesIO(content), content_type="application/pdf")
    submission.file = SubmissionFile(
        storage_key=key,
        filename=FILE_NAME,
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
    )
    db.session.commit()
    auth.login(*EDUCATOR)
    approve_all(client)
    auth.logout()
    db.session.expire_all()
    learner = user(LEARNER[0])
    _documents_and_outside_statement(learner)
    return learner


def _documents_and_outside_statement(learner: User) -> None:
    key = agent_key(account(learner))
    connection = db.session.connection()
    documents.put_document(
        connection,
        documents.state("http://lms.test/xapi/activities/module/x", key),
        "bookmark",
        json.dumps({"page": 3}).encode(),
        "application/json",
    )
    documents.put_document(
        connection,
        documents.agent_profile(key),
        "preferences",
        b"mother tongue: Danish",
        "text/plain",
    )
    outside = {
        "actor": {**account(learner), "name": OUTSIDE_NAME},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "http://example.org/simulator/ward-round"},
    }
    authority = {
        "objectType": "Agent",
        "account": {"homePage": "http://example.org", "name": "simulator"},
    }
    ingest([outside], authority)
    db.session.commit()


def certificate_of(learner: User) -> Certificate:
    """Return the learner's one certificate."""
    return db.session.execute(
        db.select(Certificate).filter_by(holder_id=learner.id)
    ).scalar_one()
