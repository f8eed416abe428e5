"""The Open Badges 3.0 credential: its shape, its proof, tampering and revocation."""

import json
import socket
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.certificates import proof, status_list
from lms.certificates.jsonld import ContextNotAllowed, canonicalize, document_loader
from lms.certificates.keys import did_document
from lms.certificates.multikey import (
    b58decode,
    b58encode,
    public_key_from_multibase,
    public_key_multibase,
)
from lms.certificates.verify import key_from_document, verify_credential
from lms.extensions import db
from lms.models import User
from lms.operations.certificates import revoke

SCHEMA = json.loads((Path(__file__).parent / "ob3_schema.json").read_text("utf-8"))


def _key(method: str):
    return key_from_document(did_document(), method)


def _fetch(client):
    def fetch(url: str) -> dict:
        response = client.get(url.replace("http://lms.test", ""))
        assert response.status_code == 200
        return response.get_json()

    return fetch


def test_the_credential_has_every_property_ob3_requires(certified):
    credential = json.loads(certified.credential)
    jsonschema.validate(credential, SCHEMA)
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:lms.test"
    assert credential["validUntil"] > credential["validFrom"]
    alignment = credential["credentialSubject"]["achievement"]["alignment"]
    assert [a["targetCode"] for a in alignment] == [
        "use.video@2",
        "communicate.relationship@1",
    ]
    status = credential["credentialStatus"]
    assert status["statusListIndex"] == str(certified.status_index)
    assert status["statusListCredential"] == "http://lms.test/credentials/status/1"


@pytest.mark.parametrize(
    "path",
    [
        ("@context",),
        ("type",),
        ("name",),
        ("issuer", "id"),
        ("validFrom",),
        ("validUntil",),
        ("credentialSubject", "achievement"),
        ("credentialSubject", "achievement", "id"),
        ("credentialSubject", "achievement", "criteria"),
        ("credentialSubject", "achievement", "alignment"),
        ("credentialStatus",),
        ("proof", "cryptosuite"),
        ("proof", "proofPurpose"),
    ],
)
def test_the_schema_rejects_a_credential_without(certified, path):
    credential = json.loads(certified.credential)
    holder = credential
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(credential, SCHEMA)


def test_the_signature_verifies(certified):
    verdict = verify_credential(json.loads(certified.credential), _key)
    assert verdict.valid and verdict.status == "valid", verdict.reasons
    assert verdict.notes == ["revocation status not checked (offline)"]


def test_one_changed_character_anywhere_fails(certified):
    """Change one character at positions spread over the whole file: never valid."""
    text = json.dumps(
        json.loads(certified.credential), ensure_ascii=False, separators=(",", ":")
    )
    positions = range(0, len(text), max(1, len(text) // 150))
    for position in positions:
        changed = "x" if text[position] != "x" else "y"
        tampered = text[:position] + changed + text[position + 1 :]
        try:
            credential = json.loads(tampered)
        except json.JSONDecodeError:
            continue  # no longer a credential at all
        verdict = verify_credential(credential, _key)
        assert not verdict.valid, (
            f"position {position}: {text[position - 20 : position + 20]}"
        )


def test_another_key_does_not_verify(certified):
    stranger = Ed25519PrivateKey.generate().public_key()
    verdict = verify_credential(json.loads(certified.credential), lambda m: stranger)
    assert not verdict.valid
    assert verdict.reasons == ["the signature does not match the credential"]


def test_a_revoked_certificate_reports_revoked(certified, client):
    credential = json.loads(certified.credential)
    assert verify_credential(credential, _key, _fetch(client)).valid
    admin = db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()
    revoke(certified, admin, "Issued by mistake")
    verdict = verify_credential(credential, _key, _fetch(client))
    assert not verdict.valid and verdict.status == "revoked"
    assert verdict.reasons == ["the issuer has revoked the credential"]


def test_contexts_come_only_from_the_repository(certified, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a JSON-LD context was fetched from the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    credential = json.loads(certified.credential)
    assert "<urn:uuid:" in canonicalize(
        {k: v for k, v in credential.items() if k != "proof"}
    )
    with pytest.raises(ContextNotAllowed):
        document_loader("https://www.w3.org/2018/credentials/v1")
    credential["@context"].append("https://example.org/context.json")
    verdict = verify_credential(credential, _key)
    assert not verdict.valid and "not valid JSON-LD" in verdict.reasons[0]


def test_an_expired_credential_is_reported_expired(certified):
    credential = json.loads(certified.credential)
    later = certified.expires_at.replace(year=certified.expires_at.year + 1)
    verdict = verify_credential(credential, _key, now=later)
    assert not verdict.valid and verdict.status == "expired"


def test_multikey_and_base58_round_trip():
    # The Ed25519 public key of the W3C VC DI EdDSA test vectors (section B).
    vector = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert public_key_multibase(public_key_from_multibase(vector)) == vector
    assert b58decode(b58encode(b"\0\0hello")) == b"\0\0hello"
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"


def test_proofs_sign_what_they_say():
    key = Ed25519PrivateKey.generate()
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:example.org",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "urn:uuid:1b9c1f4e-0000-4000-8000-000000000001"},
    }
    signed = proof.sign(document, key, "did:web:example.org#k")
    proof.verify(signed, key.public_key())
    signed["proof"]["created"] = "2000-01-01T00:00:00Z"
    with pytest.raises(proof.ProofError):
        proof.verify(signed, key.public_key())


def test_status_list_bits():
    encoded = status_list.encode([0, 7, 131_071])
    assert encoded.startswith("u")
    assert [status_list.is_set(encoded, i) for i in (0, 1, 7, 8, 131_071)] == [
        True,
        False,
        True,
        False,
        True,
    ]
    with pytest.raises(status_list.StatusListError):
        status_list.is_set("zabc", 0)
