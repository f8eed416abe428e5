"""TOTP second factor: secrets encrypted at rest, code checks and the QR code.

The secret is encrypted with a Fernet key derived from SECRET_KEY (HKDF), so a copy
of the database alone does not give the codes. Changing SECRET_KEY makes every
enrolled secret unreadable: those users must enrol again.
"""

import base64
import hmac
import logging
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup, escape

log = logging.getLogger(__name__)
#: Codes of the step before and after the current one are accepted (clock drift).
DRIFT_STEPS = 1


def _clock() -> float:
    """Return the time in epoch seconds; tests move it."""
    return time.time()


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"bdk-lms totp secret v1"
    ).derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    """Return a new random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def encrypt(secret: str) -> str:
    """Encrypt a secret for the database."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(stored: str | None) -> str | None:
    """Return the secret, or None when it cannot be read with this SECRET_KEY."""
    if not stored:
        return None
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        log.warning("a TOTP secret cannot be decrypted; was SECRET_KEY changed?")
        return None


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """Return the time step whose code this is (within the drift), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_clock() if now is None else now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_for(secret: str, now: float | None = None) -> str:
    """Return the code an authenticator app shows at that time (default: now)."""
    return pyotp.TOTP(secret).at(_clock() if now is None else now)


def provisioning_uri(secret: str, account: str) -> str:
    """Return the otpauth:// URI that authenticator apps read from the QR code."""
    issuer = current_app.config.get("LMS_ISSUER_NAME", "LMS")
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str, label: str) -> Markup:
    """Return the QR code as inline SVG with an accessible name; no script, no file."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, omitsize=False)
    # segno writes no role; an image role and a label give it a name for screen
    # readers, which then read the secret printed beside it.
    return Markup(
        svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    )


def grouped(secret: str) -> str:
    """Return the secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
