"""The issuer's Ed25519 signing keys, its did:web identifier and DID document.

The private half of a key is kept out of the database: it is a PEM file in
instance/signing-keys/ (generated at first start) or the file LMS_SIGNING_KEY_FILE
names, which several machines can share. The database holds every public half, so
rotated keys stay published and old credentials still verify.
"""

import fcntl
import hashlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from lms.certificates.multikey import public_key_multibase
from lms.extensions import db
from lms.models import SigningKey

log = logging.getLogger(__name__)
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
#: Loaded private keys by kid, so signing reads no file after the first time.
_PRIVATE: dict[str, Ed25519PrivateKey] = {}


class KeyUnavailable(RuntimeError):
    """The active key's private half is not on this machine."""


def issuer_did(base_url: str | None = None) -> str:
    """Return did:web for LMS_BASE_URL: the host (port escaped) and any path."""
    parts = urlsplit(base_url or current_app.config["LMS_BASE_URL"])
    segments = [quote(parts.netloc, safe="")]
    segments += [quote(s, safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def verification_method(key: SigningKey) -> str:
    """Return the id of a key's verification method in the DID document."""
    return f"{issuer_did()}#{key.kid}"


def kid_of(public: Ed25519PublicKey) -> str:
    """Return the stable fragment that names a public key."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "key-" + hashlib.sha256(raw).hexdigest()[:16]


def keys_dir(app: Flask | None = None) -> Path:
    """Return the folder of generated private keys."""
    config = (app or current_app).config
    configured = config.get("LMS_SIGNING_KEYS_DIR")
    path = Path(configured) if configured else Path((app or current_app).instance_path)
    return path if configured else path / "signing-keys"


def _read(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailable(f"{path.name} does not hold an Ed25519 private key")
    return key


def _write_new(folder: Path) -> tuple[str, Ed25519PrivateKey]:
    """Generate a key into the folder, readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    kid = kid_of(key.public_key())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(
        folder / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
    )
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    log.info("generated signing key %s", kid)
    return kid, key


def ensure_key_file(app: Flask) -> None:
    """At start, generate a key into the instance folder when there is none."""
    if app.config.get("LMS_SIGNING_KEY_FILE"):
        return
    folder = keys_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting at once
        if not any(folder.glob("*.pem")):
            _write_new(folder)


def _local_keys() -> dict[str, Ed25519PrivateKey]:
    """Return the private keys on this machine by kid."""
    configured = current_app.config.get("LMS_SIGNING_KEY_FILE")
    if configured:
        key = _read(Path(configured))
        return {kid_of(key.public_key()): key}
    folder = keys_dir()
    files = sorted(folder.glob("*.pem"), key=lambda p: p.stat().st_mtime)
    return {path.stem: _read(path) for path in files}


def active_key() -> tuple[SigningKey, Ed25519PrivateKey]:
    """Return the key that signs now, registering it on first use."""
    row = db.session.execute(
        db.select(SigningKey).where(SigningKey.retired_at.is_(None))
    ).scalar_one_or_none()
    if row is not None and row.kid in _PRIVATE:
        return row, _PRIVATE[row.kid]
    local = _local_keys()
    configured = bool(current_app.config.get("LMS_SIGNING_KEY_FILE"))
    if row is not None and row.kid in local:
        _PRIVATE[row.kid] = local[row.kid]
        return row, local[row.kid]
    if row is not None and not configured:
        raise KeyUnavailable(
            f"the active signing key {row.kid} is not in {keys_dir()}; copy it there "
            "or set LMS_SIGNING_KEY_FILE"
        )
    return _register(local, configured)


def _register(
    local: dict[str, Ed25519PrivateKey], configured: bool
) -> tuple[SigningKey, Ed25519PrivateKey]:
    """Make a local key the active one: the configured key, or the newest unused."""
    retired = set(
        db.session.execute(
            db.select(SigningKey.kid).where(SigningKey.retired_at.is_not(None))
        ).scalars()
    )
    usable = [kid for kid in local if configured or kid not in retired]
    if usable:
        kid, key = usable[-1], local[usable[-1]]
    else:
        kid, key = _write_new(keys_dir())
    return _activate(kid, key), key


def _activate(kid: str, key: Ed25519PrivateKey) -> SigningKey:
    """Record the key as the active one and retire the others, in a savepoint."""
    now = datetime.now(UTC)
    try:
        with db.session.begin_nested():
            for other in db.session.execute(
                db.select(SigningKey).where(
                    SigningKey.retired_at.is_(None), SigningKey.kid != kid
                )
            ).scalars():
                other.retired_at = now
            row = db.session.execute(
                db.select(SigningKey).filter_by(kid=kid)
            ).scalar_one_or_none()
            if row is None:
                row = SigningKey(
                    kid=kid, public_key_multibase=public_key_multibase(key.public_key())
                )
                db.session.add(row)
            row.retired_at = None
    except IntegrityError:  # another process registered the same key just now
        row = db.session.execute(db.select(SigningKey).filter_by(kid=kid)).scalar_one()
    _PRIVATE[kid] = key
    log.info("signing key %s is active", kid)
    return row


def rotate() -> SigningKey:
    """Generate a new key and make it the active one; the caller commits."""
    if current_app.config.get("LMS_SIGNING_KEY_FILE"):
        raise KeyUnavailable(
            "LMS_SIGNING_KEY_FILE names the key; point it at a new key file to rotate"
        )
    kid, key = _write_new(keys_dir())
    return _activate(kid, key)


def published_keys() -> list[SigningKey]:
    """Return every key ever used, oldest first."""
    query = db.select(SigningKey).order_by(SigningKey.created_at, SigningKey.id)
    return list(db.session.execute(query).scalars())


def did_document() -> dict:
    """Return the issuer's DID document with every key, retired ones included."""
    did = issuer_did()
    methods = [
        {
            "id": f"{did}#{key.kid}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in published_keys()
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }
