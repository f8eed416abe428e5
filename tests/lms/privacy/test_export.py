"""A person downloads everything held about them, as JSON or as zipped CSV."""

import csv
import io
import json
import re
import zipfile

from lms.extensions import db
from lms.models import AuditRecord
from tests.lms.journey import do_learner_part
from tests.lms.privacy.conftest import (
    FILE_NAME,
    LEARNER,
    OUTSIDE_NAME,
    REFLECTION,
    account,
    user,
)
from xapi.agents import agent_key
from xapi.store import StatementQuery, query_statements

DATED = re.compile(r'attachment; filename="my-data-\d{4}-\d{2}-\d{2}\.(json|zip)"')


def own_statements(person) -> list[dict]:
    """Return the stored statements whose actor is the person (not voided)."""
    found, _cursor = query_statements(
        db.session.connection(),
        StatementQuery(agent_key=agent_key(account(person)), limit=500),
    )
    return [s for s in found if agent_key(s["actor"]) == agent_key(account(person))]


def export_json(client) -> dict:
    response = client.post("/account/data.json")
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/json"
    assert DATED.fullmatch(response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "private, no-store"
    return json.loads(response.data)


def test_the_json_holds_profile_work_certificates_statements_and_documents(
    client, auth, record
):
    auth.login(*LEARNER)
    data = export_json(client)
    assert data["format"] == "bdk-lms-personal-data/1"
    assert data["profile"]["email"] == LEARNER[0]
    assert data["profile"]["name"] == record.name
    assert data["profile"]["xapi_account"]["name"] == record.uuid
    assert data["roles"] == ["learner"]
    assert [c["as"] for c in data["cohorts"]] == ["member"]
    (enrolment,) = data["enrolments"]
    assert enrolment["progress_percent"] == 100 and enrolment["completed_at"]
    assert {a["status"] for a in enrolment["activities"]} == {"done"}
    (submission,) = data["submissions"]
    assert submission["text"] == REFLECTION
    assert submission["status"] == "approved"
    assert submission["feedback"] == "Fin refleksion."
    assert submission["file"]["name"] == FILE_NAME
    assert data["quiz_attempts"] and data["quiz_attempts"][0]["passed"] is True
    (certificate,) = data["certificates"]
    assert certificate["holder_name"] == record.name
    assert certificate["status"] == "valid"
    # Every statement about the person, selected by their actor, in full.
    ids = {entry["statement"]["id"] for entry in data["statements"]}
    assert ids == {s["id"] for s in own_statements(record)}
    assert len(ids) > 10
    names = {entry["statement"]["actor"].get("name") for entry in data["statements"]}
    assert OUTSIDE_NAME in names  # what an outside client sent is theirs too
    kinds = {(d["kind"], d["id"]) for d in data["documents"]}
    assert kinds == {("state", "bookmark"), ("agent_profile", "preferences")}
    state = next(d for d in data["documents"] if d["kind"] == "state")
    assert state["json"] == {"page": 3}


def test_the_zip_holds_one_csv_per_table(client, auth, record):
    auth.login(*LEARNER)
    response = client.post("/account/data.csv")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert DATED.fullmatch(response.headers["Content-Disposition"])
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {
        "README.txt",
        "profile.csv",
        "roles_and_units.csv",
        "enrolments.csv",
        "activity_progress.csv",
        "submissions.csv",
        "attendance.csv",
        "certificates.csv",
        "statements.csv",
        "documents.csv",
    } <= names

    def rows(name: str) -> list[dict]:
        text = archive.read(name).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    profile = {row["field"]: row["value"] for row in rows("profile.csv")}
    assert profile["email"] == LEARNER[0]
    assert profile["xapi_account_name"] == record.uuid
    (submission,) = rows("submissions.csv")
    assert submission["text"] == REFLECTION
    assert submission["file_name"] == FILE_NAME
    assert submission["status"] == "approved"
    statements = rows("statements.csv")
    assert {row["id"] for row in statements} == {
        s["id"] for s in own_statements(record)
    }
    full = json.loads(statements[0]["statement"])
    assert full["actor"]["account"]["name"] == record.uuid
    assert {row["id"] for row in rows("documents.csv")} == {"bookmark", "preferences"}
    assert ("role", "learner") in {
        (r["kind"], r["name"]) for r in rows("roles_and_units.csv")
    }


def test_the_export_holds_only_the_signed_in_persons_data(
    client, auth, record, make_user
):
    other = make_user(email="other@example.org", password="other-password-1")
    auth.login("other@example.org", "other-password-1")
    do_learner_part(client, reflection=("Den andens helt egen tekst. " * 60).strip())
    data = export_json(client)
    assert data["profile"]["email"] == "other@example.org"
    assert [s["text"] for s in data["submissions"]] == [
        ("Den andens helt egen tekst. " * 60).strip()
    ]
    assert data["certificates"] == [] and data["documents"] == []
    actors = {
        entry["statement"]["actor"]["account"]["name"] for entry in data["statements"]
    }
    assert actors == {other.uuid}
    assert REFLECTION not in json.dumps(data) and record.uuid not in json.dumps(data)


def test_the_export_url_names_no_person(app):
    """There is no id to change: the export is always the signed-in person's own."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == "privacy.export_data"]
    assert [sorted(r.arguments) for r in rules] == [["fmt"]]


def test_each_export_is_audited_without_personal_data(client, auth, record):
    auth.login(*LEARNER)
    client.post("/account/data.json")
    client.post("/account/data.csv")
    audits = (
        db.session.execute(
            db.select(AuditRecord)
            .filter_by(action="privacy.export")
            .order_by(AuditRecord.id)
        )
        .scalars()
        .all()
    )
    assert [(a.target_id, a.actor_id, a.detail) for a in audits] == [
        (record.uuid, record.id, {"format": "json"}),
        (record.uuid, record.id, {"format": "csv"}),
    ]


def test_anonymous_is_sent_to_sign_in_and_get_is_not_allowed(client, auth, demo):
    response = client.post("/account/data.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(*LEARNER)
    assert client.get("/account/data.json").status_code == 405
    assert client.post("/account/data.xml").status_code == 404


def test_an_export_without_the_csrf_token_is_refused(
    app, client, auth, demo, monkeypatch
):
    auth.login(*LEARNER)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/account/data.json").status_code == 400
    count = db.session.execute(
        db.select(db.func.count(AuditRecord.id)).filter_by(action="privacy.export")
    ).scalar()
    assert count == 0


def test_the_account_page_offers_both_downloads_in_each_language(client, auth, demo):
    auth.login(*LEARNER)
    page = client.get("/account").text
    assert "Hent mine data (JSON)" in page
    assert 'action="/account/data.csv"' in page
    client.post("/language", data={"locale": "en"})
    assert "Download my data (JSON)" in client.get("/account").text
    assert user(LEARNER[0]).locale == "en"
