"""Endpoint secrets at rest: Fernet with a key derived from SECRET_KEY by HKDF."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

#: Binds the derived key to this one use of SECRET_KEY.
_INFO = b"bdk-lms forwarding endpoint secret v1"


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted, typically after SECRET_KEY changed."""


def _fernet() -> Fernet:
    """Return the Fernet of this app's SECRET_KEY."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        current_app.config["SECRET_KEY"].encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str) -> str:
    """Return the secret encrypted for storage."""
    return _fernet().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str:
    """Return a stored secret in clear; SecretUnreadable if the key changed."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretUnreadable(
            "the stored secret cannot be decrypted (was SECRET_KEY changed?); "
            "enter the secret again"
        ) from None
