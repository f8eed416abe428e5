"""Verify a credential without the database: its proof, its dates and its status.

Keys and status lists come through callables, so the same checks run offline with
a key file, online over HTTPS, or in-process against this app.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from lms.certificates import proof, status_list
from lms.certificates.jsonld import CREDENTIALS_V2
from lms.certificates.multikey import MultibaseError, public_key_from_multibase

KeyResolver = Callable[[str], Ed25519PublicKey]
Fetcher = Callable[[str], dict]


class KeyNotFound(Exception):
    """No usable public key was found for a verification method."""


@dataclass
class Verdict:
    """The outcome: valid or not, the status, and the reasons in plain words."""

    valid: bool = True
    #: "valid", "expired", "not yet valid", "revoked" or "invalid".
    status: str = "valid"
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, status: str, reason: str) -> None:
        """Record a failed check."""
        self.valid = False
        if self.status == "valid":
            self.status = status
        self.reasons.append(reason)


def _moment(text) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def verify_credential(
    credential: dict,
    resolve_key: KeyResolver,
    fetch: Fetcher | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Check a credential's proof, dates and (with fetch) revocation status."""
    verdict, now = Verdict(), now or datetime.now(UTC)
    if not _shape(credential, verdict):
        return verdict
    if not _check_proof(credential, resolve_key, verdict):
        return verdict
    _check_dates(credential, now, verdict)
    status = credential.get("credentialStatus")
    if status is None:
        verdict.notes.append("the credential has no status list")
    elif fetch is None:
        verdict.notes.append("revocation status not checked (offline)")
    else:
        _check_status(credential, status, resolve_key, fetch, verdict)
    return verdict


def _shape(credential, verdict: Verdict) -> bool:
    if not isinstance(credential, dict):
        verdict.fail("invalid", "the file is not a JSON object")
        return False
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != CREDENTIALS_V2:
        verdict.fail("invalid", "the first @context is not the VC 2.0 context")
        return False
    if "VerifiableCredential" not in (credential.get("type") or []):
        verdict.fail("invalid", "the credential is not a VerifiableCredential")
        return False
    return True


def issuer_id(credential: dict) -> str | None:
    """Return the id of the credential's issuer."""
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _check_proof(credential: dict, resolve_key: KeyResolver, verdict) -> bool:
    try:
        method = proof.proof_of(credential)["verificationMethod"]
        if method.split("#", 1)[0] != issuer_id(credential):
            raise proof.ProofError("the proof was not made with a key of the issuer")
        proof.verify(credential, resolve_key(method))
    except (proof.ProofError, KeyNotFound) as error:
        verdict.fail("invalid", str(error))
        return False
    return True


def _check_dates(credential: dict, now: datetime, verdict: Verdict) -> None:
    valid_from = _moment(credential.get("validFrom"))
    if valid_from is None:
        verdict.fail("invalid", "validFrom is missing or not a date and time")
    elif now < valid_from:
        verdict.fail("not yet valid", f"the credential is valid from {valid_from}")
    if "validUntil" in credential:
        valid_until = _moment(credential["validUntil"])
        if valid_until is None:
            verdict.fail("invalid", "validUntil is not a date and time")
        elif valid_until <= now:
            verdict.fail("expired", f"the credential expired on {valid_until}")


def _check_status(credential, status, resolve_key, fetch, verdict: Verdict) -> None:
    try:
        url = status["statusListCredential"]
        index = int(status["statusListIndex"])
    except (KeyError, TypeError, ValueError):
        verdict.fail("invalid", "credentialStatus is malformed")
        return
    try:
        listing = fetch(url)
    except Exception as error:  # no network is a normal offline case
        verdict.notes.append(f"revocation status not checked: {error}")
        return
    if issuer_id(listing) != issuer_id(credential):
        verdict.fail("invalid", "the status list has another issuer")
        return
    try:
        proof.verify(
            listing, resolve_key(proof.proof_of(listing)["verificationMethod"])
        )
        subject = listing["credentialSubject"]
        revoked = status_list.is_set(subject["encodedList"], index)
    except (proof.ProofError, KeyNotFound, KeyError, TypeError) as error:
        verdict.fail("invalid", f"the status list does not verify: {error}")
        return
    except status_list.StatusListError as error:
        verdict.fail("invalid", f"the status list is malformed: {error}")
        return
    if revoked:
        verdict.fail("revoked", "the issuer has revoked the credential")


def did_web_url(did: str) -> str:
    """Return the HTTPS URL of a did:web document."""
    if not did.startswith("did:web:"):
        raise KeyNotFound(f"cannot resolve {did!r}: only did:web is supported")
    host, *path = did[len("did:web:") :].split(":")
    location = "/".join(unquote(part) for part in path) or ".well-known"
    return f"https://{unquote(host)}/{location}/did.json"


def key_from_text(text: str, method: str) -> Ed25519PublicKey:
    """Read a public key file: PEM, Multikey text, a Multikey or a DID document."""
    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            key = load_pem_public_key(stripped.encode("ascii"))
            if not isinstance(key, Ed25519PublicKey):
                raise KeyNotFound("the PEM key is not an Ed25519 public key")
            return key
        if stripped.startswith("{"):
            return key_from_document(json.loads(stripped), method)
        return public_key_from_multibase(stripped)
    except (ValueError, MultibaseError) as error:
        raise KeyNotFound(f"the key file cannot be read: {error}") from None


def key_from_document(document: dict, method: str) -> Ed25519PublicKey:
    """Find the verification method in a DID document, or take a Multikey document."""
    if "publicKeyMultibase" in document:
        candidates = [document] if document.get("id") in (None, method) else []
    else:
        candidates = [
            entry
            for entry in document.get("verificationMethod") or []
            if isinstance(entry, dict) and entry.get("id") == method
        ]
    if not candidates:
        raise KeyNotFound(f"the key {method} is not published")
    try:
        return public_key_from_multibase(candidates[0]["publicKeyMultibase"])
    except (KeyError, MultibaseError) as error:
        raise KeyNotFound(f"the key of {method} is malformed: {error}") from None
