"""The public verification page, the DID document and the status list."""

import re

import pytest

from lms.certificates import status_list
from lms.extensions import db
from lms.models import User
from lms.operations.certificates import revoke

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def _admin() -> User:
    return db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()


def test_anyone_sees_a_valid_certificate_without_logging_in(client, certified):
    page = client.get(f"/verify/{certified.code}")
    assert page.status_code == 200
    assert "Gyldigt" in page.text and "Lene Sørensen" in page.text
    assert "Videokonsultationer med borgere" in page.text
    assert "Videokonsultationer</td><td>2 – Kan anvende" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex"


def test_the_page_shows_nothing_more_than_the_certificate(client, certified, learner):
    text = client.get(f"/verify/{certified.code}?lang=en").text
    for private in (learner.email, learner.uuid, "Hjemmeplejen", certified.uuid):
        assert private not in text
    assert "Holder" in text and "Valid until" in text


def test_a_code_is_found_however_it_is_typed(client, certified):
    typed = certified.code.lower()
    spaced = f"{typed[:4]}-{typed[4:8]} {typed[8:]}"
    assert client.get(f"/verify/{spaced}").status_code == 200
    lookup = client.get(f"/verify/?code={certified.code}")
    assert lookup.status_code == 302
    assert lookup.headers["Location"].endswith(f"/verify/{certified.code}")


def test_expired_and_revoked_are_shown(client, certified):
    from datetime import UTC, datetime, timedelta

    certified.expires_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    assert "Udløbet" in client.get(f"/verify/{certified.code}").text
    revoke(certified, _admin(), "Snyd ved prøven")
    text = client.get(f"/verify/{certified.code}").text
    assert "Tilbagekaldt: udstederen" in text
    assert "Snyd ved prøven" not in text  # the reason is not public


def _near_misses(code: str) -> list[str]:
    swapped = code[1] + code[0] + code[2:]
    changed = ("A" if code[-1] != "A" else "B").join([code[:-1], ""])
    misses = [
        swapped,
        changed,
        code[:-1],
        code + "A",
        "AAAAAAAAAAAA",
        "0OIL1",
        "x" * 40,
    ]
    # A code that starts with a doubled letter swaps into itself: not a miss.
    return [miss for miss in dict.fromkeys(misses) if miss != code]


def test_wrong_codes_all_get_the_same_answer(client, certified):
    answers = set()
    for wrong in _near_misses(certified.code):
        response = client.get(f"/verify/{wrong}")
        assert response.status_code == 404
        answers.add(CSRF.sub("", response.text).replace(wrong, ""))
    assert len(answers) == 1
    assert "blev ikke fundet" in answers.pop()


def test_wrong_codes_are_rate_limited_per_client(app, client, certified, monkeypatch):
    """Guessing is limited per address; the limit then holds for every lookup."""
    monkeypatch.setitem(app.config, "LMS_VERIFY_RATE_LIMIT", "3 per minute")
    wrong = _near_misses(certified.code)
    for code in wrong[:3]:
        assert client.get(f"/verify/{code}").status_code == 404
    limited = client.get(f"/verify/{wrong[3]}")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert client.get(f"/verify/{certified.code}").status_code == 429
    other = app.test_client()
    response = other.get(
        f"/verify/{certified.code}", environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert response.status_code == 200


def test_lookups_of_real_codes_do_not_use_up_the_limit(
    app, client, certified, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_VERIFY_RATE_LIMIT", "3 per minute")
    for _ in range(10):
        assert client.get(f"/verify/{certified.code}").status_code == 200
    wrong = _near_misses(certified.code)
    assert [client.get(f"/verify/{code}").status_code for code in wrong[:4]] == [
        404,
        404,
        404,
        429,
    ]


def test_the_status_list_shows_a_revocation_at_once(client, certified):
    def bit() -> bool:
        listing = client.get("/credentials/status/1").get_json()
        assert listing["type"] == [
            "VerifiableCredential",
            "BitstringStatusListCredential",
        ]
        assert listing["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
        encoded = listing["credentialSubject"]["encodedList"]
        return status_list.is_set(encoded, certified.status_index)

    assert bit() is False
    revoke(certified, _admin(), "Udstedt ved en fejl")
    assert bit() is True
    assert client.get("/credentials/status/2").status_code == 404


def test_the_did_document_publishes_the_key(client, certified):
    document = client.get("/.well-known/did.json")
    assert document.status_code == 200
    assert document.mimetype == "application/did+json"
    body = document.get_json()
    assert body["id"] == "did:web:lms.test"
    (method,) = body["verificationMethod"]
    assert method["id"] == f"did:web:lms.test#{certified.signing_key.kid}"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert body["assertionMethod"] == [method["id"]]


def test_the_competence_framework_is_public(client):
    page = client.get("/competences")
    assert page.status_code == 200
    assert 'id="use.video"' in page.text


@pytest.mark.parametrize(
    "base, did",
    [
        ("https://lms.example.dk", "did:web:lms.example.dk"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
        ("https://example.dk/kompetence", "did:web:example.dk:kompetence"),
    ],
)
def test_did_web_follows_the_base_url(base, did):
    from lms.certificates.keys import issuer_did
    from lms.certificates.verify import did_web_url

    assert issuer_did(base) == did
    assert did_web_url(did).startswith("https://")


def test_a_lookup_reads_its_rate_limit_counter_once(app, client, certified):
    """The check and the X-RateLimit headers share one read of the counter."""
    from sqlalchemy import event

    from lms.extensions import db

    reads = []

    def count(_conn, _cursor, statement, *_args):
        if "rate_limit_counters" in statement and statement.startswith("SELECT"):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(f"/verify/{certified.code}")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "30"
    assert len(reads) == 1
