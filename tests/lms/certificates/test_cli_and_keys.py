"""Offline verification on the command line, and the issuer's keys."""

import base64
import logging
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from lms.certificates import keys
from lms.certificates.multikey import multibase_encode, public_key_from_multibase
from lms.extensions import db
from lms.models import SigningKey, User
from lms.operations.certificates import revoke, rotate_key
from tests.lms.certificates.conftest import certify


@pytest.fixture
def keys_dir(app, tmp_path, monkeypatch) -> Path:
    """Generate keys into a folder of the test's own."""
    folder = tmp_path / "signing-keys"
    monkeypatch.setitem(app.config, "LMS_SIGNING_KEYS_DIR", str(folder))
    return folder


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_credential_exits_0(runner, certified, tmp_path):
    file = _write(tmp_path, "c.json", certified.credential)
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output


def test_offline_with_the_exported_key(runner, certified, tmp_path):
    exported = runner.invoke(args=["certificates", "export-key"])
    assert exported.exit_code == 0
    key = _write(tmp_path, "issuer.json", exported.output)
    file = _write(tmp_path, "c.json", certified.credential)
    args = ["certificates", "verify", str(file), "--key", str(key), "--offline"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "revocation status not checked (offline)" in result.output


def test_a_pem_public_key_file_works(runner, certified, tmp_path):
    public = public_key_from_multibase(certified.signing_key.public_key_multibase)
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    key = _write(tmp_path, "issuer.pem", pem.decode("ascii"))
    file = _write(tmp_path, "c.json", certified.credential)
    args = ["certificates", "verify", str(file), "--key", str(key), "--offline"]
    assert runner.invoke(args=args).exit_code == 0


def test_a_tampered_credential_exits_1_and_says_why(runner, certified, tmp_path):
    tampered = certified.credential.replace("Lene Sørensen", "Lena Sørensen")
    file = _write(tmp_path, "c.json", tampered)
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 1
    assert "INVALID (invalid): the signature does not match" in result.output


def test_not_json_exits_1(runner, tmp_path):
    file = _write(tmp_path, "c.json", "{not json")
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 1 and "not JSON" in result.output


def test_a_revoked_credential_exits_1(runner, certified, tmp_path):
    admin = db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()
    revoke(certified, admin, "Fejl")
    file = _write(tmp_path, "c.json", certified.credential)
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 1
    assert "INVALID (revoked)" in result.output


def test_an_expired_credential_exits_1(runner, learner, tmp_path):
    from datetime import UTC, datetime

    from lms.content import current_version
    from lms.models import Enrolment
    from lms.operations.certificates import issue, module_achievement

    enrolment = Enrolment(
        user=learner, module_version=current_version("video-consultations")
    )
    db.session.add(enrolment)
    db.session.flush()
    old = issue(
        learner,
        module_achievement(enrolment),
        enrolment.uuid,
        now=datetime(2020, 1, 15, tzinfo=UTC),
    )
    db.session.commit()
    file = _write(tmp_path, "c.json", old.credential)
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 1
    assert "INVALID (expired): the credential expired on 2022-01-15" in result.output


def test_rotation_keeps_old_credentials_verifiable(
    app, runner, learner, make_user, keys_dir, tmp_path
):
    first = certify(learner)
    old_kid = first.signing_key.kid
    new = rotate_key(None)
    assert new.kid != old_kid and (keys_dir / f"{new.kid}.pem").exists()
    second = certify(make_user(email="second@example.org"))
    assert second.signing_key.kid == new.kid
    rows = db.session.execute(db.select(SigningKey).order_by(SigningKey.id)).scalars()
    assert [(row.kid, row.retired_at is not None) for row in rows] == [
        (old_kid, True),
        (new.kid, False),
    ]
    document = runner.invoke(args=["certificates", "export-key"]).output
    assert old_kid in document and new.kid in document
    key = _write(tmp_path, "issuer.json", document)
    for certificate in (first, second):
        file = _write(tmp_path, "c.json", certificate.credential)
        args = ["certificates", "verify", str(file), "--key", str(key), "--offline"]
        assert runner.invoke(args=args).exit_code == 0


def test_generated_keys_are_private_to_their_owner(app, keys_dir):
    key = rotate_key(None)
    mode = stat.S_IMODE((keys_dir / f"{key.kid}.pem").stat().st_mode)
    assert mode == 0o600


def test_a_configured_key_file_signs_and_cannot_be_rotated(
    app, learner, tmp_path, monkeypatch
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path = tmp_path / "issuer.pem"
    path.write_bytes(pem)
    monkeypatch.setitem(app.config, "LMS_SIGNING_KEY_FILE", str(path))
    certificate = certify(learner)
    assert certificate.signing_key.kid == keys.kid_of(private.public_key())
    with pytest.raises(keys.KeyUnavailable):
        rotate_key(None)


def test_the_private_key_never_leaves_the_server(
    app, client, auth, runner, certified, caplog, keys_dir
):
    caplog.set_level(logging.DEBUG)
    rotate_key(None)  # a fresh key, written and registered under the log capture
    certificate = certify(
        db.session.execute(
            db.select(User).filter_by(email="manager@example.org")
        ).scalar_one()
    )
    kid = certificate.signing_key.kid
    pem = (keys_dir / f"{kid}.pem").read_text()
    private = keys._PRIVATE[kid]
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    secrets = [
        pem.split("-----")[2].strip(),
        raw.hex(),
        base64.b64encode(raw).decode(),
    ]
    secrets.append(multibase_encode(raw)[1:])
    auth.login("admin@example.org", "admin-demo-2026")
    outputs = [
        client.get("/.well-known/did.json").text,
        client.get("/credentials/status/1").text,
        client.get("/certificates/admin/keys").text,
        client.get(f"/certificates/{certificate.uuid}/credential.json").text,
        client.get(f"/verify/{certificate.code}").text,
        runner.invoke(args=["certificates", "export-key"]).output,
        certificate.credential,
        caplog.text,
    ]
    for output in outputs:
        for secret in secrets:
            assert secret not in output
    assert kid in outputs[2]  # the keys page does show the public half
