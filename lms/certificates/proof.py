"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (VC DI EdDSA 1.0).

Signing hashes the canonical proof configuration and the canonical document
(RDFC-1.0, here pyld's URDNA2015) with SHA-256, concatenates the two hashes in that
order and signs them with Ed25519; the signature is the multibase proofValue.
"""

import copy
import hashlib
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from lms.certificates.jsonld import canonicalize
from lms.certificates.multikey import MultibaseError, multibase_decode, multibase_encode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


class ProofError(Exception):
    """A proof is missing, malformed or does not verify; the message says why."""


def iso(moment: datetime) -> str:
    """Return an XML Schema dateTime in UTC with seconds, as credentials carry it."""
    return (
        moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )


def _hash_data(document: dict, options: dict) -> bytes:
    config = dict(options)
    config["@context"] = document["@context"]
    config_hash = hashlib.sha256(canonicalize(config).encode("utf-8")).digest()
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    document_hash = hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest()
    return config_hash + document_hash


def sign(
    document: dict,
    key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None = None,
) -> dict:
    """Return a copy of the document with an assertionMethod proof added."""
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": iso(created or datetime.now(UTC)),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options))
    signed = copy.deepcopy(document)
    signed["proof"] = options | {"proofValue": multibase_encode(signature)}
    return signed


def proof_of(document: dict) -> dict:
    """Return the document's single eddsa-rdfc-2022 proof; ProofError otherwise."""
    proof = document.get("proof") if isinstance(document, dict) else None
    if not isinstance(proof, dict):
        raise ProofError("the credential has no proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is not a {PROOF_TYPE} with {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    if not isinstance(proof.get("verificationMethod"), str):
        raise ProofError("the proof names no verification method")
    return proof


def verify(document: dict, key: Ed25519PublicKey) -> None:
    """Check the document's proof with the public key; ProofError says what failed."""
    proof = proof_of(document)
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        signature = multibase_decode(proof.get("proofValue"))
        data = _hash_data(document, options)
    except MultibaseError as error:
        raise ProofError(f"the proof value is malformed: {error}") from None
    except Exception as error:  # pyld raises its own errors for broken JSON-LD
        raise ProofError(f"the credential is not valid JSON-LD: {error}") from None
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise ProofError("the signature does not match the credential") from None
