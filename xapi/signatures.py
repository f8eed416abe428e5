"""Signed statements (Data 2.6): check a JWS signature against its statement."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from xapi.errors import StatementValidationError
from xapi.store.compare import same_statement
from xapi.validation import validate_statement

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
#: Data 2.6.s4.b4: 'The JWS signature MUST use an algorithm of "RS256", "RS384", or
#: "RS512".'
ALGORITHMS = {"RS256": "SHA256", "RS384": "SHA384", "RS512": "SHA512"}


def signature_attachments(statement: Mapping) -> list[Mapping]:
    """Return the statement's signature attachments."""
    return [
        attachment
        for attachment in statement.get("attachments") or ()
        if attachment.get("usageType") == SIGNATURE_USAGE_TYPE
    ]


def check_signature(statement: Mapping, jws: bytes, *, path: str = "statement") -> None:
    """Raise StatementValidationError unless ``jws`` is a well-formed signature.

    Data 2.6.s5.b3: the LRS MUST "Decode the JWS signature, and load the signed
    serialization of the Statement from the JWS signature payload", "Validate that
    the original Statement is logically equivalent to the received Statement", and
    "If the JWS header includes an X.509 certificate, validate the signature against
    that certificate as defined in JWS".
    """
    where = f"{path}.attachments"
    header, payload, signing_input, signature = _decode(jws, where)
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise StatementValidationError(
            where, f"the JWS alg must be RS256, RS384 or RS512, got {algorithm!r}"
        )
    if not isinstance(payload, dict):
        raise StatementValidationError(where, "the JWS payload must be a statement")
    try:
        validate_statement(payload, path="signature payload")
    except StatementValidationError as error:
        raise StatementValidationError(
            where, f"the JWS payload is not a valid statement: {error}"
        ) from None
    if not _equivalent(statement, payload):
        raise StatementValidationError(
            where, "the JWS payload does not match the statement it signs"
        )
    if "x5c" in header:
        _verify_x5c(header["x5c"], algorithm, signing_input, signature, where)


def _decode(jws: bytes, where: str) -> tuple[dict, Any, bytes, bytes]:
    """Split a JWS in compact serialization and decode its three parts."""
    try:
        text = jws.decode("ascii").strip()
    except UnicodeDecodeError:
        raise StatementValidationError(
            where, "the signature is not a JWS in compact serialization"
        ) from None
    parts = text.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise StatementValidationError(
            where, "the signature is not a JWS in compact serialization"
        )
    try:
        header = orjson.loads(_b64url(parts[0]))
        payload = orjson.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (binascii.Error, ValueError):
        raise StatementValidationError(
            where, "the JWS header, payload or signature cannot be decoded"
        ) from None
    if not isinstance(header, dict):
        raise StatementValidationError(where, "the JWS header must be a JSON object")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _b64url(part: str) -> bytes:
    """Decode unpadded base64url, strictly."""
    if not set(part) <= _B64URL:
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


_B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _without_signatures(statement: Mapping) -> dict:
    """Return the statement as it was before its signature was attached."""
    unsigned = dict(statement)
    attachments = [
        a
        for a in statement.get("attachments") or ()
        if a.get("usageType") != SIGNATURE_USAGE_TYPE
    ]
    if attachments:
        unsigned["attachments"] = attachments
    else:
        unsigned.pop("attachments", None)
    return unsigned


def _equivalent(statement: Mapping, payload: Mapping) -> bool:
    """Return whether the signed payload is logically the received statement.

    Data 2.3.1 statement comparison, plus the id when both name one.
    """
    received, signed = _without_signatures(statement), _without_signatures(payload)
    if "id" in received and "id" in signed:
        if str(received["id"]).lower() != str(signed["id"]).lower():
            return False
    return same_statement(received, signed)


def _verify_x5c(
    chain: object, algorithm: str, signing_input: bytes, signature: bytes, where: str
) -> None:
    """Verify the signature with the first certificate of the x5c chain (RFC 7515)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise StatementValidationError(where, "the JWS x5c must be a certificate chain")
    try:
        certificate = x509.load_der_x509_certificate(
            base64.b64decode(chain[0], validate=True)
        )
        key = certificate.public_key()
    except (binascii.Error, ValueError):
        raise StatementValidationError(
            where, "the JWS x5c certificate cannot be read"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise StatementValidationError(where, "the JWS x5c certificate is not RSA")
    digest = getattr(hashes, ALGORITHMS[algorithm])()
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise StatementValidationError(
            where, "the JWS signature does not verify with its x5c certificate"
        ) from None
